"""Output-channel (NEq neuron) slots against PyTorch autograd on every target: schedules
mixing input-channel layers, output-channel layers and layers with both, where the
deepest layer the backward must reach has only output channels (the depth cut).

A scheduled output channel o trains the whole row W[o] (every input channel), so the
expected gradient is torch's on the union of the scheduled input-channel slices and the
scheduled rows, and exactly zero elsewhere."""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest

import zoo
from medyate.codegen.compiler import compile_model
from medyate.codegen.frontend import load_graph
from medyate.codegen.plan import Plan, Schedule, TrainLayer, resolve_layers
from medyate.codegen.reference import ReferenceExecutor
from medyate.host_tools.device.device_targets import grad_pool_bytes
from medyate.host_tools.device.host_model import build_host_library, load_private
from medyate.host_tools.device.targets import grad_target
from toolchain_marks import needs_qemu_and_arm
from torch_oracle import channel_mask, rel_err, torch_grads

NAME = "mbv2_tiny"     # depthwise + pointwise convs (grouped rows), BN folded, a Linear


def some(count: int, rng: np.random.Generator, fraction: float = 0.4) -> list[int]:
    return sorted(rng.choice(count, max(1, int(count * fraction)), replace=False).tolist())


def mixed_schedule(layers: list[TrainLayer], kind: str, seed: int = 5) -> Schedule:
    """"depth": the deepest needed layer (layers[1]) has output channels only; later layers
    alternate input / output / both. "alternate": even layers input, odd layers output."""
    rng = np.random.default_rng(seed)
    channels: dict[str, list[int]] = {}
    outputs: dict[str, list[int]] = {}
    for number, layer in enumerate(layers):
        if kind == "depth":
            if number == 0:
                continue                      # nothing below the cut
            role = ("out", "in", "both")[(number - 1) % 3]
        else:
            role = "in" if number % 2 == 0 else "out"
        if role in ("in", "both"):
            channels[layer.onnx_weight] = some(layer.in_channels, rng)
        if role in ("out", "both"):
            outputs[layer.onnx_weight] = some(layer.out_channels, rng)
    return Schedule(channels, output_channels=outputs)


@pytest.fixture(scope="module")
def model(zoo_dir: Path) -> dict:
    path = zoo.exported(NAME, "torchscript", True, zoo_dir)
    graph = load_graph(path)
    plan = Plan.all_layers(graph, 16 * 1024)
    x = zoo.sample_input(NAME, batch=3, seed=2).numpy()
    y = np.array([1, 7, 4])
    return {"path": path, "graph": graph, "plan": plan, "layers": resolve_layers(graph, plan),
            "x": x, "y": y}


def expected_mask(layer: TrainLayer, shape: tuple[int, ...], schedule: Schedule) -> np.ndarray:
    mask = channel_mask(layer, shape, schedule.channels.get(layer.onnx_weight, []))
    mask[schedule.output_channels.get(layer.onnx_weight, [])] = True
    return mask


def check_against_torch(result: dict[str, np.ndarray], model: dict, schedule: Schedule) -> None:
    loss, _, tgrads = torch_grads(zoo.build_model(NAME), model["x"], model["y"])
    assert abs(float(result["loss"]) - loss) < 1e-4
    for layer in model["layers"]:
        expected = tgrads[layer.onnx_weight]
        mask = expected_mask(layer, expected.shape, schedule)
        got = result[layer.onnx_weight]
        assert np.all(got[~mask] == 0.0), layer.onnx_weight
        if mask.any():
            assert rel_err(got[mask], expected[mask]) < 1e-3, layer.onnx_weight
        if layer.train_bias:
            assert rel_err(result[layer.onnx_bias], tgrads[layer.onnx_bias]) < 1e-3


