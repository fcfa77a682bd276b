"""Per-layer and per-kernel breakdowns for bench/kernels.py (--profile, --profile-step):
the forward of a model as one kernel case per Conv/Gemm layer, and one training step
timed per kernel call in an instrumented copy of the generated model.c. QEMU
instructions (-icount shift=0), not cycles."""
from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kernels import BUILD_ROOT, Case, _schedule, build, cases_header, run_qemu  # noqa: E402


def _c_float(v: float) -> str:
    return "__builtin_inff()" if v == float("inf") else (
        "(-__builtin_inff())" if v == float("-inf") else f"{float(v)!r}f")


def layer_cases(graph) -> list[Case]:  # type: ignore[no-untyped-def]
    """Every conv/gemm of the optimised graph as a kernel case (forward only)."""
    cases: list[Case] = []
    for node in graph.nodes:
        if node.op not in ("conv", "gemm"):
            continue
        w = graph.tensors[node.inputs[1]].shape
        act = node.attrs.get("act") or (float("-inf"), float("inf"))
        act_c = (_c_float(act[0]), _c_float(act[1]))
        if node.op == "gemm":
            cases.append(Case(f"gemm {w[1]}->{w[0]}", "gemm_fwd", 1, in_c=int(w[1]),
                              out_c=int(w[0]), act=act_c))
            continue
        x = graph.tensors[node.inputs[0]].shape
        a = node.attrs
        pads = set(a["pads"])
        if x[1] != x[2] or w[2] != w[3] or len(pads) > 1 or len(set(a["strides"])) > 1:
            print(f"(skipped {node.name}: not square / symmetric)")
            continue
        g = int(a["group"])
        kind = "dw" if g == x[0] == w[0] and g > 1 else ("pw" if w[2] == 1 else "conv")
        label = (f"{kind}{w[2]}x{w[3]} {x[0]}->{w[0]} @{x[1]}" +
                 (f" s{a['strides'][0]}" if a["strides"][0] > 1 else "") +
                 (f" p{a['pads'][0]}" if a["pads"][0] else "") +
                 ("" if node.attrs.get("act") is None else f" clamp{tuple(act)}"))
        cases.append(Case(label, "conv_fwd", int(x[1]), in_c=int(x[0]), out_c=int(w[0]),
                          k=int(w[2]), stride=int(a["strides"][0]), pad=int(a["pads"][0]),
                          groups=g, dil=int(a["dilations"][0]), act=act_c))
    return cases


def profile_model(name: str, onnx: Path, opt: str) -> None:
    """Per-layer forward instructions: each conv/gemm of the model timed as a kernel case
    (the same kernel, shape and fused clamp as in the generated model.c)."""
    from medyate.codegen.frontend import load_graph

    cases = layer_cases(load_graph(onnx))
    slug = "".join(ch if ch.isalnum() else "_" for ch in name)
    cases_dir = BUILD_ROOT / f"profile_{slug}{opt}"
    cases_dir.mkdir(parents=True, exist_ok=True)
    (cases_dir / "cases.h").write_text(cases_header(cases))
    res = run_qemu(build(cases_dir / "build", cases_dir, None, opt))
    o_reps, o_instr = res[0xFFFF]
    rows = []
    for i, c in enumerate(cases):
        reps, instr = res[i]
        rows.append((c, (instr - o_instr / o_reps * reps) / reps))
    total = sum(v for _, v in rows)
    macs = sum(c.work for c, _ in rows)
    print(f"## {name}: conv/gemm layers {total:,.0f} instr, {macs:,} MACs, "
          f"{total / macs:.2f} instr/MAC\n")
    print("| # | layer | MACs | instr | instr/MAC | share |")
    print("|---:|---|---:|---:|---:|---:|")
    for i, (c, v) in enumerate(rows):
        print(f"| {i} | {c.label} | {c.work:,} | {v:,.0f} | {v / c.work:.2f} | "
              f"{100 * v / total:.1f}% |")
    print(flush=True)


_STEP_STMT = re.compile(r"^(\s+)((?:if \([^{]*\) \{ )?(?:\w+ = )?(mdy_\w+|memcpy)\((.*))$")


