"""Issue 12: the common CNN families (tests/zoo_families.py) from both exporters import,
run forward like onnxruntime, and give PyTorch autograd's loss and sparse gradients on
the reference target for a random schedule over every layer (so layers before and after
each new op kind: Concat, Split/Slice, Transpose, Sigmoid, HardSigmoid, HardSwish, the
squeeze-excitation Mul, LeakyRelu, PRelu, Tanh, Pad)."""
from __future__ import annotations

import os

import numpy as np
import onnxruntime as ort
import pytest
import torch

import zoo
from medyate.codegen.errors import UnsupportedModelError
from medyate.codegen import training
from medyate.codegen.frontend import load_graph
from medyate.codegen.gradients import reference_grads
from medyate.codegen.plan import Plan, Schedule, resolve_layers
from medyate.codegen.reference import ReferenceExecutor
from torch_oracle import channel_mask, rel_err, torch_grads

FAMILIES = zoo.family_models()
#: the issue's exporters: TorchScript at opset 13 (HardSwish as HardSigmoid x Mul) and
#: the default dynamo exporter (opset 18+, HardSwish as one op, Split by num_outputs)
EXPORTS = [("torchscript", 13), ("dynamo", zoo.TORCHSCRIPT_OPSET)]
#: A dynamo export takes 8-25 s here, a host build of the runtime ~25 s: by default the
#: dynamo side runs on the net holding every op kind, the host
#: target on that net; MEDYATE_ALL_FAMILIES=1 runs every family on both (~4 min).
ALL = os.environ.get("MEDYATE_ALL_FAMILIES") == "1"
CASES = [(name, exporter, opset) for name in FAMILIES for exporter, opset in EXPORTS
         if ALL or exporter == "torchscript" or name == "ops_cnn"]


def family_path(name: str, exporter: str, opset: int, zoo_dir) -> object:
    return zoo.exported(name, exporter, True, zoo_dir, opset_version=opset)


def random_schedule(layers, seed: int) -> Schedule:
    """A random non-empty subset of the input channels of every layer."""
    rng = np.random.default_rng(seed)
    channels = {}
    for layer in layers:
        k = int(rng.integers(1, layer.in_channels + 1))
        channels[layer.onnx_weight] = sorted(rng.choice(layer.in_channels, k, replace=False).tolist())
    return Schedule(channels)


def check_grads(name: str, result: dict, layers, schedule: Schedule, x: np.ndarray,
                y: np.ndarray, tol: float = 1e-4) -> None:
    loss, logits, tgrads = torch_grads(zoo.build_model(name), x, y)
    assert abs(float(result["loss"]) - loss) / loss < tol
    assert np.abs(result["logits"] - logits).max() < tol * max(1.0, np.abs(logits).max())
    for layer in layers:
        expected = tgrads[layer.onnx_weight]
        mask = channel_mask(layer, expected.shape, schedule.channels[layer.onnx_weight])
        got = result[layer.onnx_weight]
        assert got.shape == expected.shape
        assert np.all(got[~mask] == 0.0)
        assert rel_err(got[mask], expected[mask]) < tol, layer.onnx_weight
        if layer.train_bias:
            assert rel_err(result[layer.onnx_bias], tgrads[layer.onnx_bias]) < tol, layer.onnx_bias


