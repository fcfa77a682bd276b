"""Instruction counts of the runtime kernels and of whole models under QEMU.

    python bench/kernels.py [--kernels] [--models] [--opt -O2] [--quick]

Measures on mps2-an386 (Cortex-M4F) under `qemu-system-arm -icount
shift=0,align=off,sleep=off`: one guest instruction = 1 ns, SysTick (25 MHz) ticks every
40 instructions, so the bench firmware (bench/firmware) reads exact instruction counts
at a 40-instruction resolution; each case repeats until the count is large and the
timing loop's own overhead is subtracted. These are QEMU *instructions*, not cycles.

Kernel table: instr/MAC of every forward and backward kernel at map sizes 32..2
(MAC = multiply-accumulates of the dense layer: out_c*out_h*out_w*in_c/g*kh*kw; mask
kernels report instructions per element). Model table: forward instr/MAC and
training-step/forward for shipped and test models with a sparse plan (every Conv/Gemm
trainable, biases frozen, 32 KiB channel pool) under two schedules: "spread" (one channel
per layer per round from the first layer: the backward runs to the first layer) and
"deep" (the pool filled from the last layer: the backward stops early). --profile: the
forward per layer; --profile-step: the training step per kernel call (spread plan); both
in bench/kernels_profile.py.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIRMWARE = REPO / "bench" / "firmware"
TOOLCHAIN = REPO / "cmake" / "arm-none-eabi.cmake"
BUILD_ROOT = REPO / "build" / "bench"
MIN_WORK = 400_000          # MACs (or elements) per timed loop
KINDS = {"conv_fwd": 0, "conv_igrad": 1, "conv_wgrad": 2, "gemm_fwd": 3, "gemm_igrad": 4,
         "gemm_wgrad": 5, "mask_build": 6, "mask_apply": 7, "add": 8, "add_inplace": 9,
         "avgpool": 10}


@dataclass(frozen=True)
class Case:
    label: str              # layer family, e.g. "pw 32->64"
    kind: str
    size: int               # input map size (H = W); 1 for gemm/mask
    in_c: int = 1
    out_c: int = 1
    k: int = 1
    stride: int = 1
    pad: int = 0
    groups: int = 1
    dil: int = 1
    act: tuple[str, str] = ("0.0f", "6.0f")

    @property
    def out_size(self) -> int:
        return (self.size + 2 * self.pad - self.dil * (self.k - 1) - 1) // self.stride + 1

    @property
    def work(self) -> int:
        """MACs (elements for the mask kernels)."""
        if self.kind.startswith(("mask", "add")):
            return self.in_c
        if self.kind.startswith(("gemm", "avgpool")):
            return self.in_c * self.out_c
        return self.out_c * self.out_size ** 2 * (self.in_c // self.groups) * self.k * self.k

    @property
    def buffer_elems(self) -> int:
        o = self.out_size
        return max(self.in_c * self.size ** 2, self.out_c * o * o,
                   self.out_c * (self.in_c // self.groups) * self.k * self.k, self.in_c * self.out_c)


def kernel_cases(sizes: list[int]) -> list[Case]:
    cases: list[Case] = []
    for s in sizes:
        families = [
            ("pw 32->64", dict(in_c=32, out_c=64, k=1)),
            ("pw 64->24", dict(in_c=64, out_c=24, k=1)),
            ("conv3x3 16->16 p1", dict(in_c=16, out_c=16, k=3, pad=1)),
            ("conv3x3 16->32 s2 p1", dict(in_c=16, out_c=32, k=3, pad=1, stride=2)),
            ("dw3x3 48 p1", dict(in_c=48, out_c=48, k=3, pad=1, groups=48)),
            ("dw3x3 48 s2 p1", dict(in_c=48, out_c=48, k=3, pad=1, stride=2, groups=48)),
            ("dw5x5 48 p2", dict(in_c=48, out_c=48, k=5, pad=2, groups=48)),
            ("dw7x7 48 p3", dict(in_c=48, out_c=48, k=7, pad=3, groups=48)),
            ("dw5x5 48 s2 p2", dict(in_c=48, out_c=48, k=5, pad=2, stride=2, groups=48)),
            ("dw7x7 48 s2 p3", dict(in_c=48, out_c=48, k=7, pad=3, stride=2, groups=48)),
            ("stem3x3 3->16 s2 p1", dict(in_c=3, out_c=16, k=3, pad=1, stride=2)),
            ("stem3x3 1->32 p1", dict(in_c=1, out_c=32, k=3, pad=1)),
            ("conv3x3 8->16 d2 p2", dict(in_c=8, out_c=16, k=3, pad=2, dil=2)),
        ]
        for label, kw in families:
            if (s + 2 * kw.get("pad", 0) - kw["k"]) // kw.get("stride", 1) + 1 < 1:
                continue
            for kind in ("conv_fwd", "conv_igrad", "conv_wgrad"):
                cases.append(Case(label, kind, s, **kw))
    for i, o in ((256, 64), (64, 10), (448, 10), (32, 2), (10, 10), (256, 2), (1280, 2), (128, 3), (100, 7)):
        for kind in ("gemm_fwd", "gemm_igrad", "gemm_wgrad"):
            cases.append(Case(f"gemm {i}->{o}", kind, 1, in_c=i, out_c=o))
    for n in (4096,):
        for kind in ("mask_build", "mask_apply"):
            cases.append(Case(f"relu6 mask n={n}", kind, 1, in_c=n))
    return cases


def cases_header(cases: list[Case]) -> str:
    buf = max(c.buffer_elems for c in cases) + 64
    lines = ["#include \"medyate/kernels.h\"",
             *(f"#define BENCH_{k.upper()} {v}" for k, v in KINDS.items()),
             "typedef struct { uint8_t kind; mdy_conv_params_t p; uint32_t in_f, out_f, n_sel, reps; } bench_case_t;",
             f"#define BENCH_BUF_ELEMS {buf}u", f"#define BENCH_N_CASES {len(cases)}u",
             "static const bench_case_t BENCH_CASES[] = {"]
    for c in cases:
        o = c.out_size
        reps = max(1, -(-MIN_WORK // c.work))
        p = (f"{{{c.in_c}, {c.size}, {c.size}, {c.out_c}, {o}, {o}, {c.k}, {c.k}, {c.stride}, "
             f"{c.stride}, {c.pad}, {c.pad}, {c.dil}, {c.dil}, {c.groups}, {c.act[0]}, {c.act[1]}}}")
        lines.append(f"  {{{KINDS[c.kind]}, {p}, {c.in_c}, {c.out_c}, {c.in_c}, {reps}u}},")
    lines.append("};")
    return "\n".join(lines) + "\n"


def build(build_dir: Path, cases_dir: Path, model_dir: Path | None, opt: str) -> Path:
    args = ["cmake", "-G", "Ninja", "-S", str(FIRMWARE), "-B", str(build_dir),
            f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN}", f"-DCASES_DIR={cases_dir}",
            f"-DBENCH_MODEL_DIR={model_dir or ''}", f"-DBENCH_OPT={opt}",
            "-DCMAKE_BUILD_TYPE="]
    subprocess.run(args, check=True, capture_output=True, text=True)
    done = subprocess.run(["cmake", "--build", str(build_dir)], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stdout[-4000:] + done.stderr[-4000:])
    return build_dir / "bench.elf"


def run_qemu(elf: Path, timeout_s: float = 600.0) -> dict[int, tuple[int, int]]:
    """case -> (reps, instructions); raises on a fault or a missing DONE."""
    text = run_qemu_text(elf, timeout_s)
    results = {}
    for line in text.splitlines():
        if line.startswith("R "):
            _, idx, reps, instr = line.split()
            results[int(idx)] = (int(reps), int(instr))
    return results


def run_qemu_text(elf: Path, timeout_s: float = 600.0) -> str:
    """The firmware's UART output; raises on a fault or a missing DONE."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "uart.txt"
        cmd = ["qemu-system-arm", "-M", "mps2-an386", "-display", "none", "-monitor", "none",
               "-serial", f"file:{out}", "-semihosting-config", "enable=on,target=native",
               "-icount", "shift=0,align=off,sleep=off", "-kernel", str(elf)]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        try:
            proc.wait(timeout=timeout_s)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        text = out.read_text()
    if "DONE" not in text:
        raise RuntimeError(f"bench firmware did not finish: {text[-500:]!r}")
    return text


