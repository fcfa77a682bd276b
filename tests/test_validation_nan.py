"""Silent NaN (issue 13 item 4): a diverging run stops with one line and keeps the last
finished epoch's files; NaN inputs are refused up front (tests/test_validation.py)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import onnx
import pytest
from click.testing import CliRunner
from onnx import numpy_helper

from hostile_models import ROLES, save, tiny_model, tiny_plan
from medyate.cli import main

NAMES = list(ROLES)


@pytest.fixture()
def ws(tmp_path: Path) -> Path:
    save(tiny_model(NAMES), tmp_path / "tiny.onnx")
    (tmp_path / "plan.json").write_text(json.dumps(tiny_plan(NAMES)))
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "data.npz", x_train=rng.standard_normal((16, 1, 6, 6)).astype(np.float32),
             y_train=rng.integers(0, 3, 16), x_test=rng.standard_normal((6, 1, 6, 6)).astype(np.float32),
             y_test=rng.integers(0, 3, 6))
    return tmp_path


def _train(ws: Path, lr: str, epochs: int) -> tuple:
    result = CliRunner().invoke(main, ["train", str(ws / "tiny.onnx"), "--plan", str(ws / "plan.json"),
                                       "--data", str(ws / "data.npz"), "--target", "reference",
                                       "--epochs", str(epochs), "--policy", "full", "--run",
                                       str(ws / "run"), "--lr", lr, "--batch", "4"])
    return result, result.stderr.strip()


def _weights(path: Path) -> dict[str, np.ndarray]:
    return {i.name: numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer}


def test_diverging_run_stops_and_keeps_the_last_finished_epoch(ws: Path) -> None:
    result, stderr = _train(ws, "3000", 8)
    assert result.exit_code == 2, result.output
    assert len(stderr.splitlines()) == 1 and "Traceback" not in result.output, stderr
    match = re.search(r"diverged at epoch (\d+).* keeps epoch (\d+)", stderr)
    assert match, stderr
    failed, kept = int(match[1]), int(match[2])
    assert kept == failed - 1 >= 0
    records = [json.loads(l) for l in (ws / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == list(range(failed))
    assert all(np.isfinite(r["train_loss"]) for r in records)
    trained, original = _weights(ws / "run" / "finetuned.onnx"), _weights(ws / "tiny.onnx")
    assert all(np.all(np.isfinite(w)) for w in trained.values())
    assert not np.array_equal(trained["conv_w"], original["conv_w"])   # epochs did train


def test_run_diverging_in_its_first_epoch_writes_no_model(ws: Path) -> None:
    result, stderr = _train(ws, "1e30", 3)
    assert result.exit_code == 2 and len(stderr.splitlines()) == 1, stderr
    assert "diverged at epoch 0" in stderr and "was not written" in stderr
    assert not (ws / "run" / "finetuned.onnx").exists()
