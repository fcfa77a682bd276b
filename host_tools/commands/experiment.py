"""`medyate experiment CONFIG.json [--jobs 2] [--out DIR]`."""
from __future__ import annotations

from pathlib import Path

from medyate.host_tools.experiment import run_experiment


def run_experiment_cmd(config: Path, jobs: int, out: Path | None) -> None:
    out = out or config.parent / "results" / config.stem
    results = run_experiment(config, out, jobs)
    ok = sum(r["status"] == "ok" for r in results)
    print(f"{len(results)} runs ({ok} trained); table {out / 'results.md'}, runs {out / 'results.jsonl'}")
