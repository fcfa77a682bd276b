"""Per-call breakdown of the int8 model forward (bench/kernels_s8.py --models):

    python bench/kernels_s8_profile.py [--only NAME] [--opt -O2] [--reps 4] [--split]

The model is compiled as bench/kernels_s8.py measure_int8_model does (`--frozen int8`,
only the last Conv/Gemm trainable, calibrated on 8 random inputs). A copy of its model.c
times every kernel call of train_body (the same calls as forward_body, then the step's
own) and model_quantize_input with board_timer_read() (QEMU -icount shift=0, SysTick =
40 instructions; the timer's own cost, measured on 64 empty timed statements, is
subtracted per call); the timed calls add up to the uninstrumented model_forward. The C
path each mdy_conv2d_s8 call took comes from the linker: the firmware is linked with
--wrap for every internal int8 conv path (mdy_conv_s8_*) and the wrappers in the copy of
model.c record which path returned 1 (the depthwise 1x1-map case, a static helper, is
named from the shape; im2col's strips count as im2col).
--split also times mdy_s8_dot_rows (the SMLAD micro-kernel of the im2col / stem paths)
inside each call, so an im2col call splits into column gathering + packing vs the dot
products (each timed dot_rows call adds a timer read; its calibrated cost is subtracted
from the dot_rows column, not from the call's). Instructions, not cycles.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kernels as fk  # noqa: E402  (firmware run, model specs)
from kernels_s8 import BUILD_ROOT, FIRMWARE, TOOLCHAIN  # noqa: E402

# internal conv paths: wrapped at link time, bit i of the call's path mask
CALIB = 64     # empty timed statements per step: the timer's own cost (40-instruction ticks)
PATHS = ["depthwise", "dw3s2", "dw_tiny", "dw3_small", "dw_strip", "stem1", "stem", "im2col"]
_STMT = re.compile(r"^(\s+)((?:if \([^{]*\) \{ )?(?:\w+ = )?(mdy_\w+|memcpy)\((.*))$")
_PARAMS = re.compile(r"^static const mdy_conv_params_t (P\d+) = \{ ([^}]*) \};")
_FUNCS = ("static int train_body(", "static int forward_body(", "void model_quantize_input(")


def _wrappers(split: bool) -> str:
    lines = ["volatile uint32_t bench_path;"]
    for i, name in enumerate(PATHS):
        fn = f"mdy_conv_s8_{name}"
        sig = ("const void *in, const void *p, const void *q, const void *w, "
               "const void *b, void *out")
        lines += [f"int __real_{fn}({sig});", f"int __wrap_{fn}({sig});",
                  f"int __wrap_{fn}({sig})",
                  f"{{ const int r = __real_{fn}(in, p, q, w, b, out); "
                  f"if (r) {{ bench_path |= {1 << i}u; }} return r; }}"]
    if split:   # dot_rows time into bench_dot (the caller's interval still includes it)
        sig = ("const void *blk, uint32_t n_col, uint32_t k, const void *w, uint32_t n_out, "
               "const void *bias, const void *q, const void *mult, const void *shift, "
               "void *out, unsigned int stride")
        args = "blk, n_col, k, w, n_out, bias, q, mult, shift, out, stride"
        lines += ["uint64_t bench_dot; uint32_t bench_dot_calls;",
                  f"void __real_mdy_s8_dot_rows({sig});",
                  f"void __wrap_mdy_s8_dot_rows({sig});",
                  f"void __wrap_mdy_s8_dot_rows({sig})",
                  "{ const uint64_t t0 = board_timer_read(); "
                  f"__real_mdy_s8_dot_rows({args}); "
                  "bench_dot += board_timer_read() - t0; ++bench_dot_calls; }"]
    return "\n".join(lines) + "\n"


def instrument(src: str, split: bool) -> tuple[str, list[tuple[str, str]]]:
    """model.c with every kernel call of train_body / model_quantize_input timed into
    bench_prof[i] (its path mask into bench_prof[n + i], dot_rows time into
    bench_prof[2n + i] with --split); labels [(function, argument text)]. Index 0 is an
    empty timed statement (the timer's own cost)."""
    out, labels, inside = [], [("(timer)", "")], ""
    for line in src.splitlines():
        if any(line.startswith(f) for f in _FUNCS):
            inside = line
        elif inside and line.startswith("}"):
            inside = ""
        m = _STMT.match(line) if inside and "forward_body" not in inside else None
        if m and (m.group(2).endswith(";") or m.group(2).endswith("}")):
            labels.append((m.group(3), m.group(4)))
            i = len(labels) - 1
            pre = "bench_path = 0u; " + ("bench_dot = 0u; " if split else "")
            post = (f" bench_prof[{i}] += bench_t1 - bench_t0; "
                    f"bench_prof[BENCH_N + {i}] |= bench_path;" +
                    (f" bench_prof[2u * BENCH_N + {i}] += bench_dot;"
                     f" bench_prof[3u * BENCH_N + {i}] += bench_dot_calls; bench_dot_calls = 0u;"
                     if split else ""))
            line = (f"{m.group(1)}{{ {pre}const uint64_t bench_t0 = board_timer_read(); "
                    f"{m.group(2)} const uint64_t bench_t1 = board_timer_read();{post} }}")
            if i == 1:   # the calibration ahead of the first call: CALIB empty statements
                line = (f"{m.group(1)}for (uint32_t bench_k = 0; bench_k < {CALIB}u; ++bench_k) {{ "
                        "bench_path = 0u; const uint64_t bench_t0 = board_timer_read(); "
                        "const uint64_t bench_t1 = board_timer_read(); "
                        "bench_prof[0] += bench_t1 - bench_t0; }\n" + line)
        out.append(line)
    n = len(labels)
    head = ("#include <stdint.h>\nuint64_t board_timer_read(void);\n"
            f"#define BENCH_N {n}u\nuint64_t bench_prof[{(4 if split else 2) * n}];\n" +
            _wrappers(split))
    return head + "\n".join(out) + "\n", labels


def _conv_params(src: str) -> dict[str, list[int]]:
    return {m.group(1): [int(v) for v in m.group(2).split(",")[:15]]
            for m in map(_PARAMS.match, src.splitlines()) if m}


def describe(fn: str, args: str, params: dict[str, list[int]]) -> tuple[str, int]:
    """(shape label, MACs) of one call."""
    if fn == "mdy_conv2d_s8":
        p = params[re.search(r"&(P\d+)", args).group(1)]   # type: ignore[union-attr]
        in_c, in_h, in_w, out_c, oh, ow, kh, kw, sh, sw, pt, pl, dh, dw, g = p
        kind = "dw" if g == in_c == out_c and g > 1 else ("pw" if kh == kw == 1 else "conv")
        lab = f"{kind}{kh}x{kw} {in_c}->{out_c} @{in_h}x{in_w}" + (f" s{sh}" if sh > 1 else "")
        return lab, out_c * oh * ow * (in_c // g) * kh * kw
    if fn in ("mdy_gemm_s8", "mdy_gemm_f32"):
        a = [s.strip() for s in args.split(",")]
        i, o = int(a[1].rstrip("u")), int(a[2].rstrip("u"))
        return f"gemm {i}->{o}", i * o
    nums = re.findall(r"\b(\d+)u\b", args)
    return (f"n={nums[0]}" if nums else ""), 0


def run(elf: Path) -> dict[int, tuple[int, int]]:
    return fk.run_qemu(elf)


def build(bdir: Path, cases: Path, model: Path, opt: str, split: bool) -> Path:
    wraps = [f"mdy_conv_s8_{p}" for p in PATHS] + (["mdy_s8_dot_rows"] if split else [])
    flags = " ".join(f"-Wl,--wrap={w}" for w in wraps)
    subprocess.run(["cmake", "-G", "Ninja", "-S", str(FIRMWARE), "-B", str(bdir),
                    f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN}", f"-DCASES_DIR={cases}",
                    f"-DBENCH_MODEL_DIR={model}", f"-DBENCH_OPT={opt}",
                    f"-DCMAKE_EXE_LINKER_FLAGS={flags}", "-DCMAKE_BUILD_TYPE="],
                   check=True, capture_output=True, text=True)
    done = subprocess.run(["cmake", "--build", str(bdir)], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stdout[-4000:] + done.stderr[-4000:])
    return bdir / "bench.elf"


def path_name(fn: str, mask: int, p: list[int] | None = None) -> str:
    if fn != "mdy_conv2d_s8":
        return {"mdy_gemm_f32": "float gemm (trainable)"}.get(fn, fn.replace("mdy_", ""))
    hit = [PATHS[i] for i in range(len(PATHS)) if mask >> i & 1]
    if "depthwise" in hit:
        sub = [h for h in hit if h != "depthwise"]
        if not sub and p and p[1:3] == [1, 1] and p[4:6] == [1, 1] and p[12:14] == [1, 1]:
            return "dw one (1x1 map)"      # static inside mdy_conv_s8_depthwise.c
        return "dw " + (sub[0] if sub else "any (int16 rows)")
    return hit[0] if hit else "generic (per-tap loop)"


def profile(name: str, onnx: Path, shape: tuple[int, ...], opt: str, reps: int,
            split: bool) -> None:
    from medyate.codegen.compiler import compile_model
    from medyate.codegen.frontend import load_graph
    from medyate.codegen.plan import Plan
    from medyate.codegen.quantize import apply_frozen

    graph = load_graph(onnx)
    plan = Plan.all_layers(graph, 32 * 1024)
    plan.layers = [dict(plan.layers[-1], bias=False)]
    calib = np.random.default_rng(0).normal(0, 1, (8, *shape[1:])).astype(np.float32)
    qgraph = apply_frozen(graph, plan, "int8", calib)
    slug = "".join(ch if ch.isalnum() else "_" for ch in name)
    work = BUILD_ROOT / f"int8prof_{slug}{opt}{'_split' if split else ''}"
    compile_model(onnx, plan, work / "model", graph=qgraph)
    src = (work / "model" / "model.c").read_text()
    params = _conv_params(src)
    fwd_stmts = set()
    in_fwd = False
    for line in src.splitlines():       # the forward's own calls (train_body adds the step's)
        in_fwd = line.startswith("static int forward_body(") or (in_fwd and not line.startswith("}"))
        m = _STMT.match(line) if in_fwd else None
        if m:
            fwd_stmts.add((m.group(3), m.group(4)))
    text, labels = instrument(src, split)
    (work / "model" / "model.c").write_text(text)
    n = len(labels)
    cases = work / "fwd"
    cases.mkdir(parents=True, exist_ok=True)
    (cases / "cases.h").write_text(
        "#include <stdint.h>\nstatic const uint16_t BENCH_SCHED_COUNTS[] = {1};\n"
        "static const uint16_t BENCH_SCHED_CHANNELS[] = {0};\n"
        f"#define BENCH_REPS {reps}u\n#define BENCH_PROFILE_STEP {(4 if split else 2) * n}u\n")
    shutil.rmtree(cases / "build", ignore_errors=True)
    res = run(build(cases / "build", cases, work / "model", opt, split))
    fwd_total = res[0][1] / res[0][0]
    timer = res[100][1] / reps / CALIB
    macs_all = float(fk.model_macs(graph))
    rows = []
    for i in range(1, n):
        fn, args = labels[i]
        if fn != "mdy_quantize_s8" and (fn, args) not in fwd_stmts:
            continue                                   # the training step's own statements
        v = res[100 + i][1] / reps - timer
        lab, macs = describe(fn, args, params)
        dot = (res[100 + 2 * n + i][1] / reps, res[100 + 3 * n + i][1] / reps) if split else None
        pm = re.search(r"&(P\d+)", args) if fn == "mdy_conv2d_s8" else None
        path = path_name(fn, res[100 + n + i][1], params[pm.group(1)] if pm else None)
        rows.append((fn, lab, macs, v, path, dot))
    total = sum(r[3] for r in rows)
    print(f"## {name}: int8 forward {fwd_total:,.0f} instr (uninstrumented model_forward), "
          f"{macs_all:,.0f} MACs, {fwd_total / macs_all:.2f} instr/MAC; timed calls sum "
          f"{total:,.0f} (timer read {timer:.1f} subtracted per call)\n")
    hdr = "| # | call | shape | C path | MACs | instr | instr/MAC | share |"
    if split:
        hdr += " dot_rows instr (calls) |"
    print(hdr)
    print("|---:|---|---|---|---:|---:|---:|---:|" + ("---:|" if split else ""))
    for k, (fn, lab, macs, v, path, dot) in enumerate(rows):
        ipm = f"{v / macs:.2f}" if macs else "-"
        line = (f"| {k} | {fn.replace('mdy_', '')} | {lab} | {path} | {macs:,} | {v:,.0f} | "
                f"{ipm} | {100 * v / total:.1f}% |")
        if split:
            line += (f" {dot[0] - dot[1] * timer:,.0f} ({dot[1]:,.0f}) |" if dot and dot[1] else " |")
        print(line)
    groups: dict[str, list[float]] = {}
    for fn, lab, macs, v, path, _ in rows:
        key = f"{fn.replace('mdy_', '')}: {path}" if fn == "mdy_conv2d_s8" else fn.replace("mdy_", "")
        g = groups.setdefault(key, [0.0, 0.0, 0.0])
        g[0] += v
        g[1] += macs
        g[2] += 1
    print("\n| kernel: C path | calls | MACs | instr | instr/MAC | share |")
    print("|---|---:|---:|---:|---:|---:|")
    for key, (v, macs, cnt) in sorted(groups.items(), key=lambda kv: -kv[1][0]):
        ipm = f"{v / macs:.2f}" if macs else "-"
        print(f"| {key} | {cnt:.0f} | {macs:,.0f} | {v:,.0f} | {ipm} | {100 * v / total:.1f}% |")
    print(flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--opt", default="-O2")
    ap.add_argument("--only", help="models whose name contains this")
    ap.add_argument("--reps", type=int, default=4)
    ap.add_argument("--split", action="store_true", help="also time mdy_s8_dot_rows per call")
    args = ap.parse_args(argv)
    for name, onnx, ctor, shape in fk.model_specs():
        if args.only and args.only not in name:
            continue
        profile(name, fk.model_onnx(name, onnx, ctor, shape), shape, args.opt, args.reps, args.split)
    return 0


if __name__ == "__main__":
    sys.exit(main())
