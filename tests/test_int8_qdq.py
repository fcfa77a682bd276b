"""QDQ import: a model quantized by onnxruntime (quantize_static, QuantFormat.QDQ,
per-channel int8 weights) keeps its own scales, zero points and int8 weights in
medyate's int8 backbone, and its forward agrees with onnxruntime running the same file."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest

import zoo
from test_int8_grad import SHAPE, Net
from medyate.codegen.frontend import load_graph
from medyate.codegen.plan import Plan
from medyate.codegen.quantize import apply_frozen
from medyate.codegen.reference import ReferenceExecutor
from medyate.codegen.plan import resolve_layers

ort = pytest.importorskip("onnxruntime")
quantization = pytest.importorskip("onnxruntime.quantization")


class _Reader(quantization.CalibrationDataReader):
    def __init__(self, xs: np.ndarray) -> None:
        self._it = iter([{"input": x[None]} for x in xs])

    def get_next(self):  # type: ignore[no-untyped-def]
        return next(self._it, None)


@pytest.fixture(scope="module")
def qdq_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    import torch
    torch.manual_seed(1)
    tmp = tmp_path_factory.mktemp("qdq")
    fp = zoo.export_onnx(Net(), tmp / "net.onnx", SHAPE)
    rng = np.random.default_rng(0)
    calib = rng.normal(size=(16,) + SHAPE[1:]).astype(np.float32)
    names = [n.name for n in onnx.load(str(fp)).graph.node]
    top = [n for n in names if "conv3" in n or "fc" in n or "Relu_2" in n or "Reduce" in n]
    out = tmp / "net_qdq.onnx"
    quantization.quantize_static(str(fp), str(out), _Reader(calib),
                                 quant_format=quantization.QuantFormat.QDQ, per_channel=True,
                                 activation_type=quantization.QuantType.QInt8,
                                 weight_type=quantization.QuantType.QInt8,
                                 nodes_to_exclude=top)
    return out, calib


def _initializers(path: Path) -> dict[str, np.ndarray]:
    return {i.name: onnx.numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer}


def test_qdq_scales_and_weights_are_taken_as_given(qdq_model) -> None:
    path, calib = qdq_model
    graph = load_graph(path)
    assert graph.quant_given, "no QuantizeLinear recorded"
    plan = Plan(0, [{"weight": "conv3.weight", "bias": True}, {"weight": "fc.weight", "bias": True}])
    q = apply_frozen(graph, plan, "int8", None)        # no calibration data: all given
    inits = _initializers(path)
    model = onnx.load(str(path))
    # every QuantizeLinear of the file shows up with its own scale and zero point
    for node in model.graph.node:
        if node.op_type != "QuantizeLinear" or node.input[0] not in q.quant:
            continue
        assert q.quant[node.input[0]]["scale"] == pytest.approx(float(inits[node.input[1]]))
        assert q.quant[node.input[0]]["zero_point"] == int(inits[node.input[2]])
    # the int8 conv weights are the file's int8 weights, bit for bit
    int8_w = sorted(v.tobytes() for k, v in inits.items() if v.dtype == np.int8 and v.ndim == 4)
    ours = sorted(q.tensors[n.inputs[1]].data.tobytes() for n in q.nodes if n.op == "qconv")
    assert len(ours) == 3 and ours == int8_w
    # and the forward agrees with onnxruntime on the same file (ORT requantizes in float:
    # logits within a few output steps, same top-1 on nearly every sample)
    ex = ReferenceExecutor(q, resolve_layers(q, plan))
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(5)
    xs = rng.normal(size=(20,) + SHAPE[1:]).astype(np.float32)
    ours_logits = np.stack([ex.forward(x) for x in xs])
    theirs = np.concatenate([sess.run(None, {"input": x[None]})[0] for x in xs])
    span = np.abs(theirs).max()
    assert np.abs(ours_logits - theirs).max() < 0.05 * span
    assert (ours_logits.argmax(1) == theirs.argmax(1)).mean() >= 0.9
    # fp32 build of the QDQ file: the dequantized weights in float
    f = ReferenceExecutor(graph, resolve_layers(graph, plan)).forward(xs[0])
    assert np.abs(f - theirs[0]).max() < 0.1 * span


def test_qdq_compile_needs_no_data(qdq_model, tmp_path: Path) -> None:
    from click.testing import CliRunner
    from medyate.cli import main
    path, _ = qdq_model
    plan = tmp_path / "plan.json"
    # conv3 was left in float by quantize_static: frozen below an fc-only plan, it has no
    # scales of its own, so int8 needs calibration data -- one clear line, exit 2
    plan.write_text(json.dumps(Plan(0, [{"weight": "fc.weight", "bias": True}]).to_dict()))
    args = ["compile", str(path), "--plan", str(plan), "--target", "reference", "--frozen",
            "int8", "-o", str(tmp_path / "out")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "calibration data" in result.output
    assert "Traceback" not in result.output
    plan.write_text(json.dumps(Plan(0, [{"weight": "conv3.weight", "bias": True},
                                        {"weight": "fc.weight", "bias": True}]).to_dict()))
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    memory = json.loads((tmp_path / "out" / "memory.json").read_text())
    assert memory["frozen"] == "int8"
    assert "int8_t" in (tmp_path / "out" / "model.c").read_text()