def fill_values(n: int, seed: int) -> "np.ndarray":
    """bench_main.c fill(): the same LCG, the same float conversion (all exact), so a
    check can rebuild the inputs the firmware ran on."""
    import numpy as np

    s = (seed * 2654435761 + 1) & 0xFFFFFFFF
    out = np.empty(n, np.float32)
    for i in range(n):
        s = (s * 1664525 + 1013904223) & 0xFFFFFFFF
        out[i] = np.float32(s >> 8) * np.float32(1.0 / 8388608.0) - np.float32(1.0)
    return out


def run_check(cases: list[Case], work: Path, timeout_s: float = 300.0) -> dict[int, "np.ndarray"]:
    """The bench firmware in check mode (-O2): every case runs once on the fill()
    inputs and prints its output as hex words; returns case index -> float32 output."""
    import numpy as np

    (work / "cases.h").write_text("#define BENCH_CHECK 1\n" + cases_header(cases))
    text = run_qemu_text(build(work / "build", work, None, "-O2"), timeout_s=timeout_s)
    outputs = {}
    for line in text.splitlines():
        if line.startswith("O "):
            _, idx, n, *words = line.split()
            assert len(words) == int(n), line[:80]
            outputs[int(idx)] = np.array([int(v, 16) for v in words], np.uint32).view(np.float32)
    assert sorted(outputs) == list(range(len(cases))), "the check firmware skipped cases"
    return outputs