@pytest.mark.parametrize("name,exporter,opset", CASES)
def test_family_forward_and_sparse_gradients_match(name: str, exporter: str, opset: int,
                                                   zoo_dir) -> None:
    path = family_path(name, exporter, opset, zoo_dir)
    graph = load_graph(path)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x1 = zoo.sample_input(name, batch=1, seed=3).numpy()
    expected = sess.run(None, {sess.get_inputs()[0].name: x1})[0][0]
    assert np.abs(ReferenceExecutor(graph, []).forward(x1[0]) - expected).max() < 1e-4

    if name == "ops_cnn":            # every new op kind really is in the graph
        expected = {"add_channel", "concat", "div", "gap", "hardsigmoid", "leaky_relu", "mul",
                    "prelu", "sigmoid", "slice", "softmax", "tanh", "transpose"}
        expected |= {"pad"} if exporter == "torchscript" else {"hardswish"}
        assert expected <= {n.op for n in graph.nodes}
    layers = resolve_layers(graph, Plan.all_layers(graph))
    assert len(layers) >= 5
    x = zoo.sample_input(name, batch=2, seed=5).numpy()
    y = np.array([1, 7])
    schedule = random_schedule(layers, seed=len(name))
    check_grads(name, reference_grads(graph, layers, schedule, x, y), layers, schedule, x, y)


#: the generated C on the host (each build compiles the runtime: a few families only,
#: chosen so that together they run every new C kernel forward and backward)
HOST_FAMILIES = FAMILIES if ALL else ["ops_cnn"]


@pytest.mark.parametrize("name", HOST_FAMILIES)
def test_family_host_target_matches_torch(name: str, zoo_dir, monkeypatch) -> None:
    """The C as the emitter lays it out, except that Concat inputs are forced in place
    (views inside the Concat's buffer: the riskier layout; the emitter picks it only when
    its arena is not larger)."""
    from medyate.host_tools.device.device_targets import host_grads
    import medyate.codegen.emit_c as emit_c
    views: list[int] = []

    def in_place_program(*args, **kwargs):
        kwargs["concat_in_place"] = True
        program = training.build_program(*args, **kwargs)
        views.append(sum(1 for s in program.storages.values() if s.parent))
        return program

    monkeypatch.setattr(emit_c, "build_program", in_place_program)
    exporter, opset = EXPORTS[0]
    path = family_path(name, exporter, opset, zoo_dir)
    graph = load_graph(path)
    plan = Plan.all_layers(graph)
    layers = resolve_layers(graph, plan)
    x = zoo.sample_input(name, batch=2, seed=5).numpy()
    y = np.array([1, 7])
    schedule = random_schedule(layers, seed=len(name) + 1)
    result = host_grads(model=path, graph=graph, plan=plan, layers=layers, schedule=schedule,
                        x=x, y=y)
    # float32 C against float64 torch
    check_grads(name, result, layers, schedule, x, y, tol=1e-4)
    assert max(views) > 0 or not any(n.op == "concat" for n in graph.nodes)


class SoftmaxInside(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.conv2 = torch.nn.Conv2d(3, 6, 3), torch.nn.Conv2d(6, 6, 3)
        self.fc = torch.nn.Linear(6, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv2(torch.softmax(self.conv1(x), dim=1))
        return self.fc(x.mean([2, 3]))


def test_softmax_inside_is_forward_only(tmp_path) -> None:
    """Layers after an inner Softmax train (gradients match torch); a plan that needs the
    gradient through it is refused with the node named."""
    torch.manual_seed(0)
    model = SoftmaxInside().eval()
    path = zoo.export_onnx(model, tmp_path / "sm.onnx", (1, 3, 10, 10), opset_version=13)
    graph = load_graph(path)
    everything = resolve_layers(graph, Plan.all_layers(graph))
    x = torch.randn(2, 3, 10, 10, generator=torch.Generator().manual_seed(1)).numpy()
    y = np.array([0, 3])
    with pytest.raises(UnsupportedModelError, match="softmax.*no backward pass"):
        reference_grads(graph, everything, Schedule.full(everything), x, y)
    after = Plan(0, Plan.all_layers(graph).layers[1:])
    layers = resolve_layers(graph, after)
    result = reference_grads(graph, layers, Schedule.full(layers), x, y)
    loss, _, tgrads = torch_grads(model, x, y)
    assert abs(float(result["loss"]) - loss) / loss < 1e-6
    for layer in layers:
        assert rel_err(result[layer.onnx_weight], tgrads[layer.onnx_weight]) < 1e-6