@pytest.mark.parametrize("kind", ["depth", "alternate"])
@pytest.mark.parametrize("target", ["reference", "host"])
def test_mixed_schedule_grads_equal_torch(model: dict, target: str, kind: str) -> None:
    schedule = mixed_schedule(model["layers"], kind)
    assert schedule.output_channels and schedule.channels
    result = grad_target(target)(model=model["path"], graph=model["graph"], plan=model["plan"],
                                 layers=model["layers"], schedule=schedule, x=model["x"],
                                 y=model["y"])
    check_against_torch(result, model, schedule)


def test_host_sgd_step_equals_reference_with_rows_and_slices_on_one_layer(model: dict) -> None:
    """Both slots on one layer: a weight inside a scheduled slice AND a scheduled row takes
    one SGD step, not two; every other weight moves as the reference moves it."""
    layers, graph = model["layers"], model["graph"]
    schedule = mixed_schedule(layers, "depth")
    both = [l for l in layers if l.onnx_weight in schedule.channels
            and l.onnx_weight in schedule.output_channels]
    assert both
    reference = ReferenceExecutor(graph, layers)
    reference.set_schedule(schedule)
    with tempfile.TemporaryDirectory(prefix="medyate-rows-") as tmp:
        compile_model(model["path"], model["plan"], Path(tmp), graph=graph,
                      pool_bytes=grad_pool_bytes(layers, model["plan"], schedule))
        host = load_private(build_host_library(Path(tmp)), "rows-sgd")
        host.set_schedule(schedule.for_layers(layers), schedule.outputs_for_layers(layers))
        classes = graph.tensors[graph.output].size
        for xi, yi in zip(model["x"], model["y"]):
            host.train_sample(xi, int(yi), classes)
            reference.train_sample(xi, int(yi))
        host.apply_update(0.5, len(model["x"]))
        reference.apply_update(0.5, len(model["x"]))
        for layer in layers:
            before = graph.tensors[layer.weight].data.reshape(-1)
            got = host.read_tensor(layer.index, 0)
            want = reference.params[layer.weight].reshape(-1)
            assert np.abs(got - want).max() <= 1e-5 * max(1.0, np.abs(want).max()), layer.onnx_weight
            if layer in both:     # the doubly-covered weights moved (and by one step only)
                assert np.abs(got - before).max() > 0


@pytest.mark.qemu
@needs_qemu_and_arm
def test_qemu_mixed_schedule_grads_equal_torch(model: dict) -> None:
    schedule = mixed_schedule(model["layers"], "depth")
    result = grad_target("qemu-mps2-an386")(model=model["path"], graph=model["graph"],
                                            plan=model["plan"], layers=model["layers"],
                                            schedule=schedule, x=model["x"], y=model["y"])
    check_against_torch(result, model, schedule)


def test_output_slots_beside_compressed_planes_equal_reference(model: dict) -> None:
    """With asi-compressed input-channel planes, the output slots still save the raw whole
    input: the host C equals the reference executor, and the scheduled rows equal torch
    exactly where no compressed slice overlaps them."""
    from medyate.codegen.compression import CompressionConfig
    from medyate.codegen.gradients import reference_grads

    schedule = mixed_schedule(model["layers"], "alternate")
    config = CompressionConfig("asi", rank=2, iterations=2)
    host = grad_target("host")(model=model["path"], graph=model["graph"], plan=model["plan"],
                               layers=model["layers"], schedule=schedule, x=model["x"],
                               y=model["y"], compress=config)
    reference = reference_grads(model["graph"], model["layers"], schedule, model["x"],
                                model["y"], compress=config)
    _, _, tgrads = torch_grads(zoo.build_model(NAME), model["x"], model["y"])
    for layer in model["layers"]:
        key = layer.onnx_weight
        assert rel_err(host[key], reference[key]) < 1e-3, key
        rows = schedule.output_channels.get(key, [])
        if rows and key not in schedule.channels:
            assert rel_err(host[key][rows], tgrads[key][rows]) < 1e-3, key
