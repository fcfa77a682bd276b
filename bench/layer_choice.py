"""Which layers each pre-selection method picks, and what the budget buys in them.

    python bench/layer_choice.py RANKINGS_DIR [--budgets 8KiB 32KiB 128KiB]
                                 [--methods rgn lara ...] [--policy medyate] [--summary]

RANKINGS_DIR holds ranking.json files named MODEL-TARGET-PERCLASS-sSEED.json (what
`medyate experiment` writes to OUT/rankings/). For every (model, task, budget, method)
it prints, over the seeds: the chosen layers (depth order, with how many seeds chose
each), the pool size, and for the policy's epoch-0 draw the channels and bytes that
land in each layer; --summary pools the tasks and seeds of each model family. A
benchmark table, not a test.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from medyate import PROJECT_ROOT
from medyate.codegen.frontend import load_graph
from medyate.host_tools.selection.budget import parse_budget
from medyate.host_tools.selection.layer_selection import LAYER_METHODS, make_plan
from medyate.host_tools.selection.policies import make_policy
from medyate.host_tools.selection.ranking import all_layers, layer_specs

NAME = re.compile(r"(?P<model>.+?)-(?P<target>[a-z-]+?)-(?P<per_class>\d+)-s(?P<seed>\d+)\.json$")


def short(weight: str) -> str:
    """A readable layer name: the ONNX initializer without its '.weight' suffix."""
    return weight.removesuffix(".weight")


def one_plan(specs, ranking, budget: int, method: str, policy: str, seed: int):
    """Chosen layers and, per layer, (channels, bytes) of the policy's epoch-0 draw."""
    plan = make_plan(specs, budget, policy=policy, stats=ranking["stats"],
                     batch_stats=ranking.get("batch_stats") or None, method=method, seed=seed)
    chosen = [spec for spec in specs if spec.weight in {l["weight"] for l in plan["layers"]}]
    stats = {s.weight: np.asarray(ranking["stats"][s.weight]) for s in chosen}
    schedule = make_policy(policy, chosen, budget, seed, stats).schedule(0)
    spent = {s.weight: (len(schedule.channels.get(s.weight, ())),
                        s.channels_bytes(len(schedule.channels.get(s.weight, ())))) for s in chosen}
    return plan, chosen, spent


def collect(rankings_dir: Path, budgets: list[str], methods: list[str], policy: str):
    """One row per (model, task, budget, method, seed): chosen layers and the draw."""
    groups: dict[tuple[str, str, int], list[tuple[int, Path]]] = defaultdict(list)
    for path in sorted(rankings_dir.glob("*.json")):
        match = NAME.match(path.name)
        if match:
            groups[(match["model"], match["target"], int(match["per_class"]))].append(
                (int(match["seed"]), path))
    rows = []
    for (model, target, per_class), seeds in sorted(groups.items()):
        graph = load_graph(PROJECT_ROOT / "models" / f"{model}.onnx")
        specs = layer_specs(graph, all_layers(graph))
        for seed, path in seeds:
            ranking = json.loads(path.read_text())
            for budget_text in budgets:
                for method in methods:
                    plan, chosen, spent = one_plan(specs, ranking, parse_budget(budget_text),
                                                   method, policy, seed)
                    rows.append({"model": model, "task": f"{target} @{per_class}",
                                 "budget": budget_text, "method": method, "seed": seed,
                                 "specs": specs, "pool": plan["accounting"]["channel_pool_bytes"],
                                 "chosen": [s.weight for s in chosen], "spent": spent})
    return rows


def detail_table(rows: list[dict]) -> list[str]:
    lines = ["| model | task | budget | method | K | pool KiB | layers chosen (seeds of n) "
             "| epoch-0 draw: channels/in_channels per layer (mean over seeds) | draw KiB |",
             "|---|---|---:|---|---:|---:|---|---|---:|"]
    cells: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        cells[(row["model"], row["task"], row["budget"], row["method"])].append(row)
    for (model, task, budget, method), group in cells.items():
        by_weight = {s.weight: s for s in group[0]["specs"]}
        picked = Counter(w for row in group for w in row["chosen"])
        order = sorted(picked, key=lambda w: by_weight[w].depth)
        n = len(group)
        layers = ", ".join(f"{short(w)}({picked[w]})" if picked[w] < n else short(w) for w in order)
        counts = {w: np.mean([row["spent"].get(w, (0, 0))[0] for row in group]) for w in order}
        draw = ", ".join(f"{short(w)} {counts[w]:.0f}/{by_weight[w].in_channels}"
                         for w in order if counts[w] >= 0.5)
        spent = np.mean([sum(b for _, b in row["spent"].values()) for row in group]) / 1024
        lines.append(f"| {model} | {task} | {budget} | {method} "
                     f"| {np.mean([len(r['chosen']) for r in group]):.1f} "
                     f"| {np.mean([r['pool'] for r in group]) / 1024:.0f} | {layers} | {draw} | {spent:.1f} |")
    return lines


def summary_table(rows: list[dict]) -> list[str]:
    """Per model family (cnn4 / mbv2), budget and method, over tasks and seeds: K, the
    classifier's share of the draw, and the budget spent in the shallower half."""
    lines = ["| model | budget | method | K | pool KiB | classifier channels drawn | "
             "draw bytes in classifier | draw bytes in shallower half of the layers |",
             "|---|---:|---|---:|---:|---:|---:|---:|"]
    cells: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        cells[(row["model"].split("_")[0], row["budget"], row["method"])].append(row)
    for (family, budget, method), group in cells.items():
        specs = group[0]["specs"]
        head = max(specs, key=lambda s: s.depth)
        half = len(specs) / 2
        head_n = np.mean([row["spent"].get(head.weight, (0, 0))[0] for row in group])
        total = [sum(b for _, b in row["spent"].values()) for row in group]
        head_b = [row["spent"].get(head.weight, (0, 0))[1] for row in group]
        shallow = [sum(b for w, (_, b) in row["spent"].items()
                       if next(s for s in specs if s.weight == w).depth < half) for row in group]
        lines.append(f"| {family} | {budget} | {method} | {np.mean([len(r['chosen']) for r in group]):.1f} "
                     f"| {np.mean([r['pool'] for r in group]) / 1024:.0f} "
                     f"| {head_n:.0f}/{head.in_channels} "
                     f"| {100 * np.sum(head_b) / np.sum(total):.0f}% "
                     f"| {100 * np.sum(shallow) / np.sum(total):.0f}% |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rankings", type=Path)
    parser.add_argument("--budgets", nargs="+", default=["8KiB", "32KiB", "128KiB"])
    parser.add_argument("--methods", nargs="+", default=list(LAYER_METHODS))
    parser.add_argument("--policy", default="medyate")
    parser.add_argument("--summary", action="store_true",
                        help="one row per model family, budget and method (over tasks and seeds)")
    args = parser.parse_args(argv)
    unknown = [m for m in args.methods if m not in LAYER_METHODS]
    if unknown:
        print(f"unknown methods {unknown}; known: {list(LAYER_METHODS)}", file=sys.stderr)
        return 2
    rows = collect(args.rankings, args.budgets, args.methods, args.policy)
    if not rows:
        print(f"no MODEL-TARGET-PERCLASS-sSEED.json rankings in {args.rankings}", file=sys.stderr)
        return 2
    print("\n".join(summary_table(rows) if args.summary else detail_table(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