def measure_kernels(sizes: list[int], opt: str) -> list[tuple[Case, float]]:
    cases = kernel_cases(sizes)
    cases_dir = BUILD_ROOT / f"kernels{opt}"
    cases_dir.mkdir(parents=True, exist_ok=True)
    (cases_dir / "cases.h").write_text(cases_header(cases))
    elf = build(cases_dir / "build", cases_dir, None, opt)
    res = run_qemu(elf)
    size = subprocess.run(["arm-none-eabi-size", "-t", str(elf.parent / "runtime_c" / "libmedyate_runtime.a")],
                          capture_output=True, text=True, check=True).stdout.splitlines()[-1].split()
    print(f"runtime_c code size ({opt}): {int(size[0]):,} B text, {int(size[1]):,} B data\n")
    o_reps, o_instr = res[0xFFFF]
    per_rep_overhead = o_instr / o_reps
    out = []
    for i, c in enumerate(cases):
        reps, instr = res[i]
        out.append((c, (instr - per_rep_overhead * reps) / reps / c.work))
    return out


LIMIT = 4.0   # issue #10: no kernel above 4 instr/MAC at any map size down to 2x2
WIDE = 14     # more sizes than this print as a per-row summary, not a column each


def print_sweep_summary(families: dict[str, dict[int, float]]) -> None:
    """One row per kernel: its worst instr/MAC over the swept sizes, where, and every
    size above LIMIT."""
    print("| kernel | worst | at | sizes above 4 |")
    print("|---|---:|---|---|")
    for name, vals in families.items():
        size, worst = max(vals.items(), key=lambda kv: kv[1])
        over = ", ".join(str(s) for s, v in vals.items() if v > LIMIT) or "none"
        print(f"| {name} | {worst:.2f} | {size}x{size} | {over} |", flush=True)


