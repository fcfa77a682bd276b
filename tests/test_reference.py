"""The reference executor (numpy) against onnxruntime (forward) and PyTorch autograd in
float64 (loss and sparse gradients) on the zoo family, both exporters."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

import zoo
from medyate.codegen.frontend import load_graph
from medyate.codegen.gradients import reference_grads
from medyate.codegen.plan import Plan, Schedule, resolve_layers
from medyate.codegen.reference import ReferenceExecutor
from torch_oracle import channel_mask, rel_err, torch_grads

MODELS = [name for name, _, _ in zoo.zoo_models()]
EXPORTS = [("torchscript", False), ("torchscript", True), ("dynamo", False), ("dynamo", True)]


@pytest.mark.parametrize("exporter,keep_bn", EXPORTS)
@pytest.mark.parametrize("name", MODELS)
def test_forward_matches_onnxruntime(name: str, exporter: str, keep_bn: bool, zoo_dir) -> None:
    path = zoo.exported(name, exporter, keep_bn, zoo_dir)
    graph = load_graph(path)
    ex = ReferenceExecutor(graph, [])
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = zoo.sample_input(name, batch=1, seed=3).numpy()
    expected = sess.run(None, {sess.get_inputs()[0].name: x})[0][0]
    got = ex.forward(x[0], apply_tail=True)
    assert np.abs(got - expected).max() < 1e-4
    if graph.tail:
        assert name.endswith("softmax")


def random_schedule(layers, seed: int) -> Schedule:
    rng = np.random.default_rng(seed)
    channels = {}
    for layer in layers:
        k = int(rng.integers(0, layer.in_channels + 1))
        channels[layer.onnx_weight] = rng.choice(layer.in_channels, k, replace=False).tolist()
    return Schedule(channels)


@pytest.mark.parametrize("exporter", ["torchscript", "dynamo"])
@pytest.mark.parametrize("name", [m for m in MODELS if not m.endswith("softmax")] + ["plain_cnn_softmax"])
def test_sparse_gradients_match_torch(name: str, exporter: str, zoo_dir) -> None:
    """BatchNorm kept as separate nodes: the initializers are torch's own parameters, so
    the gradient must equal torch's, restricted to the scheduled channels."""
    path = zoo.exported(name, exporter, True, zoo_dir)
    graph = load_graph(path)
    layers = resolve_layers(graph, Plan.all_layers(graph))
    torch_model = zoo.build_model(name)
    if name.endswith("softmax"):
        torch_model.softmax = False   # the loss takes logits: compare with the logits model
    x = zoo.sample_input(name, batch=3, seed=5).numpy()
    y = np.array([1, 7, 3])
    schedule = random_schedule(layers, seed=len(name))
    result = reference_grads(graph, layers, schedule, x, y)
    loss, logits, tgrads = torch_grads(torch_model, x, y)
    assert abs(float(result["loss"]) - loss) / loss < 1e-5
    assert np.abs(result["logits"] - logits).max() < 1e-4
    checked = 0
    for layer in layers:
        expected = tgrads[layer.onnx_weight]
        mask = channel_mask(layer, expected.shape, schedule.channels[layer.onnx_weight])
        got = result[layer.onnx_weight]
        assert got.shape == expected.shape
        assert np.all(got[~mask] == 0.0)
        if mask.any():
            assert rel_err(got[mask], expected[mask]) < 1e-4, layer.onnx_weight
        if layer.train_bias:
            assert rel_err(result[layer.onnx_bias], tgrads[layer.onnx_bias]) < 1e-4
        checked += 1
    assert checked == len(layers) >= 3


def test_backward_keeps_only_scheduled_planes_and_masks(zoo_dir) -> None:
    path = zoo.exported("mbv2_tiny", "torchscript", False, zoo_dir)
    graph = load_graph(path)
    layers = resolve_layers(graph, Plan.all_layers(graph))
    ex = ReferenceExecutor(graph, layers)
    kinds = {s.kind for s in ex.program.storages.values()}
    assert kinds <= {"input", "act", "aux", "grad"}
    # every forward activation dies before the loss: the backward reads only aux + grads
    loss_step = next(i for i, s in enumerate(ex.program.steps) if s.kind == "loss")
    logits = ex.program.act_storage[graph.output]
    for s in ex.program.storages.values():
        if s.kind in ("act", "input") and s.name != logits:
            assert s.dies < loss_step, s.name
    keeps = "\n".join(ex.program.keeps())
    assert "1-bit mask" in keeps and "scheduled input-channel planes" in keeps


def test_backward_stops_at_deepest_plan_layer(zoo_dir) -> None:
    path = zoo.exported("plain_cnn", "torchscript", False, zoo_dir)
    graph = load_graph(path)
    last = graph.trainable_layers()[-1]
    plan = Plan(0, [{"weight": graph.tensors[last.inputs[1]].binding.onnx_name, "bias": True}])
    ex = ReferenceExecutor(graph, resolve_layers(graph, plan))
    assert [s.kind for s in ex.program.steps if s.kind == "input_grad"] == []
    assert {n.op for n in ex.program.backward_nodes} == {"gemm"}


