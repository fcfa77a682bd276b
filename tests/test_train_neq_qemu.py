"""`medyate train --policy neq --target qemu-mps2-an386`: NEq output-channel neurons
trained in the firmware under QEMU, within the budget, with the device's measured SRAM."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper
from rich.console import Console

from medyate import PROJECT_ROOT
from medyate.codegen.frontend import load_graph
from medyate.codegen.plan import Plan
from medyate.host_tools.commands import train as train_command
from toolchain_marks import needs_qemu_and_arm

MODEL = Path(PROJECT_ROOT) / "models" / "mbv2_fashion_mnist.onnx"
TARGET = "qemu-mps2-an386"
BUDGET = 32 * 1024
SRAM = 320 * 1024        # mps2-an386

pytestmark = [
    pytest.mark.qemu,
    needs_qemu_and_arm,
    pytest.mark.skipif(not MODEL.is_file(), reason="shipped model missing"),
]


def initializers(path: Path) -> dict[str, np.ndarray]:
    return {i.name: numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer}


def test_neq_trains_output_channels_on_qemu_within_budget(tmp_path: Path) -> None:
    graph = load_graph(MODEL)
    full = Plan.all_layers(graph, BUDGET)
    # the last 6 layers (all of them do not fit the board's SRAM), biases frozen: neq's
    # schedules count weight rows and whole inputs only
    plan = Plan(BUDGET, [{"weight": l["weight"], "bias": False} for l in full.layers[-6:]])
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(json.dumps(plan.to_dict()))
    rundir = tmp_path / "run"
    train_command.run_train(MODEL, plan_path, "mnist", TARGET, 2, "neq", rundir, lr=0.1,
                            batch=8, train_per_class=10, test_per_class=5,
                            console=Console(quiet=True))
    metrics = [json.loads(line) for line in (rundir / "metrics.jsonl").read_text().splitlines()]
    schedules = [json.loads(line) for line in (rundir / "schedules.jsonl").read_text().splitlines()]
    assert [m["epoch"] for m in metrics] == [s["epoch"] for s in schedules] == [0, 1]
    for m, s in zip(metrics, schedules):
        assert np.isfinite(m["train_loss"]) and m["device_instructions"] > 0
        assert s["output_channels"] and not s["channels"]
        assert m["scheduled_output_channels"] == sum(len(v) for v in s["output_channels"].values())
        assert 0 < s["cost_bytes"] == m["cost_bytes"] <= BUDGET
    memory = json.loads((rundir / "memory.json").read_text())
    assert memory["channel_pool_bytes"] <= BUDGET
    assert 0 < memory["measured_peak_sram_bytes"] <= SRAM
    assert memory["measured_peak_sram_bytes"] == memory["static_ram_bytes"] + memory["measured_stack_bytes"]
    # only the scheduled rows moved in the fine-tuned model
    before, after = initializers(MODEL), initializers(rundir / "finetuned.onnx")
    moved_any = False
    for entry in plan.layers:
        weight = entry["weight"]
        rows = {o for s in schedules for o in s["output_channels"].get(weight, [])}
        diff = np.abs(after[weight] - before[weight]).reshape(len(before[weight]), -1).max(axis=1)
        moved = set(np.flatnonzero(diff > 0).tolist())
        assert moved <= rows, weight
        moved_any = moved_any or bool(moved)
    assert moved_any
