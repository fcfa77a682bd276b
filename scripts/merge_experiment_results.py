"""Merge the results.jsonl of several runs of one study into one report.

    python scripts/merge_experiment_results.py CONFIG OUT PART_DIR [PART_DIR ...]
                                               --seconds S [--jobs N]

For a study run in parts (e.g. the baselines first, then methods added later, each
with `medyate experiment PART.json --out PART_DIR`): concatenates the parts' finished
runs into OUT/results.jsonl (one record per task, policy, budget and seed; a later
part wins), and writes OUT/results.md with `write_report` (CONFIG's policies and
comparisons; S = the parts' measured wall times added up) plus one pooled row per
model for every comparison (the report's own pooled row pools both models).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from medyate.host_tools.experiments.experiment_journal import FINISHED
from medyate.host_tools.experiments.experiment_report import (_group, _pair_diffs, _verdict,
                                                               paired_ci, write_report)


def per_model_pooled(results: list[dict], pairs: list[list[str]]) -> list[str]:
    groups = _group(results)
    lines = ["## Pooled per model", "",
             "Every (task, budget, seed) pair of one model, first minus second, points; 95% t "
             "interval treating the pairs as independent (a summary, not the per-cell rows).", "",
             "| comparison (first - second) | model | points [95% CI], n |", "|---|---|---|"]
    models = list(dict.fromkeys(r["model"].split("_")[0] for r in results))
    for first, second in pairs:
        for model in models:
            cells = dict.fromkeys((r["task"], r["budget_bytes"]) for r in results
                                  if r["model"].split("_")[0] == model)
            diffs = [d for task, budget in cells for d in _pair_diffs(groups, task, budget, first, second)]
            lines.append(f"| {first} - {second} | {model} | {_verdict(paired_ci(diffs))}, n={len(diffs)} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("parts", type=Path, nargs="+")
    parser.add_argument("--seconds", type=float, required=True, help="measured wall time, all parts")
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args(argv)
    config = json.loads(args.config.read_text())
    records: dict[tuple, dict] = {}
    for part in args.parts:
        for line in (part / "results.jsonl").read_text().splitlines():
            record = json.loads(line)
            if record.get("status") in FINISHED:
                records[(record["task"], record["policy"], record["budget"], record["seed"])] = record
    wanted = set(config["policies"])
    results = [r for r in records.values() if r["policy"] in wanted]
    missing = wanted - {r["policy"] for r in results}
    if missing:
        print(f"the parts hold no run of {sorted(missing)}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in results))
    path = write_report(results, args.out, config, args.config.name, args.seconds, args.jobs)
    if config.get("comparisons"):
        path.write_text(path.read_text() + "\n".join(per_model_pooled(results, config["comparisons"])) + "\n")
    print(f"{len(results)} runs -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