def print_kernel_table(rows: list[tuple[Case, float]], sizes: list[int]) -> None:
    families: dict[tuple[str, str], dict[int, float]] = {}
    for c, v in rows:
        families.setdefault((c.label, c.kind), {})[c.size] = v
    per_mac = {k: v for k, v in families.items() if not k[1].startswith("mask")}
    if len(sizes) > WIDE:
        print_sweep_summary({f"{label} {kind}": vals for (label, kind), vals in per_mac.items()})
    else:
        print("| layer | kernel | " + " | ".join(f"{s}x{s}" for s in sizes) + " |")
        print("|" + "---|" * (2 + len(sizes)))
        for (label, kind), vals in families.items():
            if kind.startswith(("gemm", "mask")):
                cells = [f"{vals[1]:.2f}"] + [""] * (len(sizes) - 1)
            else:
                cells = [f"{vals[s]:.2f}" if s in vals else "-" for s in sizes]
            print(f"| {label} | {kind} | " + " | ".join(cells) + " |")
    for (label, kind), vals in families.items():
        if kind.startswith("mask") and len(sizes) > WIDE:
            print(f"{label} {kind}: {vals[1]:.2f} instr/element")
    (label, kind), vals = max(per_mac.items(), key=lambda kv: max(kv[1].values()))
    size, worst = max(vals.items(), key=lambda kv: kv[1])
    print(f"\nworst kernel: {label} {kind} at {size}x{size}: {worst:.2f} instr/MAC")


# ---------------------------------------------------------------------------- models
def model_specs() -> list[tuple[str, Path | None, object, tuple[int, ...]]]:
    """(name, shipped onnx or None, torch constructor or None, input shape)."""
    sys.path.insert(0, str(REPO / "tests"))
    import zoo  # noqa: E402  (tests/zoo.py: the test-model builders)

    mbv2 = zoo.MobileNetV2Like
    specs: list[tuple[str, Path | None, object, tuple[int, ...]]] = [
        ("mbv2_mnist (shipped) 28x28", REPO / "models" / "mbv2_mnist.onnx", None, (1, 1, 28, 28)),
        ("cnn4_mnist (shipped) 28x28", REPO / "models" / "cnn4_mnist.onnx", None, (1, 1, 28, 28)),
    ]
    for name, ctor, shape in zoo.zoo_models():
        if name != "plain_cnn_softmax":
            specs.append((f"{name} (zoo) {shape[2]}x{shape[3]}",
                          None, lambda n=name: zoo.build_model(n), shape))
    specs += [
        ("MobileNetV2-w0.35 32x32", None, lambda: mbv2(3, stem=16, head=448, blocks=[
            (1, 8, 1, 3), (6, 8, 2, 3), (6, 8, 1, 3), (6, 16, 2, 3), (6, 16, 1, 3),
            (6, 16, 1, 3), (6, 24, 2, 3), (6, 24, 1, 3), (6, 24, 1, 3), (6, 24, 1, 3),
            (6, 32, 1, 3), (6, 32, 1, 3), (6, 32, 1, 3), (6, 56, 2, 3), (6, 56, 1, 3),
            (6, 56, 1, 3), (6, 112, 1, 3)]), (1, 3, 32, 32)),
        ("MCUNet-like 48x48", None, lambda: mbv2(3, stem=16, head=160, blocks=[
            (1, 8, 1, 3), (4, 16, 2, 7), (3, 16, 1, 3), (4, 24, 2, 5), (3, 24, 1, 7),
            (4, 40, 2, 7), (3, 40, 1, 5), (5, 48, 1, 5), (5, 96, 2, 7), (4, 96, 1, 5)]),
         (1, 3, 48, 48)),
        ("ProxylessNAS-like 32x32", None, lambda: mbv2(3, stem=16, head=320, blocks=[
            (1, 16, 1, 3), (3, 24, 2, 5), (3, 24, 1, 3), (6, 40, 2, 7), (3, 40, 1, 3),
            (6, 80, 2, 5), (3, 80, 1, 5), (6, 96, 1, 5), (6, 192, 2, 7)]), (1, 3, 32, 32)),
        ("ResNet-8 32x32", None, lambda: _resnet8(zoo), (1, 3, 32, 32)),
        ("plain 3x3 CNN 28x28", None, lambda: zoo.CNN4(1), (1, 1, 28, 28)),
    ]
    return specs


