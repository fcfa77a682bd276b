"""`medyate experiment CONFIG.json [--jobs 2] [--out DIR] [--engine local|ray] [--address A] [--fresh]`."""
from __future__ import annotations

from pathlib import Path

from medyate.host_tools.experiments.experiment import run_experiment


def run_experiment_cmd(config: Path, jobs: int, out: Path | None, *, engine: str = "local",
                       address: str | None = None, fresh: bool = False) -> None:
    out = out or config.parent / "results" / config.stem
    results = run_experiment(config, out, jobs, engine=engine, address=address, fresh=fresh)
    ok = sum(r["status"] == "ok" for r in results)
    failed = [r for r in results if r["status"] == "failed"]
    print(f"{len(results)} runs ({ok} trained, {len(failed)} failed); table "
          f"{out / 'results.md'}, runs {out / 'results.jsonl'}")
    for record in failed:
        print(f"  failed: {record.get('policy')} {record.get('budget')} seed "
              f"{record.get('seed')}: {record.get('error')} ({record.get('where')})")
