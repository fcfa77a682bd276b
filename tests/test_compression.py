"""Compressed saved activations (svd, hosvd, asi) on the reference target: full rank is
exact, eps < 1 equals the exact gradient on the reconstructed activation, the memory
formula is what is stored, asi finds the top subspace, and the grad CLI accepts it."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import zoo
from medyate.cli import main
from medyate.codegen import reference
from medyate.codegen.compression import (CompressionConfig, asi, conv_weight_grad_from_factors,
                                         hosvd, hosvd_floats, orthonormal_start,
                                         subspace_iteration, svd, svd_floats)
from medyate.codegen.errors import MedyateError
from medyate.codegen.frontend import load_graph
from medyate.codegen.gradients import reference_grads, run_reference_batch
from medyate.codegen.ops.conv import conv_weight_grad_slices
from medyate.codegen.ops.gemm import gemm_weight_grad_slices
from medyate.codegen.plan import Plan, Schedule, resolve_layers
from medyate.codegen.reference import ReferenceExecutor

MODEL = "mbv2_tiny"


@pytest.fixture(scope="module")
def setup(zoo_dir):
    path = zoo.exported(MODEL, "torchscript", True, zoo_dir)
    graph = load_graph(path)
    layers = resolve_layers(graph, Plan.all_layers(graph))
    rng = np.random.default_rng(4)
    schedule = Schedule({l.onnx_weight: sorted(rng.choice(l.in_channels, max(1, l.in_channels // 2),
                                                          replace=False).tolist())
                         for l in layers})
    x = zoo.sample_input(MODEL, batch=3, seed=2).numpy()
    y = np.array([1, 4, 7])
    return path, graph, layers, schedule, x, y


def rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


@pytest.mark.parametrize("config", [CompressionConfig("hosvd", eps=1.0),
                                    CompressionConfig("svd", eps=1.0),
                                    CompressionConfig("asi", rank=1000, iterations=1)],
                         ids=["hosvd", "svd", "asi"])
def test_full_rank_equals_uncompressed(setup, config) -> None:
    _, graph, layers, schedule, x, y = setup
    raw = reference_grads(graph, layers, schedule, x, y)
    got, ex = run_reference_batch(graph, layers, schedule, x, y, compress=config)
    assert len(ex.compression_stats()) == len(layers) >= 5
    for layer in layers:
        assert np.abs(raw[layer.onnx_weight]).max() > 0, layer.onnx_weight
        assert rel(got[layer.onnx_weight], raw[layer.onnx_weight]) < 1e-6, layer.onnx_weight


def capture_blocks(monkeypatch, graph, layers, schedule, x) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Raw executor, one sample: each layer's saved planes and its dY (what a weight
    gradient sees)."""
    seen: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    original = reference.STEP_HANDLERS["weight_grad"]

    def spy(ex, step, env):
        dy = env[step.reads[0]].reshape(graph.tensors[step.layer.node.outputs[0]].shape)
        seen[step.layer.index] = (ex.state[step.layer.index].saved.copy(), dy.copy())
        original(ex, step, env)

    monkeypatch.setitem(reference.STEP_HANDLERS, "weight_grad", spy)
    ex = ReferenceExecutor(graph, layers)
    ex.set_schedule(schedule)
    ex.train_sample(x, 3)
    return seen


@pytest.mark.parametrize("method", ["hosvd", "svd"])
def test_eps_below_one_equals_gradient_on_reconstruction(setup, monkeypatch, method) -> None:
    _, graph, layers, schedule, x, _ = setup
    blocks = capture_blocks(monkeypatch, graph, layers, schedule, x[0])
    monkeypatch.undo()
    ex = ReferenceExecutor(graph, layers, compress=CompressionConfig(method, eps=0.8))
    ex.set_schedule(schedule)
    ex.train_sample(x[0], 3)
    decompose = {"hosvd": hosvd, "svd": svd}[method]
    truncated = 0
    for layer, st in zip(layers, ex.state):
        planes, dy = blocks[layer.index]
        w_shape = graph.tensors[layer.weight].shape
        block = planes if planes.ndim == 3 else planes.reshape(-1, 1, 1)
        rebuilt = decompose(block, 0.8).reconstruct()
        if layer.kind == "conv":
            expected = conv_weight_grad_slices(layer.node, rebuilt, st.channels, dy, w_shape)
            exact = conv_weight_grad_slices(layer.node, planes, st.channels, dy, w_shape)
        else:
            expected = gemm_weight_grad_slices(rebuilt.reshape(-1), dy)
            exact = gemm_weight_grad_slices(planes, dy)
        assert rel(st.slices, expected) < 1e-9, layer.onnx_weight
        truncated += rel(expected, exact) > 1e-3          # the compression really approximates
    assert truncated >= 2


def test_zpath_on_strided_dilated_grouped_conv() -> None:
    """The factor path against conv_weight_grad_slices on the rebuilt block, on geometries
    the zoo does not cover (asymmetric pads, dilation, groups of 2)."""
    from medyate.codegen.ir import Node
    rng = np.random.default_rng(1)
    node = Node("c", "conv", ["x", "w"], ["y"], {"strides": (2, 2), "pads": (1, 0, 2, 1),
                                                 "dilations": (2, 2), "group": 2, "act": None})
    w_shape, channels = (6, 2, 3, 3), np.array([3, 0, 2])
    planes = rng.standard_normal((3, 10, 9))
    dy = rng.standard_normal((6, 5, 3))        # conv_shape of (10, 9) under these attrs
    for block in (hosvd(planes, 0.7), svd(planes, 0.7), asi(planes, (2, 3, 4), None, 2)):
        got = conv_weight_grad_from_factors(node, block, channels, dy, w_shape)
        want = conv_weight_grad_slices(node, block.reconstruct(), channels, dy, w_shape)
        assert rel(got, want) < 1e-12


