"""Instruction counts of the int8 kernels (mdy_conv2d_s8, mdy_gemm_s8 and, for the gemm
widths the compiler gives a prepared requantization table, mdy_gemm_s8_rq) under QEMU.

    python bench/kernels_s8.py [--sizes 32,8,2 | --sizes all] [--opt -O2] [--models [--only NAME]]
    python bench/kernels.py --int8          (the kernel table)

Same method as bench/kernels.py (mps2-an386, `-icount shift=0`, SysTick = 40 guest
instructions, the timing loop's overhead subtracted; each case's requantization struct
and table are made before its timed loop, as a compiled model's are constants); the firmware is
bench/firmware/bench_s8.c (CMake option BENCH_S8). MAC = out_c*out_h*out_w*in_c/g*kh*kw.
The same firmware also runs cases that carry their own data and prints their outputs
(`run_check`): tests/test_int8_kernels_qemu.py compares them with the numpy oracle.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
FIRMWARE = REPO / "bench" / "firmware"
TOOLCHAIN = REPO / "cmake" / "arm-none-eabi.cmake"
BUILD_ROOT = REPO / "build" / "bench"
MIN_WORK = 400_000


@dataclass
class S8Case:
    label: str
    size: int                      # input map size (H = W); 1 for gemm
    in_c: int
    out_c: int
    k: int = 1
    stride: int = 1
    pad: int = 0
    groups: int = 1
    gemm: bool = False
    size_w: int | None = None      # input width when not square
    pad_left: int | None = None
    dil: int = 1
    out_hw: tuple[int, int] | None = None   # explicit (bottom/right padding implied)
    # check mode: the case's own data (x, w, bias, mult, shift) and requant ints
    data: dict[str, np.ndarray] | None = None
    zp: tuple[int, int, int, int] = (-3, 5, -128, 127)   # in_zp, out_zp, act_min, act_max
    reps: int | None = None
    # the 15 integers of mdy_conv_params_t (in_c .. groups), overriding the fields above
    # (non-square kernels, asymmetric padding: the QEMU test's shapes)
    params: tuple[int, ...] | None = None

    @property
    def in_w(self) -> int:
        return self.size_w or self.size

    @property
    def out_shape(self) -> tuple[int, int]:
        if self.params:
            return self.params[4], self.params[5]
        if self.out_hw:
            return self.out_hw
        pl = self.pad if self.pad_left is None else self.pad_left
        eff = self.dil * (self.k - 1) + 1
        return ((self.size + 2 * self.pad - eff) // self.stride + 1,
                (self.in_w + 2 * pl - eff) // self.stride + 1)

    @property
    def work(self) -> int:
        if self.gemm:
            return self.in_c * self.out_c
        oh, ow = self.out_shape
        return self.out_c * oh * ow * (self.in_c // self.groups) * self.k * self.k

    @property
    def out_n(self) -> int:
        oh, ow = self.out_shape
        return self.out_c if self.gemm else self.out_c * oh * ow


def kernel_cases(sizes: list[int]) -> list[S8Case]:
    cases: list[S8Case] = []
    for s in sizes:
        cases += [S8Case("pw 32->64", s, 32, 64), S8Case("pw 64->24", s, 64, 24),
                  S8Case("conv3x3 16->16 p1", s, 16, 16, k=3, pad=1),
                  S8Case("conv3x3 16->32 s2 p1", s, 16, 32, k=3, pad=1, stride=2),
                  S8Case("dw3x3 48 p1", s, 48, 48, k=3, pad=1, groups=48),
                  S8Case("dw3x3 48 s2 p1", s, 48, 48, k=3, pad=1, stride=2, groups=48),
                  S8Case("dw5x5 48 p2", s, 48, 48, k=5, pad=2, groups=48),
                  S8Case("dw5x5 48 s2 p2", s, 48, 48, k=5, pad=2, stride=2, groups=48),
                  S8Case("dw7x7 48 p3", s, 48, 48, k=7, pad=3, groups=48),
                  S8Case("dw7x7 48 s2 p3", s, 48, 48, k=7, pad=3, stride=2, groups=48),
                  S8Case("conv3x3 8->16 d2 p2", s, 8, 16, k=3, pad=2, dil=2),
                  S8Case("stem3x3 3->16 s2 p1", s, 3, 16, k=3, pad=1, stride=2),
                  S8Case("stem3x3 1->32 p1", s, 1, 32, k=3, pad=1),
                  S8Case("stem3x3 1->16 s2 p1", s, 1, 16, k=3, pad=1, stride=2)]
    cases += [S8Case("gemm 256->64", 1, 256, 64, gemm=True),
              S8Case("gemm 64->10", 1, 64, 10, gemm=True)]
    cases += [S8Case(f"gemm {i}->{o}", 1, i, o, gemm=True)
              for i, o in ((448, 10), (32, 2), (10, 10), (256, 2), (1280, 2), (128, 3), (100, 7))]
    return cases


def _c_array(ctype: str, name: str, a: np.ndarray) -> str:
    return f"static const {ctype} {name}[] = {{{', '.join(str(int(v)) for v in a.reshape(-1))}}};"


def cases_header(cases: list[S8Case]) -> str:
    buf = max(max(c.in_c * c.size * c.in_w, c.out_n, c.out_c * c.in_c // c.groups * c.k * c.k)
              for c in cases if c.params is None) if any(c.params is None for c in cases) else 0
    buf = max([buf] + [c.out_n for c in cases]) + 64
    lines = ['#include "medyate/kernels.h"', "#define S8_CONV 0", "#define S8_GEMM 1",
             "typedef struct { uint8_t kind; mdy_conv_params_t p; uint32_t in_f, out_f, reps, out_n;",
             "  int32_t in_zp, out_zp, act_min, act_max;",
             "  const int8_t *x, *w; const int32_t *bias, *mult, *shift, *rq; } s8_case_t;",
             f"#define S8_BUF_ELEMS {buf}u",
             f"#define S8_MAX_CH {max(c.out_c for c in cases)}u",
             f"#define S8_N_CASES {len(cases)}u"]
    for i, c in enumerate(cases):
        if c.data is not None:
            for key, ctype in (("x", "int8_t"), ("w", "int8_t"), ("bias", "int32_t"),
                               ("mult", "int32_t"), ("shift", "int32_t"), ("rq", "int32_t")):
                if c.data.get(key) is not None:      # bias None: a NULL bias
                    lines.append(_c_array(ctype, f"c{i}_{key}", c.data[key]))
    lines.append("static const s8_case_t S8_CASES[] = {")
    for i, c in enumerate(cases):
        oh, ow = c.out_shape
        pl = c.pad if c.pad_left is None else c.pad_left
        reps = c.reps if c.reps is not None else max(1, -(-MIN_WORK // c.work))
        p = (f"{{{c.in_c}, {c.size}, {c.in_w}, {c.out_c}, {oh}, {ow}, {c.k}, {c.k}, {c.stride}, "
             f"{c.stride}, {c.pad}, {pl}, {c.dil}, {c.dil}, {c.groups}, 0.0f, 0.0f}}")
        if c.params:
            p = "{" + ", ".join(map(str, c.params)) + ", 0.0f, 0.0f}"
        ptrs = (", ".join(f"c{i}_{k}" if c.data.get(k) is not None else "0"
                          for k in ("x", "w", "bias", "mult", "shift", "rq"))
                if c.data is not None else "0, 0, 0, 0, 0, 0")
        lines.append(f"  {{{int(c.gemm)}, {p}, {c.in_c}, {c.out_c}, {reps}u, {c.out_n}u, "
                     f"{', '.join(map(str, c.zp))}, {ptrs}}},")
    lines.append("};")
    return "\n".join(lines) + "\n"


def build(work: Path, cases: list[S8Case], opt: str) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    header = cases_header(cases)
    path = work / "cases_s8.h"
    if not path.is_file() or path.read_text() != header:
        path.write_text(header)
    bdir = work / "build"
    subprocess.run(["cmake", "-G", "Ninja", "-S", str(FIRMWARE), "-B", str(bdir),
                    f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN}", f"-DCASES_DIR={work}",
                    "-DBENCH_MODEL_DIR=", f"-DBENCH_OPT={opt}", "-DBENCH_S8=ON",
                    "-DCMAKE_BUILD_TYPE="], check=True, capture_output=True, text=True)
    done = subprocess.run(["cmake", "--build", str(bdir)], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stdout[-4000:] + done.stderr[-4000:])
    return bdir / "bench.elf"


def run_qemu(elf: Path, timeout_s: float = 600.0) -> tuple[dict[int, tuple[int, int]], dict[int, bytes]]:
    """(case -> (reps, instructions), case -> output bytes); raises without DONE."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "uart.txt"
        cmd = ["qemu-system-arm", "-M", "mps2-an386", "-display", "none", "-monitor", "none",
               "-serial", f"file:{out}", "-semihosting-config", "enable=on,target=native",
               "-icount", "shift=0,align=off,sleep=off", "-kernel", str(elf)]
        subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=timeout_s)
        text = out.read_text()
    if "DONE" not in text:
        raise RuntimeError(f"int8 bench firmware did not finish: {text[-500:]!r}")
    counts: dict[int, tuple[int, int]] = {}
    outputs: dict[int, bytes] = {}
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] == "R":
            counts[int(parts[1])] = (int(parts[2]), int(parts[3]))
        elif parts and parts[0] == "O":
            outputs[int(parts[1])] = bytes.fromhex(parts[2]) if len(parts) > 2 else b""
    return counts, outputs


