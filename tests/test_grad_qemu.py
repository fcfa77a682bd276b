"""`grad --target qemu-mps2-an386`: the generated C inside the real firmware under QEMU
gives the gradients of the host build and of the numpy reference (BN folded, sparse)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import zoo
from medyate.codegen.frontend import load_graph
from medyate.codegen.plan import Plan, Schedule, resolve_layers
from medyate.host_tools.device.targets import grad_target
from toolchain_marks import needs_qemu_and_arm

pytestmark = [
    pytest.mark.qemu,
    needs_qemu_and_arm,
]


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12))


@pytest.mark.parametrize("name", ["mbv2_tiny", "resnet_tiny"])
def test_qemu_grads_equal_host_and_reference(name: str, zoo_dir: Path) -> None:
    model = zoo.exported(name, "torchscript", True, zoo_dir)
    graph = load_graph(model)
    plan = Plan.all_layers(graph, 16 * 1024)
    layers = resolve_layers(graph, plan)
    rng = np.random.default_rng(3)
    # about half of every layer's channels: exercises the sparse slices and zeros elsewhere
    schedule = Schedule({l.onnx_weight: sorted(rng.choice(l.in_channels, max(1, l.in_channels // 2),
                                                          replace=False).tolist())
                         for l in layers})
    shape = zoo.input_shape(name)
    x = rng.normal(size=(3,) + shape[1:]).astype(np.float32)
    y = rng.integers(0, 10, 3)
    args = dict(model=model, graph=graph, plan=plan, layers=layers, schedule=schedule, x=x, y=y)
    qemu = grad_target("qemu-mps2-an386")(**args)
    host = grad_target("host")(**args)
    reference = grad_target("reference")(**args)
    assert set(qemu) == set(reference) == set(host)
    assert len(qemu) == 2 + len(layers) + sum(l.train_bias for l in layers)
    for key in reference:
        assert qemu[key].shape == reference[key].shape, key
        assert relative_error(qemu[key], reference[key]) < 1e-3, key
        assert relative_error(qemu[key], host[key]) < 1e-3, key
    # outside the scheduled channels the weight gradient is exactly zero
    first = layers[1]
    unscheduled = sorted(set(range(first.in_channels)) - set(schedule.channels[first.onnx_weight]))
    if unscheduled and first.node.attrs.get("group", 1) == 1:
        assert not np.any(qemu[first.onnx_weight][:, unscheduled])
