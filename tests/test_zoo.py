"""The test model zoo exports with both PyTorch exporters and the files mean what they say."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
import torch

from zoo import EXPORTERS, build_model, export_onnx, exported, sample_input, zoo_models

ZOO_NAMES = [name for name, _, _ in zoo_models()]
MODELS_WITH_BN = {"mbv2_tiny", "mcunet_tiny", "resnet_tiny"}


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.getbasetemp()


def _ops(path: Path) -> Counter:
    return Counter(node.op_type for node in onnx.load(str(path), load_external_data=False).graph.node)


def _run_onnx(path: Path, x: torch.Tensor) -> np.ndarray:
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]


@pytest.mark.parametrize("keep_batchnorm", [False, True], ids=["folded", "keep_bn"])
@pytest.mark.parametrize("exporter", EXPORTERS)
@pytest.mark.parametrize("name", ZOO_NAMES)
def test_export_runs_in_onnxruntime_like_torch(name: str, exporter: str, keep_batchnorm: bool,
                                               export_dir: Path) -> None:
    path = exported(name, exporter, keep_batchnorm, export_dir)  # type: ignore[arg-type]
    model = build_model(name)
    onnx.checker.check_model(str(path))
    for seed in range(3):
        x = sample_input(name, seed=seed)
        with torch.no_grad():
            expected = model(x).numpy()
        np.testing.assert_allclose(_run_onnx(path, x), expected, atol=1e-4, rtol=1e-4)

    ops = _ops(path)
    opset = onnx.load(str(path), load_external_data=False).opset_import[0].version
    data_file = path.with_name(path.name + ".data")
    if exporter == "torchscript":
        assert 13 <= opset <= 17
        assert not data_file.exists()
    else:
        assert opset >= 18
        assert data_file.is_file() and data_file.stat().st_size > 0
        # Weight tensors live in the external file (the exporter keeps tiny ones inline).
        initializers = onnx.load(str(path), load_external_data=False).graph.initializer
        large = [t for t in initializers if np.prod(t.dims) >= 256]
        assert large and all(t.data_location == onnx.TensorProto.EXTERNAL for t in large)
    if keep_batchnorm and name in MODELS_WITH_BN:
        assert ops["BatchNormalization"] == ops["Conv"]
    else:
        assert ops["BatchNormalization"] == 0


def test_batchnorm_statistics_are_not_the_identity() -> None:
    model = build_model("mbv2_tiny")
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert norms
    for norm in norms:
        assert norm.running_var.min() > 0.4 and norm.running_var.max() > 1.1
        assert norm.running_mean.abs().max() > 0.01
        assert not torch.allclose(norm.weight, torch.ones_like(norm.weight))


def test_folded_conv_weights_differ_from_the_raw_ones(export_dir: Path) -> None:
    folded = onnx.load(str(exported("resnet_tiny", "torchscript", False, export_dir)))
    kept = onnx.load(str(exported("resnet_tiny", "torchscript", True, export_dir)))
    folded_weights = [onnx.numpy_helper.to_array(t) for t in folded.graph.initializer if t.dims and len(t.dims) == 4]
    kept_weights = [onnx.numpy_helper.to_array(t) for t in kept.graph.initializer if t.dims and len(t.dims) == 4]
    assert len(folded_weights) == len(kept_weights) == 6
    raw_first = build_model("resnet_tiny").stem[0].weight.detach().numpy()
    assert any(w.shape == raw_first.shape and np.array_equal(w, raw_first) for w in kept_weights)
    assert not any(w.shape == raw_first.shape and np.allclose(w, raw_first) for w in folded_weights)


def test_build_model_is_deterministic_and_seed_dependent() -> None:
    x = sample_input("mcunet_tiny")
    with torch.no_grad():
        first, again = build_model("mcunet_tiny")(x), build_model("mcunet_tiny")(x)
        other = build_model("mcunet_tiny", seed=1)(x)
    assert torch.equal(first, again)
    assert not torch.allclose(first, other)


def _conv_attributes(path: Path) -> list[dict]:
    graph = onnx.load(str(path), load_external_data=False).graph
    return [{a.name: onnx.helper.get_attribute_value(a) for a in node.attribute} | {"inputs": len(node.input)}
            for node in graph.node if node.op_type == "Conv"]


def test_zoo_covers_the_promised_layer_family(export_dir: Path) -> None:
    mcunet = _conv_attributes(exported("mcunet_tiny", "torchscript", False, export_dir))
    depthwise_kernels = {(c["kernel_shape"][0], c["strides"][0]) for c in mcunet if c.get("group", 1) > 1}
    assert {(5, 2), (7, 1)} <= depthwise_kernels

    mbv2_ops = _ops(exported("mbv2_tiny", "torchscript", False, export_dir))
    assert mbv2_ops["Add"] >= 2 and mbv2_ops["Clip"] > 0 and mbv2_ops["GlobalAveragePool"] == 1

    resnet = _conv_attributes(exported("resnet_tiny", "torchscript", False, export_dir))
    assert any(c["kernel_shape"] == [1, 1] and c["strides"] == [2, 2] for c in resnet)

    plain_path = exported("plain_cnn", "torchscript", False, export_dir)
    plain = _conv_attributes(plain_path)
    assert any(c.get("dilations") == [2, 2] and c["pads"] == [2, 2, 2, 2] for c in plain)
    assert any(c["inputs"] == 2 for c in plain), "one conv must have no bias"
    plain_ops = _ops(plain_path)
    assert plain_ops["Gemm"] == 2 and plain_ops["MaxPool"] == 1 and plain_ops["AveragePool"] == 1

    softmax_graph = onnx.load(str(exported("plain_cnn_softmax", "dynamo", False, export_dir)),
                              load_external_data=False).graph
    assert softmax_graph.node[-1].op_type == "Softmax"


def test_export_onnx_rejects_bad_requests(tmp_path: Path) -> None:
    model = build_model("plain_cnn")
    with pytest.raises(ValueError, match="unknown exporter"):
        export_onnx(model, tmp_path / "m.onnx", (1, 1, 28, 28), exporter="tflite")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="opset 13-17"):
        export_onnx(model, tmp_path / "m.onnx", (1, 1, 28, 28), opset_version=19)
    path = export_onnx(model, tmp_path / "sub" / "m13.onnx", (1, 1, 28, 28), opset_version=13)
    assert path.is_file() and onnx.load(str(path)).opset_import[0].version == 13


def test_exported_caches_per_session(export_dir: Path) -> None:
    first = exported("plain_cnn", "torchscript", False, export_dir)
    stamp = first.stat().st_mtime_ns
    assert exported("plain_cnn", "torchscript", False, export_dir) == first
    assert first.stat().st_mtime_ns == stamp


# --------------------------------------------------------------------------- shipped models
MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
SHIPPED_CARDS = sorted(MODELS_DIR.glob("*.json"))


def test_the_four_shipped_models_are_there() -> None:
    names = {card.stem for card in SHIPPED_CARDS}
    assert {"mbv2_fashion_mnist", "mbv2_mnist", "cnn4_fashion_mnist", "cnn4_mnist"} <= names


@pytest.mark.parametrize("card_path", SHIPPED_CARDS, ids=[card.stem for card in SHIPPED_CARDS])
def test_shipped_model_matches_its_card(card_path: Path) -> None:
    import hashlib
    import json

    from medyate.host_tools.data.datasets import load_dataset

    card = json.loads(card_path.read_text())
    path = MODELS_DIR / card["onnx"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == card["onnx_sha256"]
    model = onnx.load(str(path))
    onnx.checker.check_model(model)
    assert model.opset_import[0].version == card["exporter"]["opset"]
    assert all(not t.name.startswith("onnx::") for t in model.graph.initializer)
    assert _ops(path)["BatchNormalization"] == 0
    assert sum(int(np.prod(t.dims)) for t in model.graph.initializer) == card["onnx_parameters"]
    assert card["onnx_parameters"] <= card["parameters"]  # folded BN: one bias for gamma and beta

    norm = card["input_normalisation"]
    data = load_dataset(card["dataset"], test_per_class=50, seed=0).normalise(norm["mean"], norm["std"])
    assert len(card["classes"]) == data.num_classes
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert list(session.get_inputs()[0].shape) == card["input_shape"]
    input_name = session.get_inputs()[0].name
    predictions = [int(session.run(None, {input_name: x[None]})[0].argmax()) for x in data.x_test]
    accuracy = float(np.mean(np.array(predictions) == data.y_test))
    # 500 of the 10k test images: the card's figure within sampling noise.
    assert abs(accuracy - card["test_accuracy"]) < 0.04, (accuracy, card["test_accuracy"])


def test_torchvision_mbv2_table_at_width_035() -> None:
    """torchvision.models.mobilenet_v2(width_mult=0.35, num_classes=10)'s layer table:
    stem 16, block widths 8/8/16/24/32/56/112 (its _make_divisible rounding), head 1280,
    408,938 parameters with its BatchNorms."""
    from zoo import torchvision_mbv2, torchvision_mbv2_blocks

    widths = [w for _, w, _, _ in torchvision_mbv2_blocks(0.35)]
    assert widths == [8, 8, 8, 16, 16, 16, 24, 24, 24, 24, 32, 32, 32, 56, 56, 56, 112]
    model = torchvision_mbv2(0.35, 10)
    assert model.features[0][0].out_channels == 16 and model.classifier.in_features == 1280
    assert sum(p.numel() for p in model.parameters()) == 408_938