def run_check(cases: list[S8Case], work: Path, opt: str = "-O2") -> list[np.ndarray]:
    """Each case's int8 output as computed on the emulated Cortex-M4."""
    counts, outputs = run_qemu(build(work, cases, opt))
    return [np.frombuffer(outputs[i], np.int8) for i in range(len(cases))]


def measure(sizes: list[int], opt: str) -> list[tuple[S8Case, float]]:
    cases = kernel_cases(sizes)
    counts, _ = run_qemu(build(BUILD_ROOT / f"kernels_s8{opt}", cases, opt))
    o_reps, o_instr = counts[0xFFFF]
    return [(c, (counts[i][1] - o_instr / o_reps * counts[i][0]) / counts[i][0] / c.work)
            for i, c in enumerate(cases)]


def _float_bench():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(REPO / "bench"))
    import kernels as fk  # noqa: E402  (bench/kernels.py: parse_sizes, the sweep summary)
    return fk


def print_table(rows: list[tuple[S8Case, float]], sizes: list[int]) -> None:
    fams: dict[str, dict[int, float]] = {}
    for c, v in rows:
        fams.setdefault(c.label, {})[c.size] = v
    fk = _float_bench()
    if len(sizes) > fk.WIDE:      # --sizes all: each layer's worst size, every size above 4
        fk.print_sweep_summary(fams)
        label, vals = max(fams.items(), key=lambda kv: max(kv[1].values()))
        size, worst = max(vals.items(), key=lambda kv: kv[1])
        print(f"\nworst int8 layer: {label} at {size}x{size}: {worst:.2f} instr/MAC")
        return
    print("| int8 layer | " + " | ".join(f"{s}x{s}" for s in sizes) + " |")
    print("|" + "---|" * (1 + len(sizes)))
    for label, vals in fams.items():
        if label.startswith("gemm"):
            cells = [f"{vals[1]:.2f}"] + [""] * (len(sizes) - 1)
        else:
            cells = [f"{vals[s]:.2f}" if s in vals else "-" for s in sizes]
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


