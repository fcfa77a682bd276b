"""Arena planner benchmark: per model, the planned arena against the liveness lower bound
of the same training step, for a budgeted sparse plan and for dense full backprop (every
channel of every layer), side by side. Target: arena / lower bound <= 1.03.

    python bench/arena.py [--budget 64KiB] [models/*.onnx ...]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from medyate.codegen.emit_c import generate, pool_bytes_for  # noqa: E402
from medyate.codegen.frontend import load_graph  # noqa: E402
from medyate.codegen.plan import Plan, resolve_layers  # noqa: E402
from medyate.host_tools.selection.budget import parse_budget  # noqa: E402


def measure(path: Path, budget: int) -> list[str]:
    graph = load_graph(path)
    cells = [path.stem]
    for budget_bytes in (budget, 0):        # 0: dense, every channel
        plan = Plan.all_layers(graph, budget_bytes)
        layers = resolve_layers(graph, plan)
        pool = pool_bytes_for(layers, budget_bytes)
        gen = generate(graph, layers, pool_bytes=pool, model_name=path.name, model_hash_hex="0")
        a = gen.arena
        cells += [f"{a.arena_bytes:,}", f"{a.lower_bound_bytes:,}",
                  f"{a.arena_bytes / a.lower_bound_bytes:.3f}", f"{a.pool_bytes:,}", a.strategy]
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", type=Path)
    parser.add_argument("--budget", default="64KiB")
    args = parser.parse_args()
    budget = parse_budget(args.budget)
    models = list(args.models) or sorted((ROOT / "models").glob("*.onnx"))
    if not args.models:
        import zoo
        tmp = Path(tempfile.mkdtemp(prefix="medyate-bench-"))
        models += [zoo.exported(name, "torchscript", False, tmp) for name, _, _ in zoo.zoo_models()]
    header = ["model", f"arena ({args.budget})", "lower bound", "ratio", "pool", "planner",
              "arena (dense)", "lower bound", "ratio", "pool", "planner"]
    rows = [measure(p, budget) for p in models]
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("-|-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths)))


if __name__ == "__main__":
    main()
