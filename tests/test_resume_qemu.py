"""`medyate train --resume` on QEMU: interrupted after epoch 1 and resumed, the run ends
with the fine-tuned model, schedules and metrics of the uninterrupted run (the weights
go back into the firmware with WRITE_TENSOR)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from medyate import PROJECT_ROOT
from medyate.cli import main
from medyate.codegen.frontend import load_graph
from medyate.codegen.plan import Plan
from test_run_folder import interrupt_after, same_run
from toolchain_marks import needs_qemu_and_arm

MODEL = Path(PROJECT_ROOT) / "models" / "mbv2_fashion_mnist.onnx"

pytestmark = [
    pytest.mark.qemu,
    needs_qemu_and_arm,
    pytest.mark.skipif(not MODEL.is_file(), reason="shipped model missing"),
]


def test_resume_on_qemu_equals_the_uninterrupted_run(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    graph = load_graph(MODEL)
    full = Plan.all_layers(graph, 32 * 1024)   # the classifier: small weights to restore
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(Plan(full.budget_bytes, full.layers[-1:]).to_dict()))

    def args(run: Path) -> list[str]:
        return ["train", str(MODEL), "--plan", str(plan), "--data", "mnist", "--epochs", "2",
                "--policy", "trady", "--run", str(run), "--lr", "0.2", "--batch", "4",
                "--train-per-class", "1", "--test-per-class", "1", "--seed", "2"]
    uninterrupted = tmp_path / "uninterrupted"
    result = CliRunner().invoke(main, args(uninterrupted))
    assert result.exit_code == 0, result.output
    run = tmp_path / "run"
    with monkeypatch.context() as patch:
        interrupt_after(patch, 1)
        assert CliRunner().invoke(main, args(run)).exit_code == 130
    result = CliRunner().invoke(main, ["train", "--resume", str(run)])
    assert result.exit_code == 0, result.output
    same_run(run, uninterrupted)