# ------------------------------------------------------------------ int8 model forward
def measure_int8_model(onnx: Path, shape: tuple[int, ...], opt: str, slug: str) -> dict[str, float]:
    """Forward instructions of `onnx` compiled with `--frozen int8` and only its last
    Conv/Gemm trainable (so everything below it runs in int8), calibrated on 8 random
    inputs; MACs of every Conv/Gemm of the float graph."""
    sys.path.insert(0, str(REPO / "bench"))
    import kernels as fk  # noqa: E402  (bench/kernels.py: firmware build/run, MAC count)
    from medyate.codegen.compiler import compile_model
    from medyate.codegen.frontend import load_graph
    from medyate.codegen.plan import Plan
    from medyate.codegen.quantize import apply_frozen

    graph = load_graph(onnx)
    plan = Plan.all_layers(graph, 32 * 1024)
    plan.layers = [dict(plan.layers[-1], bias=False)]
    calib = np.random.default_rng(0).normal(0, 1, (8, *shape[1:])).astype(np.float32)
    qgraph = apply_frozen(graph, plan, "int8", calib)
    work = BUILD_ROOT / f"int8_model_{slug}{opt}"
    compile_model(onnx, plan, work / "model", graph=qgraph)
    cases = work / "fwd"
    cases.mkdir(parents=True, exist_ok=True)
    (cases / "cases.h").write_text("#include <stdint.h>\n"
                                   "static const uint16_t BENCH_SCHED_COUNTS[] = {1};\n"
                                   "static const uint16_t BENCH_SCHED_CHANNELS[] = {0};\n"
                                   "#define BENCH_REPS 2u\n")
    res = fk.run_qemu(fk.build(cases / "build", cases, work / "model", opt))
    return {"macs": float(fk.model_macs(graph)), "fwd": res[0][1] / res[0][0]}


def int8_models(opt: str, only: str | None) -> None:
    sys.path.insert(0, str(REPO / "bench"))
    import kernels as fk  # noqa: E402

    print("| model (frozen int8 below the last layer) | MACs | forward instr | instr/MAC |")
    print("|---|---:|---:|---:|", flush=True)
    for name, onnx, ctor, shape in fk.model_specs():
        if only and only not in name:
            continue
        slug = "".join(ch if ch.isalnum() else "_" for ch in name)
        r = measure_int8_model(fk.model_onnx(name, onnx, ctor, shape), shape, opt, slug)
        print(f"| {name} | {r['macs']:,.0f} | {r['fwd']:,.0f} | {r['fwd'] / r['macs']:.2f} |",
              flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--opt", default="-O2")
    ap.add_argument("--sizes", default="32,8,2",
                    help="comma-separated map sizes, or 'all' for every size 2..32 (printed "
                         "as each layer's worst size and the sizes above 4)")
    ap.add_argument("--models", action="store_true",
                    help="also the int8 forward of bench/kernels.py's models")
    ap.add_argument("--only", help="models whose name contains this")
    args = ap.parse_args(argv)
    sizes = _float_bench().parse_sizes(args.sizes)
    print(f"# int8 kernels, QEMU mps2-an386 -icount shift=0: instructions per MAC, {args.opt}\n")
    print_table(measure(sizes, args.opt), sizes)
    if args.models:
        print()
        int8_models(args.opt, args.only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