def test_sgd_step_matches_torch_sgd(zoo_dir) -> None:
    """One SGD step on the reference equals torch SGD on the stored weights, including a
    BN-folded layer (the step is taken on the ONNX weight, not the folded one)."""
    import torch
    name = "mbv2_tiny"
    path = zoo.exported(name, "torchscript", True, zoo_dir)
    graph = load_graph(path)
    layers = resolve_layers(graph, Plan.all_layers(graph))
    ex = ReferenceExecutor(graph, layers)
    schedule = random_schedule(layers, seed=11)
    ex.set_schedule(schedule)
    x = zoo.sample_input(name, batch=2, seed=1).numpy()
    y = np.array([2, 5])
    before = {l.weight: ex.params[l.weight].copy() for l in layers}
    for xi, yi in zip(x, y):
        ex.train_sample(xi, int(yi))
    ex.apply_update(lr=0.1, batch=2)
    _, _, tgrads = torch_grads(zoo.build_model(name), x, y)
    model = zoo.build_model(name).double()
    params = dict(model.named_parameters())
    for layer in layers:
        binding = graph.tensors[layer.weight].binding
        mask = channel_mask(layer, tgrads[layer.onnx_weight].shape,
                            schedule.channels[layer.onnx_weight])
        expected = params[layer.onnx_weight].detach().numpy() - 0.1 * tgrads[layer.onnx_weight] * mask
        got = binding.write_back(params[layer.onnx_weight].detach().numpy(), before[layer.weight],
                                 ex.params[layer.weight])
        assert np.abs(got - expected).max() < 1e-6
    del torch


def test_constant_normalisation_and_scale_fold_with_exact_gradients(tmp_path) -> None:
    """(x - mean) / std in the graph and a constant per-channel scale after a conv:
    lowered to frozen affines, the scale folded into the conv, gradients still equal
    torch's w.r.t. the stored weights."""
    import torch
    import torch.nn as nn

    class Normalised(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("mean", torch.tensor([0.1, -0.2, 0.3]).view(1, 3, 1, 1))
            self.register_buffer("std", torch.tensor([0.5, 0.25, 2.0]).view(1, 3, 1, 1))
            self.register_buffer("gain", torch.tensor([1.5, -0.5, 2.0, 0.75]).view(1, 4, 1, 1))
            self.conv = nn.Conv2d(3, 4, 3, padding=1)
            self.fc = nn.Linear(4 * 6 * 6, 5)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = torch.relu(self.conv((x - self.mean) / self.std) * self.gain)
            return self.fc(y.flatten(1))

    torch.manual_seed(0)
    model = Normalised().eval()
    path = zoo.export_onnx(model, tmp_path / "norm.onnx", (1, 3, 6, 6))
    graph = load_graph(path)
    assert [n.op for n in graph.nodes] == ["add_const", "affine", "conv", "reshape", "gemm"]
    layers = resolve_layers(graph, Plan.all_layers(graph))
    x = torch.randn(2, 3, 6, 6).numpy()
    y = np.array([1, 4])
    schedule = Schedule({"conv.weight": [0, 2], "fc.weight": list(range(0, 144, 3))})
    result = reference_grads(graph, layers, schedule, x, y)
    loss, _, tgrads = torch_grads(model, x, y)
    assert abs(float(result["loss"]) - loss) < 1e-5
    for layer in layers:
        mask = channel_mask(layer, tgrads[layer.onnx_weight].shape, schedule.channels[layer.onnx_weight])
        assert rel_err(result[layer.onnx_weight][mask], tgrads[layer.onnx_weight][mask]) < 1e-4
        assert rel_err(result[layer.onnx_bias], tgrads[layer.onnx_bias]) < 1e-4
    from medyate.host_tools.device.device_targets import host_grads
    host = host_grads(model=path, graph=graph, plan=Plan.all_layers(graph), layers=layers,
                      schedule=schedule, x=x, y=y)
    for key, value in result.items():
        assert rel_err(host[key], value) < 1e-4, key


def test_output_channel_schedule_trains_whole_rows(zoo_dir) -> None:
    """NEq-style `output_channels`: the gradient of every weight producing a scheduled
    output channel (whole rows, from the whole saved input), union the input channels."""
    name = "plain_cnn"
    path = zoo.exported(name, "torchscript", True, zoo_dir)
    graph = load_graph(path)
    layers = resolve_layers(graph, Plan.all_layers(graph))
    conv, fc = layers[0], layers[-1]
    schedule = Schedule({conv.onnx_weight: [0]},
                        output_channels={conv.onnx_weight: [1, 3], fc.onnx_weight: [2]})
    x = zoo.sample_input(name, batch=2, seed=9).numpy()
    y = np.array([2, 6])
    result = reference_grads(graph, layers, schedule, x, y)
    _, _, tgrads = torch_grads(zoo.build_model(name), x, y)
    for layer, rows, cols in ((conv, [1, 3], [0]), (fc, [2], [])):
        expected = tgrads[layer.onnx_weight]
        mask = channel_mask(layer, expected.shape, cols)
        mask[rows] = True
        got = result[layer.onnx_weight]
        assert np.all(got[~mask] == 0.0)
        assert rel_err(got[mask], expected[mask]) < 1e-4
    bad = Schedule({}, output_channels={fc.onnx_weight: [10]})
    with pytest.raises(Exception, match="output channel 10 of .* is out of range"):
        bad.for_layers(layers)
    # the generated C (host target) computes the same rows, input channels and biases
    from medyate.host_tools.device.device_targets import host_grads
    host = host_grads(model=path, graph=graph, plan=Plan.all_layers(graph), layers=layers,
                      schedule=schedule, x=x, y=y)
    for key, value in result.items():
        assert rel_err(host[key], value) < 1e-4, key
