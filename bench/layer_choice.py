"""Which layers each pre-selection method picks, and what the budget buys in them.

    python bench/layer_choice.py RANKINGS_DIR [--budgets 8KiB 32KiB 128KiB]
                                 [--methods rgn lara ...] [--policy medyate]

RANKINGS_DIR holds ranking.json files named MODEL-TARGET-PERCLASS-sSEED.json (what
`medyate experiment` writes to OUT/rankings/). For every (model, task, budget, method)
it prints, over the seeds: the chosen layers (depth order, with how many seeds chose
each), the pool size, and for the policy's epoch-0 draw the channels and bytes that
land in each layer. A benchmark table, not a test.
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rankings", type=Path)
    parser.add_argument("--budgets", nargs="+", default=["8KiB", "32KiB", "128KiB"])
    parser.add_argument("--methods", nargs="+", default=list(LAYER_METHODS))
    parser.add_argument("--policy", default="medyate")
    args = parser.parse_args(argv)
    groups: dict[tuple[str, str, int], list[tuple[int, Path]]] = defaultdict(list)
    for path in sorted(args.rankings.glob("*.json")):
        match = NAME.match(path.name)
        if match:
            groups[(match["model"], match["target"], int(match["per_class"]))].append(
                (int(match["seed"]), path))
    if not groups:
        print(f"no MODEL-TARGET-PERCLASS-sSEED.json rankings in {args.rankings}", file=sys.stderr)
        return 2
    print("| model | task | budget | method | K | pool KiB | layers chosen (seeds of n) "
          "| epoch-0 draw: channels/in_channels per layer (mean over seeds) | draw KiB |")
    print("|---|---|---:|---|---:|---:|---|---|---:|")
    for (model, target, per_class), seeds in sorted(groups.items()):
        graph = load_graph(PROJECT_ROOT / "models" / f"{model}.onnx")
        specs = layer_specs(graph, all_layers(graph))
        by_weight = {s.weight: s for s in specs}
        rankings = [(seed, json.loads(path.read_text())) for seed, path in seeds]
        for budget_text in args.budgets:
            budget = parse_budget(budget_text)
            for method in args.methods:
                picked: Counter[str] = Counter()
                channels: dict[str, list[int]] = defaultdict(list)
                ks, pools, drawn = [], [], []
                for seed, ranking in rankings:
                    plan, chosen, spent = one_plan(specs, ranking, budget, method, args.policy, seed)
                    ks.append(len(chosen))
                    pools.append(plan["accounting"]["channel_pool_bytes"])
                    drawn.append(sum(b for _, b in spent.values()))
                    for weight, (count, _) in spent.items():
                        picked[weight] += 1
                        channels[weight].append(count)
                order = sorted(picked, key=lambda w: by_weight[w].depth)
                n = len(rankings)
                layers = ", ".join(f"{short(w)}({picked[w]})" if picked[w] < n else short(w)
                                   for w in order)
                draw = ", ".join(f"{short(w)} {np.mean(channels[w]):.0f}/{by_weight[w].in_channels}"
                                 for w in order if np.mean(channels[w]) >= 0.5)
                print(f"| {model} | {target} @{per_class} | {budget_text} | {method} "
                      f"| {np.mean(ks):.1f} | {np.mean(pools) / 1024:.0f} | {layers} | {draw} "
                      f"| {np.mean(drawn) / 1024:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
