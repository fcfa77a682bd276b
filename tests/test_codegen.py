"""The generated C on the host: gradients equal the reference and PyTorch, the arena plan
never overlaps live buffers, and the C refuses a schedule bigger than its pool."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import zoo
from medyate.codegen.compiler import compile_model
from medyate.codegen.emit_c import pool_bytes_for
from medyate.codegen.frontend import load_graph
from medyate.codegen.gradients import reference_grads
from medyate.codegen.plan import Plan, Schedule, resolve_layers
from medyate.host_tools.device.device_targets import host_grads
from medyate.host_tools.device.host_model import DeviceError, build_host_library, load_private
from test_reference import random_schedule
from torch_oracle import channel_mask, rel_err, torch_grads

MODELS = ["plain_cnn", "mbv2_tiny", "resnet_tiny", "mcunet_tiny"]


@pytest.mark.parametrize("name", MODELS)
def test_host_gradients_equal_torch_and_reference(name: str, zoo_dir: Path) -> None:
    path = zoo.exported(name, "torchscript", True, zoo_dir)
    graph = load_graph(path)
    plan = Plan.all_layers(graph)
    layers = resolve_layers(graph, plan)
    x = zoo.sample_input(name, batch=3, seed=2).numpy()
    y = np.array([4, 0, 9])
    for seed in range(2):
        schedule = random_schedule(layers, seed=seed + 100)
        host = host_grads(model=path, graph=graph, plan=plan, layers=layers, schedule=schedule,
                          x=x, y=y)
        ref = reference_grads(graph, layers, schedule, x, y)
        loss, logits, tgrads = torch_grads(zoo.build_model(name), x, y)
        assert abs(float(host["loss"]) - loss) / loss < 1e-4
        assert np.abs(host["logits"] - logits).max() < 1e-3
        for layer in layers:
            got, expected = host[layer.onnx_weight], tgrads[layer.onnx_weight]
            mask = channel_mask(layer, expected.shape, schedule.channels[layer.onnx_weight])
            assert np.all(got[~mask] == 0.0)
            if mask.any():
                assert rel_err(got[mask], expected[mask]) < 1e-3, layer.onnx_weight
                assert rel_err(got, ref[layer.onnx_weight]) < 1e-3
            if layer.train_bias:
                assert rel_err(host[layer.onnx_bias], tgrads[layer.onnx_bias]) < 1e-3


@pytest.mark.parametrize("name", MODELS + ["plain_cnn_softmax"])
@pytest.mark.parametrize("exporter", ["torchscript", "dynamo"])
def test_arena_plan_never_overlaps_live_buffers(name: str, exporter: str, zoo_dir: Path,
                                                tmp_path: Path) -> None:
    path = zoo.exported(name, exporter, False, zoo_dir)
    graph = load_graph(path)
    plan = Plan.all_layers(graph, budget_bytes=16 * 1024)
    generated, layers = compile_model(path, plan, tmp_path, graph=graph)
    generated.arena.check_no_overlap()           # raises on any overlap
    # independent check from the written report
    memory = json.loads((tmp_path / "memory.json").read_text())
    placements = memory["placements"]
    for i, a in enumerate(placements):
        for b in placements[i + 1:]:
            alive_together = a["born"] <= b["dies"] and b["born"] <= a["dies"]
            disjoint = a["offset"] + a["bytes"] <= b["offset"] or b["offset"] + b["bytes"] <= a["offset"]
            assert not alive_together or disjoint, (a["storage"], b["storage"])
    assert memory["channel_pool_bytes"] == pool_bytes_for(layers, 16 * 1024)
    assert memory["arena_bytes"] >= memory["arena_lower_bound_bytes"] > memory["channel_pool_bytes"]


def test_schedule_over_pool_is_refused_by_the_c(zoo_dir: Path, tmp_path: Path) -> None:
    path = zoo.exported("plain_cnn", "torchscript", False, zoo_dir)
    graph = load_graph(path)
    layers = resolve_layers(graph, Plan.all_layers(graph))
    cheapest = min(l.channel_cost_bytes for l in layers)
    plan = Plan.all_layers(graph, budget_bytes=3 * cheapest)
    compile_model(path, plan, tmp_path, graph=graph)
    model = load_private(build_host_library(tmp_path), "pool")
    small = [np.zeros(0, np.int64) for _ in layers]
    j = next(i for i, l in enumerate(layers) if l.channel_cost_bytes == cheapest)
    small[j] = np.arange(min(3, layers[j].in_channels))
    model.set_schedule(small)                       # fits exactly
    too_big = Schedule.full(layers).for_layers(layers)
    with pytest.raises(DeviceError, match="more bytes than the channel pool"):
        model.set_schedule(too_big)
    bad = [np.zeros(0, np.int64) for _ in layers]
    bad[j] = np.array([0, 0])
    with pytest.raises(DeviceError, match="out of range or repeated"):
        model.set_schedule(bad)


def test_training_on_host_follows_reference(zoo_dir: Path, tmp_path: Path) -> None:
    """Several SGD steps with changing schedules: host weights track the reference."""
    from medyate.codegen.reference import ReferenceExecutor
    path = zoo.exported("mbv2_tiny", "torchscript", True, zoo_dir)
    graph = load_graph(path)
    plan = Plan.all_layers(graph)
    layers = resolve_layers(graph, plan)
    compile_model(path, plan, tmp_path, graph=graph)
    host = load_private(build_host_library(tmp_path), "train")
    ref = ReferenceExecutor(graph, layers)
    x = zoo.sample_input("mbv2_tiny", batch=8, seed=4).numpy()
    y = np.arange(8) % 10
    classes = graph.tensors[graph.output].size
    for step in range(3):
        schedule = random_schedule(layers, seed=step)
        host.set_schedule(schedule.for_layers(layers))
        ref.set_schedule(schedule)
        for xi, yi in zip(x, y):
            host.train_sample(xi, int(yi), classes)
            ref.train_sample(xi, int(yi))
        host.apply_update(0.05, len(x))
        ref.apply_update(0.05, len(x))
    for layer in layers:
        w_host, _ = host.weights(layer.index, graph.tensors[layer.weight].size, layer.out_channels)
        w_ref = ref.params[layer.weight].reshape(-1)
        assert np.abs(w_host - w_ref).max() < 1e-4 * max(1.0, np.abs(w_ref).max())
    assert not np.allclose(ref.params[layers[0].weight], graph.tensors[layers[0].weight].data)