def _resnet8(zoo):  # type: ignore[no-untyped-def]
    import torch.nn as nn

    class ResNet8(nn.Module):
        """Stem + 3 basic blocks (16, 32, 64 channels), the MLPerf Tiny ResNet-8."""

        def __init__(self) -> None:
            super().__init__()
            self.stem = zoo.conv_bn(3, 16, 3, activation=nn.ReLU)
            self.blocks = nn.Sequential(zoo.BasicBlock(16, 16, 1), zoo.BasicBlock(16, 32, 2),
                                        zoo.BasicBlock(32, 64, 2))
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(64, 10)

        def forward(self, x):  # type: ignore[no-untyped-def]
            import torch
            return self.fc(torch.flatten(self.pool(self.blocks(self.stem(x))), 1))

    return ResNet8()


def model_macs(graph) -> int:  # type: ignore[no-untyped-def]
    total = 0
    for node in graph.trainable_layers():
        w = graph.tensors[node.inputs[1]].shape
        out = graph.tensors[node.outputs[0]].shape
        if node.op == "conv":
            total += int(out[0] * out[1] * out[2]) * int(w[1] * w[2] * w[3])
        else:
            total += int(w[0] * w[1])
    return total


def _schedule(layers, pool: int, deep_first: bool) -> list[int]:  # type: ignore[no-untyped-def]
    """Channel counts filling `pool`, one channel per layer per round: from the first
    layer ("spread": the backward reaches the first layer) or from the last ("deep":
    the pool fills the deepest layers and the backward stops early)."""
    order = list(range(len(layers)))[::-1] if deep_first else list(range(len(layers)))
    counts = [0] * len(layers)
    used, grew = 0, True
    while grew:
        grew = False
        for i in order:
            l = layers[i]
            if counts[i] < l.in_channels and used + l.channel_cost_bytes <= pool:
                counts[i] += 1
                used += l.channel_cost_bytes
                grew = True
                if deep_first:
                    break       # deep: fill the deepest layer that still has room first
    return counts


def measure_model(name: str, onnx: Path, opt: str, budget: int = 32 * 1024
                  ) -> dict[str, float]:
    """Forward and training step (plan: every Conv/Gemm, biases frozen, 32 KiB pool)
    under two schedules: "spread" and "deep" (see _schedule)."""
    from medyate.codegen.compiler import compile_model
    from medyate.codegen.emit_c import pool_bytes_for
    from medyate.codegen.frontend import load_graph
    from medyate.codegen.plan import Plan, resolve_layers

    graph = load_graph(onnx)
    plan = Plan.all_layers(graph, budget)
    plan.layers = [dict(entry, bias=False) for entry in plan.layers]
    layers = resolve_layers(graph, plan)
    slug = "".join(ch if ch.isalnum() else "_" for ch in name)
    work = BUILD_ROOT / f"model_{slug}{opt}"
    compile_model(onnx, plan, work / "model", graph=graph)
    pool = pool_bytes_for(layers, budget)
    result: dict[str, float] = {"macs": model_macs(graph)}
    for label, deep in (("spread", False), ("deep", True)):
        counts = _schedule(layers, pool, deep)
        chans = [c for n in counts for c in range(n)]
        header = ("#include <stdint.h>\n"
                  f"static const uint16_t BENCH_SCHED_COUNTS[] = {{{', '.join(map(str, counts))}}};\n"
                  f"static const uint16_t BENCH_SCHED_CHANNELS[] = {{{', '.join(map(str, chans))}}};\n"
                  "#define BENCH_REPS 2u\n")
        cases = work / label
        cases.mkdir(parents=True, exist_ok=True)
        (cases / "cases.h").write_text(header)
        res = run_qemu(build(cases / "build", cases, work / "model", opt))
        result["fwd"] = res[0][1] / res[0][0]
        result[f"step_{label}"] = res[1][1] / res[1][0]
        result[f"trained_{label}"] = sum(counts) / sum(l.in_channels for l in layers)
    return result