def test_memory_formula_matches_stored_factors(setup) -> None:
    _, graph, layers, schedule, x, y = setup
    rng = np.random.default_rng(0)
    planes = rng.standard_normal((7, 12, 10)) + 3.0 * rng.standard_normal((7, 1, 1))
    block = hosvd(planes, 0.9)
    stored = block.core.size + sum(f.size for f in block.factors)
    assert block.stored_floats == stored == hosvd_floats(planes.shape, block.ranks)
    assert block.ranks != planes.shape                 # truncated, not trivially full
    flat = svd(planes, 0.9)
    k = flat.ranks[0]
    assert flat.stored_floats == svd_floats(planes.shape, k) == k * (7 + 120)
    _, ex = run_reference_batch(graph, layers, schedule, x, y,
                                compress=CompressionConfig("hosvd", eps=0.9))
    stats = ex.compression_stats()
    for layer, st in zip(layers, ex.state):
        entry = stats[layer.onnx_weight]
        assert entry["samples"] == 3
        assert entry["raw_bytes"] == 4 * len(st.channels) * layer.plane_elems
        assert entry["mean_bytes"] <= entry["peak_bytes"]
        log = ex.compressor.log[layer.onnx_weight]
        shape = (len(st.channels),) + tuple(graph.tensors[layer.input].shape[1:])
        for memory in log:
            if layer.kind == "conv":
                assert memory.stored_floats == hosvd_floats(shape, memory.ranks)


def test_subspace_iteration_finds_known_top_subspace() -> None:
    rng = np.random.default_rng(7)
    rows, cols, k = 40, 30, 4
    left, _ = np.linalg.qr(rng.standard_normal((rows, rows)))
    right, _ = np.linalg.qr(rng.standard_normal((cols, cols)))
    spectrum = np.array([10.0, 8.0, 6.0, 4.0] + [3.0 * 0.8 ** i for i in range(cols - 4)])
    matrix = left[:, :cols] @ np.diag(spectrum) @ right.T
    top = left[:, :k]
    basis = orthonormal_start(rows, k, seed=3)
    sines = []                                       # sin of the largest principal angle
    for _ in range(40):                              # one warm-started iteration per "step"
        basis = subspace_iteration(matrix, basis, 1)
        sines.append(float(np.linalg.norm(basis - top @ (top.T @ basis), 2)))
    assert sines[0] > 1e-3                           # not trivially there from the start
    assert sines[-1] < 1e-8
    # the known rate: (s_{k+1} / s_k)^2 = (3/4)^2 per iteration, once the transient is over
    assert sines[20] / sines[19] == pytest.approx((3.0 / 4.0) ** 2, rel=0.02)


def test_asi_warm_start_converges_to_hosvd_subspace() -> None:
    rng = np.random.default_rng(2)
    core = rng.standard_normal((2, 3, 3)) * 5
    factors = [np.linalg.qr(rng.standard_normal((m, k)))[0] for m, k in ((6, 2), (9, 3), (8, 3))]
    signal = np.einsum("abc,ia,jb,kc->ijk", core, *factors)
    planes = signal + 0.05 * rng.standard_normal(signal.shape)
    previous = None
    for _ in range(10):
        block = asi(planes, (2, 3, 3), previous, iterations=1)
        previous = block.factors
    exact = hosvd(planes, 1.0)
    for mode, (u, k) in enumerate(zip(block.factors, (2, 3, 3))):
        cosines = np.linalg.svd(exact.factors[mode][:, :k].T @ u, compute_uv=False)
        assert cosines.min() > 1 - 1e-8, mode


def test_config_errors() -> None:
    with pytest.raises(MedyateError, match="--rank"):
        CompressionConfig("asi")
    with pytest.raises(MedyateError, match="eps"):
        CompressionConfig("hosvd", eps=1.5)
    with pytest.raises(MedyateError, match="applies to asi"):
        CompressionConfig("svd", rank=3)


def test_grad_cli_with_hosvd(setup, tmp_path: Path) -> None:
    path, graph, layers, schedule, x, y = setup
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(Plan.all_layers(graph).to_dict()))
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    out = tmp_path / "GRADS.npz"
    args = ["grad", str(path), "--plan", str(plan), "--inputs", str(tmp_path / "x.npy"),
            "--labels", str(tmp_path / "y.npy"), "-o", str(out)]
    result = CliRunner().invoke(main, args + ["--compress", "hosvd", "--eps", "0.9"])
    assert result.exit_code == 0, result.output
    assert "hosvd activations" in result.output
    grads = np.load(out)
    expected = reference_grads(graph, layers, Schedule.full(layers), x, y,
                               compress=CompressionConfig("hosvd", eps=0.9))
    assert set(grads.files) == set(expected)
    for name in expected:
        assert np.allclose(grads[name], expected[name], rtol=1e-5, atol=1e-7), name
    # the generated C picks the ranks itself (Gram matrix + Jacobi): same gradients
    host_out = tmp_path / "HOST.npz"
    on_host = CliRunner().invoke(main, args[:-1] + [str(host_out), "--compress", "hosvd",
                                                    "--eps", "0.9", "--target", "host"])
    assert on_host.exit_code == 0, on_host.output
    assert "pool reservation on the device" in on_host.output
    host = np.load(host_out)
    for name in expected:
        if name != "logits":
            assert np.allclose(host[name], expected[name], rtol=1e-3, atol=1e-6), name
