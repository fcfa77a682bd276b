"""Issue 12: a new family (MCUNet-style inverted residuals with squeeze-excitation:
HardSigmoid gate, per-channel Mul, ReduceMean) fine-tunes on QEMU end to end within a
128 KiB board's SRAM, and the fine-tuned ONNX written back (SE layers included)
reproduces the device's test accuracy in onnxruntime."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper
from rich.console import Console

import zoo
from medyate.codegen.frontend import load_graph
from medyate.codegen.plan import Plan
from medyate.host_tools.commands import train as train_command
from toolchain_marks import needs_qemu_and_arm

pytestmark = [
    pytest.mark.qemu, pytest.mark.slow,
    needs_qemu_and_arm,
]


def quadrant_data(path: Path, n_train: int, n_test: int) -> Path:
    """4 classes: a bright quadrant in one colour channel, on noise."""
    rng = np.random.default_rng(0)

    def make(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, 4, n)
        x = rng.standard_normal((n, 3, 24, 24)).astype(np.float32) * 0.5
        for i, c in enumerate(y):
            r, q = divmod(int(c), 2)
            x[i, int(c) % 3, r * 12:(r + 1) * 12, q * 12:(q + 1) * 12] += 1.5
        return x, y.astype(np.int64)

    (xt, yt), (xs, ys) = make(n_train), make(n_test)
    np.savez(path, x_train=xt, y_train=yt, x_test=xs, y_test=ys)
    return path


def test_mcunet_se_finetunes_on_qemu(tmp_path: Path) -> None:
    model = zoo.export_onnx(zoo.build_model("mcunet_se"), tmp_path / "mcunet_se.onnx",
                            zoo.input_shape("mcunet_se"), exporter="torchscript", opset_version=13)
    graph = load_graph(model)
    assert {"mul", "hardsigmoid", "gap"} <= {n.op for n in graph.nodes}
    plan = Plan.all_layers(graph, 24 * 1024)
    (tmp_path / "plan.json").write_text(json.dumps(plan.to_dict()))
    data = quadrant_data(tmp_path / "quad.npz", 32, 24)
    rundir = tmp_path / "run"
    summary = train_command.run_train(model, tmp_path / "plan.json", str(data), "qemu-mps2-an386",
                                      1, "medyate", rundir, lr=0.1, batch=8,
                                      train_per_class=None, test_per_class=None,
                                      console=Console(quiet=True))
    metrics = [json.loads(line) for line in (rundir / "metrics.jsonl").read_text().splitlines()]
    assert len(metrics) == 1 and metrics[0]["samples"] == 32
    memory = json.loads((rundir / "memory.json").read_text())
    assert memory["measured_peak_sram_bytes"] <= 128 * 1024        # nucleo-f446re's SRAM
    # the SE convs trained and were written back; the device's accuracy is reproduced
    before = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(model)).graph.initializer}
    after = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(rundir / "finetuned.onnx")).graph.initializer}
    changed = [n for n in before if not np.array_equal(before[n], after[n])]
    assert any("fc1" in n or "fc2" in n for n in changed), changed
    with np.load(data) as arrays:
        x_test, y_test = arrays["x_test"], arrays["y_test"]
    session = ort.InferenceSession(str(rundir / "finetuned.onnx"), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    logits = np.concatenate([session.run(None, {name: x[None]})[0] for x in x_test])
    assert float(np.mean(logits.argmax(axis=1) == y_test)) == pytest.approx(metrics[-1]["test_accuracy"])