def model_onnx(name: str, onnx: Path | None, ctor: object, shape: tuple[int, ...]) -> Path:
    """The shipped file, or the test model exported once into build/bench/onnx."""
    if onnx is not None:
        return onnx
    sys.path.insert(0, str(REPO / "tests"))
    import zoo  # noqa: E402

    slug = "".join(ch if ch.isalnum() else "_" for ch in name)
    onnx = BUILD_ROOT / "onnx" / f"{slug}.onnx"
    if not onnx.is_file():
        import torch
        torch.manual_seed(0)
        model = ctor()  # type: ignore[operator]
        zoo.randomise_batchnorm(model, torch.Generator().manual_seed(1))
        zoo.export_onnx(model.eval(), onnx, shape)
    return onnx


def measure_models(opt: str, only: str | None) -> list[tuple[str, dict[str, float]]]:
    rows = []
    for name, onnx, ctor, shape in model_specs():
        if only and only not in name:
            continue
        rows.append((name, measure_model(name, model_onnx(name, onnx, ctor, shape), opt)))
        print_model_row(*rows[-1])
    return rows


def print_model_row(name: str, r: dict[str, float]) -> None:
    print(f"| {name} | {r['macs']:,} | {r['fwd']:,.0f} | {r['fwd'] / r['macs']:.2f} | "
          f"{r['step_spread'] / r['fwd']:.2f} ({100 * r['trained_spread']:.1f}%) | "
          f"{r['step_deep'] / r['fwd']:.2f} ({100 * r['trained_deep']:.1f}%) |", flush=True)


def print_model_header() -> None:
    print("| model | MACs | forward instr | forward instr/MAC | step/forward, spread (channels) "
          "| step/forward, deep (channels) |")
    print("|---|---:|---:|---:|---:|---:|", flush=True)


def parse_sizes(text: str) -> list[int]:
    """'all' = every map size from 32 down to 2; else a comma-separated list."""
    if text.strip() == "all":
        return list(range(32, 1, -1))
    return [int(s) for s in text.split(",")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernels", action="store_true")
    ap.add_argument("--models", action="store_true")
    ap.add_argument("--only", help="models whose name contains this")
    ap.add_argument("--profile", action="store_true",
                    help="per-layer forward breakdown of the models (--only filters)")
    ap.add_argument("--profile-step", action="store_true",
                    help="per-kernel breakdown of the training step on the spread plan "
                         "(--only filters)")
    ap.add_argument("--opt", default="-O2", help="optimisation flag (-O2, -O3, -Os)")
    ap.add_argument("--sizes", default="32,16,8,4,2",
                    help="comma-separated map sizes, or 'all' for every size 2..32 (the "
                         "'no kernel above 4 at any size' check; its worst row is printed)")
    ap.add_argument("--int8", action="store_true",
                    help="the int8 kernel table instead (bench/kernels_s8.py)")
    args = ap.parse_args()
    if args.int8:
        sys.path.insert(0, str(REPO / "bench"))
        import kernels_s8  # noqa: E402  (int8 cases: their own firmware mode and table)
        return kernels_s8.main([f"--opt={args.opt}", f"--sizes={args.sizes}"])
    both = not (args.kernels or args.models or args.profile or args.profile_step)
    sizes = parse_sizes(args.sizes)
    t0 = time.time()
    print(f"# QEMU mps2-an386 -icount shift=0: guest instructions (not cycles), {args.opt}\n")
    if args.kernels or both:
        print_kernel_table(measure_kernels(sizes, args.opt), sizes)
        print()
    if args.profile or args.profile_step:
        from kernels_profile import profile_model, profile_step  # noqa: E402  (bench/)
    if args.profile:
        for name, onnx, ctor, shape in model_specs():
            if not args.only or args.only in name:
                profile_model(name, model_onnx(name, onnx, ctor, shape), args.opt)
    if args.profile_step:
        for name, onnx, ctor, shape in model_specs():
            if not args.only or args.only in name:
                profile_step(name, model_onnx(name, onnx, ctor, shape), args.opt)
    if args.models or both:
        print_model_header()     # rows print as each model finishes
        measure_models(args.opt, args.only)
    print(f"\n({time.time() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
