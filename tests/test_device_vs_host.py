"""The device-vs-host comparison of experiment sweeps (host_tools/experiments/device_vs_host.py)
and the sweep report naming the target the runs trained on."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from medyate.host_tools.experiments.device_vs_host import main, pair_runs
from medyate.host_tools.experiments.experiment_report import write_report

TASK = {"model": "models/cnn4_mnist.onnx", "target": "animal-mnist", "per_class": 2,
        "test_per_class": 3}          # cnn4 has 10 classes: 30 test images
LABEL = "cnn4_mnist: mnist->animal-mnist @2/class"


def record(policy: str, seed: int, accuracies: list[float], losses: list[float],
           costs: list[int] | None = None, status: str = "ok") -> dict[str, Any]:
    costs = costs or [100] * len(accuracies)
    return {"task": LABEL, "budget": "4KiB", "budget_bytes": 4096, "policy": policy,
            "seed": seed, "epochs": len(accuracies), "method": "rgn", "status": status,
            "initial_accuracy": 0.1, "accuracy_per_epoch": accuracies,
            "final_accuracy": accuracies[-1], "train_loss_per_epoch": losses,
            "schedule_cost_bytes": costs, "channels_per_epoch": [4] * len(accuracies),
            "memory_compile_time": {"arena_bytes": 1000}}


def write_sweep(folder: Path, config: dict[str, Any], records: list[dict[str, Any]]) -> Path:
    path = folder / f"{config['name']}.json"
    path.write_text(json.dumps(config))
    out = folder / "results" / config["name"]
    out.mkdir(parents=True)
    (out / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def twin_configs(tmp_path: Path, **host_overrides: Any) -> tuple[Path, Path]:
    base = {"policies": ["trady", "medyate"], "budgets": ["4KiB"], "seeds": [0, 1], "epochs": 3,
            "tasks": [TASK]}
    device = write_sweep(tmp_path, {**base, "name": "dev", "target": "qemu-mps2-an386"}, [
        record("trady", 0, [0.5, 0.6, 0.7], [2.0, 1.5, 1.0]),
        # one image (1/30) more after epoch 2 and 3; a loss a hair off
        record("trady", 1, [0.5, 0.6 + 1 / 30, 0.7 + 1 / 30], [2.0, 1.5, 1.001]),
        record("medyate", 0, [0.5, 0.6, 0.7], [2.0, 1.5, 1.0], costs=[100, 90, 100]),
        record("medyate", 1, [0.0], [0.0], status="infeasible")])
    host = write_sweep(tmp_path, {**base, "name": "host", "target": "host", **host_overrides}, [
        record("trady", 0, [0.5, 0.6, 0.7], [2.0, 1.5, 1.0]),
        record("trady", 1, [0.5, 0.6, 0.7], [2.0, 1.5, 1.0]),
        record("medyate", 0, [0.5, 0.6, 0.7], [2.0, 1.5, 1.0]),
        record("medyate", 1, [0.5, 0.6, 0.7], [2.0, 1.5, 1.0])])
    return device, host


def test_pairs_count_the_differences_in_test_images() -> None:
    device = [record("trady", 1, [0.5, 0.6 + 2 / 30, 0.7 - 1 / 30], [2.0, 1.5, 1.1])]
    host = [record("trady", 1, [0.5, 0.6, 0.7], [2.0, 1.5, 1.0]),
            record("trady", 2, [0.5, 0.6, 0.7], [2.0, 1.5, 1.0])]
    (pair,), alone = pair_runs(device, host, {LABEL: 30})
    assert alone == []
    assert pair.epoch_images == [0, 2, -1] and pair.final_images == -1
    assert pair.first_divergent_epoch == 2
    assert pair.loss_relative[:2] == [0.0, 0.0] and pair.loss_relative[2] == pytest.approx(0.1)
    assert pair.same_schedules == 3
    # a twin that did not train, or has another seed, is no twin
    _, alone = pair_runs(device, [dict(host[0], status="failed")], {LABEL: 30})
    assert alone == device


def test_the_comparison_table_and_plot(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    device, host = twin_configs(tmp_path)
    assert main([str(device), str(host)]) == 0
    text = (tmp_path / "results" / "dev" / "device_vs_host.md").read_text()
    assert text.strip() in capsys.readouterr().out      # printed as well as written
    assert "3 pairs of runs" in text
    rows = {line.split(" | ")[2] + " " + line.split(" | ")[3]: line for line in text.splitlines()
            if line.startswith("| cnn4_mnist") and line.count("|") == 12}
    assert "| +1 of 30 | 1 of 3 | 2 | +0..+1 | 1.0e-03 | 3 of 3 |" in rows["trady 1"]
    assert "| +0 of 30 | 3 of 3 | none | +0..+0 | 0.0e+00 | 3 of 3 |" in rows["trady 0"]
    assert "| 2 of 3 |" in rows["medyate 0"]           # epoch 2's schedule cost differs
    assert "* medyate 4KiB seed 1: device infeasible" in text
    pooled = next(line for line in text.splitlines() if "**pooled**" in line)
    assert "| 3 |" in pooled and "| 1 | 2 of 3 |" in pooled   # largest |diff| 1 image
    assert "| 0.2 / 1 |" in pooled              # 2 epochs of 9 differ by one image
    assert (tmp_path / "results" / "dev" / "device_vs_host.png").stat().st_size > 0


@pytest.mark.parametrize("overrides, message", [
    ({"seeds": [0]}, "differ in ['seeds']"),
    ({"target": "qemu-mps2-an386"}, "both configs train on"),
])
def test_configs_that_are_not_twins_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                overrides: dict[str, Any], message: str) -> None:
    device, host = twin_configs(tmp_path, **overrides)
    assert main([str(device), str(host)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_missing_results_are_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    device, host = twin_configs(tmp_path)
    (tmp_path / "results" / "host" / "results.jsonl").unlink()
    assert main([str(device), str(host)]) == 2
    assert "no results at" in capsys.readouterr().err


@pytest.mark.parametrize("target, says", [
    ("host", "Host target: the generated C compiled natively."),
    ("qemu-mps2-an386", "Device target qemu-mps2-an386: `medyate train` on it"),
])
def test_the_sweep_report_names_its_target(tmp_path: Path, target: str, says: str) -> None:
    config = {"policies": ["trady"], "budgets": ["4KiB"], "seeds": [0], "epochs": 3,
              "tasks": [TASK], "target": target}
    path = write_report([record("trady", 0, [0.5, 0.6, 0.7], [2.0, 1.5, 1.0])], tmp_path,
                        config, "c.json", 12.0, 1)
    text = path.read_text()
    assert says in text
    assert ("Host target" in text) == (target == "host")
