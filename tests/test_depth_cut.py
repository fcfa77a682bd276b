"""Backward only as deep as the schedule (issue #9, item 4), on the generated host C.

With biases not trained, the generated training step stops its backward chain at the
deepest layer that has scheduled channels (model_set_schedule sets the cut) and skips
the masks below it. The gradients must not change: for schedules that leave the early
layers empty, for the full schedule, and when the cut moves between schedules on the
same loaded model (a mask skipped under one schedule must be rebuilt under the next).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import zoo
from medyate.codegen.compiler import compile_model
from medyate.codegen.emit_c import pool_bytes_for
from medyate.codegen.frontend import load_graph
from medyate.codegen.gradients import reference_grads
from medyate.codegen.plan import Plan, Schedule, resolve_layers
from medyate.host_tools.device.host_model import build_host_library, load_private
from torch_oracle import rel_err


def _tail_schedule(layers, first: int, seed: int) -> Schedule:  # type: ignore[no-untyped-def]
    """Channels only in layers[first:], none before: the cut sits at layers[first]."""
    rng = np.random.default_rng(seed)
    channels = {}
    for layer in layers:
        k = 0 if layer.index < first else int(rng.integers(1, layer.in_channels + 1))
        channels[layer.onnx_weight] = rng.choice(layer.in_channels, k, replace=False).tolist()
    return Schedule(channels)


@pytest.mark.parametrize("name", ["mbv2_tiny"])   # residual adds, ReLU6 masks
def test_cut_backward_gradients_equal_reference(name: str, zoo_dir: Path, tmp_path: Path) -> None:
    path = zoo.exported(name, "torchscript", False, zoo_dir)
    graph = load_graph(path)
    plan = Plan.all_layers(graph)
    plan.layers = [dict(entry, bias=False) for entry in plan.layers]
    layers = resolve_layers(graph, plan)
    compile_model(path, plan, tmp_path, graph=graph, pool_bytes=pool_bytes_for(layers, 0))
    runner = load_private(build_host_library(tmp_path), "grad")
    x = zoo.sample_input(name, batch=2, seed=5).numpy()
    y = np.array([3, 7])
    classes = graph.tensors[graph.output].size
    n = len(layers)
    # deep only, shallow-ish, full, then deep again: the cut moves both ways
    for first, seed in ((n - 1, 1), (n // 2, 2), (0, 3), (n - 2, 4)):
        schedule = _tail_schedule(layers, first, seed)
        runner.set_schedule(schedule.for_layers(layers))
        for xi, yi in zip(x, y):
            runner.train_sample(xi, int(yi), classes)
        ref = reference_grads(graph, layers, schedule, x, y)
        for layer in layers:
            got = runner.weight_grad(layer.index, graph.tensors[layer.weight].size) / len(x)
            expected = ref[layer.onnx_weight].reshape(-1)
            if layer.index < first:
                assert np.all(got == 0.0)
            else:
                assert rel_err(got, expected) < 1e-4, (first, layer.onnx_weight)
