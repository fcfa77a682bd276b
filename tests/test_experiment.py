"""The experiment harness end to end on a tiny sweep (host target, 2 processes)."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from medyate.cli import main
from medyate.host_tools.experiment_report import paired_ci
from medyate.host_tools.policies import POLICIES


def test_paired_ci_matches_a_hand_computation() -> None:
    mean, low, high = paired_ci([1.0, 3.0])      # mean 2, sd sqrt(2), t(1) = 12.706
    assert mean == 2.0 and abs(high - (2.0 + 12.706 * 1.0)) < 1e-9 and low < 0 < high
    assert paired_ci([1.0]) is None


def test_tiny_experiment_runs_and_lists_every_policy(tmp_path: Path) -> None:
    config = {"policies": sorted(POLICIES), "budgets": ["4KiB"], "seeds": [0, 1], "epochs": 1,
              "batch_size": 8, "lr": 0.05, "warmup_epochs": 0.5, "rank": {"batches": 2, "batch_size": 8},
              "tasks": [{"model": "models/cnn4_mnist.onnx", "target": "animal-mnist",
                         "per_class": 2, "test_per_class": 3}]}
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(config))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["experiment", str(path), "--jobs", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    runs = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(runs) == 2 * len(POLICIES)
    ok = [r for r in runs if r["status"] == "ok"]
    assert {r["policy"] for r in ok} >= {"trady", "medyate", "worst", "last-layer", "bias-only"}
    for r in ok:
        assert len(r["accuracy_per_epoch"]) == 1 and 0.0 <= r["final_accuracy"] <= 1.0
        assert all(cost <= 4096 for cost in r["schedule_cost_bytes"])
        assert r["memory_compile_time"]["arena_bytes"] > 0
    full = [r for r in runs if r["policy"] == "full"]
    assert all(r["status"] == "infeasible" and r["required_bytes"] > 4096 for r in full)
    table = (out / "results.md").read_text()
    for policy in POLICIES:
        assert f"| {policy} |" in table
    assert "(baseline)" in table
    assert (out / "accuracy_vs_budget.png").exists() and (out / "accuracy_vs_epoch.png").exists()