def instrument_train_body(src: str) -> tuple[str, list[str]]:
    """model.c with every kernel call of train_body timed into bench_prof[i]; the labels."""
    out, labels, inside = [], [], False
    for line in src.splitlines():
        if line.startswith("static int train_body("):
            inside = True
        elif inside and line.startswith("}"):
            inside = False
        m = _STEP_STMT.match(line) if inside else None
        if m and m.group(2).endswith(";") or (m and m.group(2).endswith("}")):
            labels.append(f"{m.group(3)}({m.group(4)[:70]}")
            line = (f"{m.group(1)}{{ const uint64_t bench_t0 = board_timer_read(); "
                    f"{m.group(2)} bench_prof[{len(labels) - 1}] += board_timer_read() - bench_t0; }}")
        out.append(line)
    head = ("#include <stdint.h>\nuint64_t board_timer_read(void);\n"
            f"uint64_t bench_prof[{max(1, len(labels))}];\n")
    return head + "\n".join(out) + "\n", labels


def profile_step(name: str, onnx: Path, opt: str, budget: int = 32 * 1024) -> None:
    """Per-statement instructions of one training step (model_train_sample) on the
    "spread" plan: a copy of model.c with each kernel call of train_body timed."""
    from medyate.codegen.compiler import compile_model
    from medyate.codegen.emit_c import pool_bytes_for
    from medyate.codegen.frontend import load_graph
    from medyate.codegen.plan import Plan, resolve_layers

    graph = load_graph(onnx)
    plan = Plan.all_layers(graph, budget)
    plan.layers = [dict(entry, bias=False) for entry in plan.layers]
    layers = resolve_layers(graph, plan)
    slug = "".join(ch if ch.isalnum() else "_" for ch in name)
    work = BUILD_ROOT / f"stepprof_{slug}{opt}"
    compile_model(onnx, plan, work / "model", graph=graph)
    src, labels = instrument_train_body((work / "model" / "model.c").read_text())
    (work / "model" / "model.c").write_text(src)
    counts = _schedule(layers, pool_bytes_for(layers, budget), False)
    chans = [c for n in counts for c in range(n)]
    cases = work / "spread"
    cases.mkdir(parents=True, exist_ok=True)
    (cases / "cases.h").write_text(
        "#include <stdint.h>\n"
        f"static const uint16_t BENCH_SCHED_COUNTS[] = {{{', '.join(map(str, counts))}}};\n"
        f"static const uint16_t BENCH_SCHED_CHANNELS[] = {{{', '.join(map(str, chans))}}};\n"
        f"#define BENCH_REPS 2u\n#define BENCH_PROFILE_STEP {len(labels)}u\n")
    shutil.rmtree(cases / "build", ignore_errors=True)
    res = run_qemu(build(cases / "build", cases, work / "model", opt))
    fwd = res[0][1] / res[0][0]
    step = res[1][1] / res[1][0]
    per = [res[100 + i][1] / res[100 + i][0] for i in range(len(labels))]
    print(f"## {name}: training step (spread plan) {step:,.0f} instr = "
          f"{step / fwd:.2f} x forward ({fwd:,.0f})\n")
    print("| # | statement | instr | share of step |")
    print("|---:|---|---:|---:|")
    for i, (lab, v) in enumerate(zip(labels, per)):
        if v >= 0.002 * step:
            print(f"| {i} | `{lab}` | {v:,.0f} | {100 * v / step:.1f}% |")
    print(f"| | other (calls under 0.2%, glue, timer) | {step - sum(v for v in per if v >= 0.002 * step):,.0f} | |")
    by_fn: dict[str, float] = {}
    for lab, v in zip(labels, per):
        fn = lab.split("(")[0]
        by_fn[fn] = by_fn.get(fn, 0.0) + v
    print("\n| kernel | instr | share of step |")
    print("|---|---:|---:|")
    for fn, v in sorted(by_fn.items(), key=lambda kv: -kv[1]):
        print(f"| {fn} | {v:,.0f} | {100 * v / step:.1f}% |")
    print(flush=True)
