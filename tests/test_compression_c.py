"""asi activation compression in the generated C (issue 6, device side).

Kernels (runtime_c/src/mdy_*tucker*, mdy_subspace_iter_f32, mdy_orthonormal*) against the
numpy reference of codegen/compression.py; then whole models: the host target's
gradients with --compress asi against the reference target's, and the pool the C
allocates against the memory formula.
"""
from __future__ import annotations

import ctypes

import numpy as np
import pytest

from kernel_lib import ConvShape, Kernels, Tucker, channel_array, f32, kernels  # noqa: F401
from medyate.codegen.compression import (asi, hosvd_floats, leading_factor,
                                         orthonormal_start, orthonormalize, project,
                                         start_values, subspace_iteration, unfold)
from medyate.codegen.compression_c import (conv_grad_scratch_floats, eig_factor_scratch_floats,
                                           subspace_iter_scratch_floats,
                                           tucker_core_scratch_floats)

_F = ctypes.POINTER(ctypes.c_float)


def _p(a: np.ndarray) -> ctypes._Pointer:  # type: ignore[name-defined]
    return a.ctypes.data_as(_F)


class Block:
    """A Tucker block held in float32 numpy arrays, viewed by C as mdy_tucker_t."""

    def __init__(self, factors: list[np.ndarray], core: np.ndarray) -> None:
        self.u = [f32(f).copy() for f in factors]
        self.core = f32(core).copy()
        self.struct = Tucker(_p(self.u[0]), _p(self.u[1]), _p(self.u[2]), _p(self.core),
                             *(u.shape[0] for u in self.u), *(u.shape[1] for u in self.u))

    @property
    def ref(self) -> ctypes._Pointer:  # type: ignore[name-defined]
        return ctypes.byref(self.struct)


def _scratch(nbytes: int) -> np.ndarray:
    return np.full(max(nbytes // 4, 1), np.nan, np.float32)   # NaN: must be written first


def _activation(rng: np.random.Generator, c: int, h: int, w: int, rank: int = 0) -> np.ndarray:
    """A (c, h, w) activation; rank > 0 makes it (nearly) low multilinear rank."""
    if rank == 0:
        return rng.standard_normal((c, h, w)).astype(np.float32)
    core = rng.standard_normal((rank, rank, rank)) * 3
    fac = [np.linalg.qr(rng.standard_normal((m, rank)))[0] for m in (c, h, w)]
    a = np.einsum("abc,ia,jb,kc->ijk", core, *fac) + 0.01 * rng.standard_normal((c, h, w))
    return a.astype(np.float32)


# ------------------------------------------------------------------ kernels vs numpy
def test_start_and_orthonormalize_match_reference(kernels: Kernels) -> None:
    for rows, k, seed in ((7, 3, 0), (12, 12, 1), (1, 1, 2), (30, 5, 2)):
        u = np.zeros((rows, k), np.float32)
        kernels.lib.mdy_orthonormal_start_f32(_p(u), rows, k, seed)
        assert np.allclose(u, orthonormal_start(rows, k, seed), atol=2e-6)
        assert np.allclose(u.T @ u, np.eye(k), atol=2e-6)
        assert np.all(start_values(rows, k, seed) == start_values(rows, k, seed).astype(np.float32))
    rng = np.random.default_rng(0)
    deficient = rng.standard_normal((9, 2)) @ rng.standard_normal((2, 5))   # rank 2 < 5
    deficient[:, 3] = 0.0                                                    # and a zero column
    for m in (rng.standard_normal((9, 5)), deficient):
        u = f32(m).copy()
        kernels.lib.mdy_orthonormalize_f32(_p(u), 9, 5)
        expected = orthonormalize(m.astype(np.float32).astype(np.float64))
        assert np.allclose(u, expected, atol=1e-5)
        assert np.allclose(u.T @ u, np.eye(5), atol=1e-5)


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("rank", [2, 4])
def test_subspace_iteration_matches_reference(kernels: Kernels, mode: int, rank: int) -> None:
    rng = np.random.default_rng(mode + 10 * rank)
    act = _activation(rng, 10, 7, 6, rank=3)
    channels = [8, 1, 4, 6, 0, 9]
    a = act[channels].astype(np.float64)
    rows = a.shape[mode]
    start = orthonormal_start(rows, rank, seed=mode)
    factors = [orthonormal_start(m, 1, seed=9) for m in a.shape]
    factors[mode] = start
    block = Block(factors, np.zeros((1, 1, 1)))
    setattr(block.struct, ("k1", "k2", "k3")[mode], rank)
    scratch = _scratch(kernels.lib.mdy_subspace_iter_f32_scratch_size(rows, rank))
    assert scratch.size == subspace_iter_scratch_floats(rows, rank)
    kernels.lib.mdy_subspace_iter_f32(_p(act), channel_array(channels).ctypes.data_as(
        ctypes.POINTER(ctypes.c_uint16)), block.ref, mode, 3, scratch.ctypes.data_as(ctypes.c_void_p))
    expected = subspace_iteration(unfold(a, mode), start, 3)
    assert np.allclose(block.u[mode], expected, atol=2e-4)


def test_tucker_core_matches_projection(kernels: Kernels) -> None:
    rng = np.random.default_rng(3)
    act = _activation(rng, 9, 8, 5)
    channels = [3, 7, 0, 5]
    a = act[channels].astype(np.float64)
    factors = [orthonormal_start(m, k, seed=s) for s, (m, k) in enumerate(zip(a.shape, (3, 4, 2)))]
    block = Block(factors, np.full((3, 4, 2), np.nan))
    scratch = _scratch(kernels.lib.mdy_tucker_core_f32_scratch_size(8, 4, 2))
    assert scratch.size == tucker_core_scratch_floats(8, 4, 2)
    kernels.lib.mdy_tucker_core_f32(_p(act), channel_array(channels).ctypes.data_as(
        ctypes.POINTER(ctypes.c_uint16)), block.ref, scratch.ctypes.data_as(ctypes.c_void_p))
    assert np.allclose(block.core, project(a, factors), atol=1e-4)


CONVS = [
    ConvShape(6, 8, 9, 7, 3, 3, pad_top=1, pad_left=1, pad_bottom=1, pad_right=1),
    ConvShape(6, 4, 11, 10, 3, 2, stride_h=2, stride_w=3, pad_top=2, pad_left=0, pad_bottom=1,
              dil_h=2),
    ConvShape(8, 8, 8, 8, 3, 3, stride_h=2, stride_w=2, pad_top=1, pad_left=1, pad_bottom=1,
              pad_right=1, groups=8),                                     # depthwise
    ConvShape(8, 6, 6, 6, 1, 1, groups=2),                                # grouped pointwise
]


@pytest.mark.parametrize("shape", CONVS, ids=lambda s: f"g{s.groups}k{s.k_h}x{s.k_w}s{s.stride_h}")
@pytest.mark.parametrize("ranks", [(2, 3, 2), (4, 4, 4)])
def test_conv_weight_grad_from_factors_equals_grad_on_reconstruction(
        kernels: Kernels, shape: ConvShape, ranks: tuple[int, int, int]) -> None:
    rng = np.random.default_rng(sum(ranks) + shape.groups)
    channels = [5, 0, 3, 1] if shape.in_c > 5 else [1, 0]
    n = len(channels)
    k = (min(ranks[0], n), min(ranks[1], shape.in_h), min(ranks[2], shape.in_w))
    factors = [np.linalg.qr(rng.standard_normal((m, r)))[0]
               for m, r in zip((n, shape.in_h, shape.in_w), k)]
    core = rng.standard_normal(k)
    block = Block(factors, core)
    rebuilt = np.einsum("abc,ia,jb,kc->ijk", block.core, *block.u).astype(np.float32)
    dout = rng.standard_normal((shape.out_c, shape.out_h, shape.out_w)).astype(np.float32)
    init = rng.standard_normal((n, shape.ocpg, shape.k_h, shape.k_w)).astype(np.float32)
    expected = kernels.conv2d_weight_grad(rebuilt, channels, dout, shape, init)
    p = shape.params()
    nbytes = kernels.lib.mdy_conv2d_weight_grad_tucker_f32_scratch_size(ctypes.byref(p), *k)
    assert nbytes == 4 * conv_grad_scratch_floats(shape.out_w, shape.k_h, shape.k_w, k)
    scratch = _scratch(nbytes)
    got = init.copy()
    kernels.lib.mdy_conv2d_weight_grad_tucker_f32(
        block.ref, channel_array(channels).ctypes.data_as(ctypes.POINTER(ctypes.c_uint16)),
        _p(dout), ctypes.byref(p), _p(got), scratch.ctypes.data_as(ctypes.c_void_p))
    assert np.allclose(got, expected, rtol=1e-4, atol=1e-4)
    assert not np.allclose(got, init, atol=1e-3)          # it did accumulate something


def test_gemm_weight_grad_from_factors(kernels: Kernels) -> None:
    rng = np.random.default_rng(5)
    n, k1, out_f = 6, 3, 4
    u1 = np.linalg.qr(rng.standard_normal((n, k1)))[0]
    block = Block([u1, -np.ones((1, 1)), np.ones((1, 1))], rng.standard_normal((k1, 1, 1)))
    dout = rng.standard_normal(out_f).astype(np.float32)
    got = np.ones((n, out_f), np.float32)
    kernels.lib.mdy_gemm_weight_grad_tucker_f32(block.ref, _p(dout), out_f, _p(got))
    saved = -(block.u[0] @ block.core.reshape(-1))
    assert np.allclose(got, 1.0 + np.outer(saved, dout), atol=1e-5)


def test_asi_kernels_track_the_reference_over_warm_started_samples(kernels: Kernels) -> None:
    """Several samples in a row, factors warm-started in place: the C block equals the
    reference's asi() (same start, same orthonormalisation) to float32 tolerance."""
    rng = np.random.default_rng(11)
    channels = [2, 4, 0, 7, 5]
    ranks = (3, 3, 2)
    shape = (len(channels), 8, 6)
    factors = [orthonormal_start(m, k, seed=s) for s, (m, k) in enumerate(zip(shape, ranks))]
    block = Block(factors, np.zeros(ranks))
    previous = None
    u16 = channel_array(channels).ctypes.data_as(ctypes.POINTER(ctypes.c_uint16))
    scratch = _scratch(4 * 200)
    for _ in range(4):
        act = _activation(rng, 8, 8, 6, rank=3)
        for mode in range(3):
            kernels.lib.mdy_subspace_iter_f32(_p(act), u16, block.ref, mode, 2,
                                              scratch.ctypes.data_as(ctypes.c_void_p))
        kernels.lib.mdy_tucker_core_f32(_p(act), u16, block.ref,
                                        scratch.ctypes.data_as(ctypes.c_void_p))
        ref = asi(act[channels].astype(np.float64), ranks, previous, 2)
        previous = ref.factors
        assert np.allclose(np.einsum("abc,ia,jb,kc->ijk", block.core, *block.u),
                           ref.reconstruct(), atol=1e-3)
        for mode in range(3):
            assert np.allclose(block.u[mode], ref.factors[mode], atol=1e-3)
    assert hosvd_floats(shape, ranks) == sum(u.size for u in block.u) + block.core.size


# ------------------------------------------------------------------ whole models (host target)
import json  # noqa: E402
from pathlib import Path  # noqa: E402

import zoo  # noqa: E402
from click.testing import CliRunner  # noqa: E402

from medyate.cli import main  # noqa: E402
from medyate.codegen.compiler import compile_model  # noqa: E402
from medyate.codegen.compression import CompressionConfig  # noqa: E402
from medyate.codegen.compression_c import compressed_layers, schedule_pool_bytes  # noqa: E402
from medyate.codegen.frontend import load_graph  # noqa: E402
from medyate.codegen.gradients import reference_grads  # noqa: E402
from medyate.codegen.plan import Plan, Schedule, resolve_layers  # noqa: E402
from medyate.host_tools.device.device_targets import host_grads  # noqa: E402
from medyate.host_tools.device.host_model import DeviceError, build_host_library, load_private  # noqa: E402

MODEL = "mbv2_tiny"


@pytest.fixture(scope="module")
def setup(zoo_dir):
    path = zoo.exported(MODEL, "torchscript", True, zoo_dir)
    graph = load_graph(path)
    plan = Plan.all_layers(graph)
    layers = resolve_layers(graph, plan)
    rng = np.random.default_rng(4)
    schedule = Schedule({l.onnx_weight: rng.choice(l.in_channels, max(1, l.in_channels // 2),
                                                   replace=False).tolist() for l in layers})
    x = zoo.sample_input(MODEL, batch=3, seed=2).numpy()
    y = np.array([1, 4, 7])
    return path, graph, plan, layers, schedule, x, y


def _max_rel(a: dict[str, np.ndarray], b: dict[str, np.ndarray], name: str) -> float:
    return float(np.abs(a[name] - b[name]).max() / max(np.abs(b[name]).max(), 1e-30))


def test_host_full_rank_asi_equals_uncompressed(setup) -> None:
    path, graph, plan, layers, schedule, x, y = setup
    config = CompressionConfig("asi", rank=1000, iterations=1)
    host = host_grads(model=path, graph=graph, plan=plan, layers=layers, schedule=schedule,
                      x=x, y=y, compress=config)
    raw = reference_grads(graph, layers, schedule, x, y)
    assert set(host) == set(raw)
    for name in raw:
        if name != "logits":
            assert _max_rel(host, raw, name) < 1e-4, name


def test_host_low_rank_asi_equals_reference_asi(setup) -> None:
    path, graph, plan, layers, schedule, x, y = setup
    config = CompressionConfig("asi", rank=2, iterations=2)
    host = host_grads(model=path, graph=graph, plan=plan, layers=layers, schedule=schedule,
                      x=x, y=y, compress=config)
    ref = reference_grads(graph, layers, schedule, x, y, compress=config)
    raw = reference_grads(graph, layers, schedule, x, y)
    for name in ref:
        if name != "logits":
            assert _max_rel(host, ref, name) < 1e-3, name
    conv_weights = [l.onnx_weight for l in layers if l.kind == "conv"]
    # the compression is real: rank 2 changes the conv gradients well beyond float error
    assert max(_max_rel(ref, raw, name) for name in conv_weights) > 1e-2


def test_grad_cli_asi_host_equals_reference(setup, tmp_path: Path) -> None:
    path, graph, plan, layers, schedule, x, y = setup
    (tmp_path / "plan.json").write_text(json.dumps(plan.to_dict()))
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    outs = {}
    for target in ("reference", "host"):
        outs[target] = tmp_path / f"{target}.npz"
        result = CliRunner().invoke(main, [
            "grad", str(path), "--plan", str(tmp_path / "plan.json"), "--inputs",
            str(tmp_path / "x.npy"), "--labels", str(tmp_path / "y.npy"), "-o", str(outs[target]),
            "--compress", "asi", "--rank", "3", "--target", target])
        assert result.exit_code == 0, result.output
        assert "asi activations" in result.output
    ref, host = np.load(outs["reference"]), np.load(outs["host"])
    assert set(ref.files) == set(host.files)
    for name in ref.files:
        assert np.allclose(host[name], ref[name], rtol=1e-3, atol=1e-6), name


@pytest.mark.parametrize("method,eps", [("hosvd", 1.0), ("hosvd", 0.9), ("svd", 0.9)])
def test_host_svd_hosvd_equal_reference(setup, method: str, eps: float) -> None:
    """Ranks chosen on the device (Gram matrix + Jacobi, eps rule) give the reference's
    compressed gradient; eps = 1 gives the uncompressed one. This data has no near-tie of
    the eps rule (the reference's ranks are reproduced; a tie could flip a rank by one)."""
    path, graph, plan, layers, schedule, x, y = setup
    config = CompressionConfig(method, eps=eps)
    usage: dict[int, tuple[int, int, int]] = {}
    host = host_grads(model=path, graph=graph, plan=plan, layers=layers, schedule=schedule,
                      x=x, y=y, compress=config, usage=usage)
    ref = reference_grads(graph, layers, schedule, x, y, compress=config)
    raw = reference_grads(graph, layers, schedule, x, y)
    assert set(host) == set(ref)
    for name in ref:
        if name != "logits":
            assert _max_rel(host, ref, name) < 1e-3, name
    conv_weights = [l.onnx_weight for l in layers if l.kind == "conv"]
    worst = max(_max_rel(ref, raw, name) for name in conv_weights)
    if eps == 1.0:
        for name in raw:
            if name != "logits":
                assert _max_rel(host, raw, name) < 1e-4, name
    else:
        assert worst > 1e-2            # the compression is real at eps 0.9
    # the C counted what each block held per sample: never more than the reservation,
    # and below it at eps 0.9 (ranks dropped)
    compressed = compressed_layers(graph, layers, config)
    counts = {l.index: len(c) for l, c in zip(layers, schedule.for_layers(layers))}
    assert set(usage) == set(compressed)
    for index, (samples, peak, total) in usage.items():
        reserved = compressed[index].stored_floats(counts[index])
        assert samples == len(x) and 0 < total <= samples * peak and peak <= reserved
    if eps < 1.0:
        assert sum(u[1] for u in usage.values()) < sum(
            compressed[i].stored_floats(counts[i]) for i in usage)


def test_pool_holds_exactly_the_tucker_formula(setup, tmp_path: Path) -> None:
    """The C lays out k1*k2*k3 + n*k1 + h*k2 + w*k3 floats (+ the raw dW slices) per
    compressed layer: a pool of exactly that many bytes takes the schedule, the next
    smaller pool (the arena aligns the pool to 8 bytes) is refused; memory.json reports
    the formula's bytes."""
    path, graph, plan, layers, schedule, x, y = setup
    config = CompressionConfig("asi", rank=3)
    counts = [len(c) for c in schedule.for_layers(layers)]
    compressed = compressed_layers(graph, layers, config)
    exact = schedule_pool_bytes(layers, counts, compressed)
    raw = schedule.cost_bytes(layers)
    assert exact < raw
    for pool, accepted in ((exact, True), ((exact - 1) // 8 * 8, False)):
        out = tmp_path / f"pool{pool}"
        generated, _ = compile_model(path, plan, out, graph=graph, pool_bytes=pool, compress=config)
        runner = load_private(build_host_library(out), f"pool{pool}")
        if accepted:
            runner.set_schedule(schedule.for_layers(layers))
        else:
            with pytest.raises(DeviceError, match="channel pool"):
                runner.set_schedule(schedule.for_layers(layers))
    memory = json.loads((tmp_path / f"pool{exact}" / "memory.json").read_text())
    summary = memory["activation_compression"]
    convs = [l for l in layers if l.kind == "conv"]      # a gemm's vector stays raw
    assert len(summary["layers"]) == len(convs) < len(layers)
    for row, layer in zip(summary["layers"], convs):
        shape = tuple(row["block_shape"])
        assert shape[0] == layer.in_channels
        assert row["compressed_bytes"] == 4 * hosvd_floats(shape, tuple(row["ranks"]))
        assert row["raw_bytes_replaced"] == 4 * layer.in_channels * layer.plane_elems
    # the kernels' scratch: one arena storage per save/weight_grad step, alive one step
    work = {s.name: s for s in generated.program.storages.values() if s.kind == "work"}
    assert max(s.nbytes for s in work.values()) == summary["work_bytes"]
    assert all(s.born == s.dies for s in work.values())
    placed = {p["storage"] for p in memory["placements"] if p["kind"] == "work"}
    assert placed == set(work)
    # budget 0 = every channel: the default pool is the compressed cost of all channels
    generated, _ = compile_model(path, plan, tmp_path / "full", graph=graph, compress=config)
    full = schedule_pool_bytes(layers, [l.in_channels for l in layers], compressed)
    assert generated.memory["channel_pool_bytes"] == (full + 7) // 8 * 8   # arena alignment
    assert full < sum(l.in_channels * l.channel_cost_bytes for l in layers)


# ------------------------------------------------------------------ svd / hosvd kernels
def _eig_lib(kernels: Kernels) -> ctypes.CDLL:
    lib = kernels.lib
    lib.mdy_sym_eig_jacobi_f32.restype = None
    lib.mdy_sym_eig_jacobi_f32.argtypes = [_F, ctypes.c_uint32, ctypes.c_uint32, _F, _F]
    lib.mdy_eig_factor_f32.restype = ctypes.c_uint32
    lib.mdy_eig_factor_f32.argtypes = [_F, ctypes.POINTER(ctypes.c_uint16), ctypes.POINTER(Tucker),
                                       ctypes.c_uint32, ctypes.c_float, ctypes.c_uint32, _F,
                                       ctypes.c_void_p]
    lib.mdy_eig_factor_f32_scratch_size.restype = ctypes.c_size_t
    lib.mdy_eig_factor_f32_scratch_size.argtypes = [ctypes.c_uint32]
    return lib


@pytest.mark.parametrize("n,seed", [(1, 0), (2, 1), (5, 2), (16, 3), (33, 4)])
def test_jacobi_eigen_matches_numpy_eigh(kernels: Kernels, n: int, seed: int) -> None:
    """Eigenvalues (descending) and the eigen-subspaces (projectors onto the top-k
    eigenvectors, where the spectrum has a gap) against numpy.linalg.eigh in float64."""
    lib = _eig_lib(kernels)
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((n, n))
    sym = f32(m @ m.T if seed % 2 else m + m.T)           # PSD (a Gram matrix) and indefinite
    want_vals, want_vecs = np.linalg.eigh(sym.astype(np.float64))
    want_vals, want_vecs = want_vals[::-1], want_vecs[:, ::-1]
    a, vals, vecs = sym.copy(), np.full(n, np.nan, np.float32), np.full((n, n), np.nan, np.float32)
    lib.mdy_sym_eig_jacobi_f32(_p(a), n, 30, _p(vals), _p(vecs))
    scale = float(np.abs(want_vals).max())
    assert np.all(np.diff(vals) <= 0)
    assert np.abs(vals - want_vals).max() <= 1e-5 * scale
    assert np.abs(vecs.T @ vecs - np.eye(n)).max() < 1e-5
    assert np.abs(vecs @ np.diag(vals) @ vecs.T - sym).max() <= 1e-5 * scale
    gaps = np.abs(np.diff(want_vals)) / scale
    for k in range(1, n):
        if gaps[k - 1] > 1e-2:                            # a well-separated top-k subspace
            got_proj = vecs[:, :k].astype(np.float64) @ vecs[:, :k].T
            want_proj = want_vecs[:, :k] @ want_vecs[:, :k].T
            assert np.abs(got_proj - want_proj).max() < 1e-3, k


@pytest.mark.parametrize("eps", [1.0, 0.9, 0.6])
def test_eig_factor_matches_reference_hosvd_factors(kernels: Kernels, eps: float) -> None:
    """Per mode: the rank by the eps rule and the spanned subspace equal the reference's
    (numpy SVD of the unfolding). The block has a clear spectral gap at every rank the
    rule picks here, so float32 rounding cannot move the rank (checked below)."""
    lib = _eig_lib(kernels)
    rng = np.random.default_rng(7)
    act = _activation(rng, 9, 7, 6, rank=3)
    channels = [8, 1, 4, 6, 0, 3]
    block = act[channels].astype(np.float64)
    t = Tucker(None, None, None, None, len(channels), 7, 6, 0, 0, 0)
    ch = channel_array(channels)
    for mode in range(3):
        rows = block.shape[mode]
        u, s, _ = np.linalg.svd(unfold(block, mode), full_matrices=False)
        want = leading_factor(block, mode, eps)
        k_want = want.shape[1]
        share = np.cumsum(s ** 2) / np.sum(s ** 2)
        assert abs(share[k_want - 1] - eps) > 1e-4 or eps == 1.0   # no near-tie at this eps
        nbytes = lib.mdy_eig_factor_f32_scratch_size(rows)
        assert nbytes == 4 * eig_factor_scratch_floats(rows)
        factor = np.full(rows * rows, np.nan, np.float32)
        k = lib.mdy_eig_factor_f32(_p(act), ch.ctypes.data_as(ctypes.POINTER(ctypes.c_uint16)),
                                   ctypes.byref(t), mode, eps, 30, _p(factor),
                                   _scratch(nbytes).ctypes.data_as(ctypes.c_void_p))
        if eps < 1.0:
            assert k == k_want, mode
        else:                       # eps = 1: every component (rounding noise included)
            assert k >= k_want
        got = factor[: rows * k].reshape(rows, k).astype(np.float64)
        assert np.abs(got.T @ got - np.eye(k)).max() < 1e-4
        kk = min(k, k_want)
        if kk < rows and (s[kk - 1] - s[kk]) > 1e-2 * s[0]:
            assert np.abs(got[:, :kk] @ got[:, :kk].T - want[:, :kk] @ want[:, :kk].T).max() < 1e-3


def test_eig_factor_of_zero_block_is_rank_zero(kernels: Kernels) -> None:
    lib = _eig_lib(kernels)
    act = np.zeros((3, 4, 5), np.float32)
    t = Tucker(None, None, None, None, 2, 4, 5, 0, 0, 0)
    ch = channel_array([0, 2])
    for mode in range(3):
        factor = np.zeros(25, np.float32)
        assert lib.mdy_eig_factor_f32(_p(act), ch.ctypes.data_as(ctypes.POINTER(ctypes.c_uint16)),
                                      ctypes.byref(t), mode, 0.9, 30, _p(factor),
                                      _scratch(4 * 60).ctypes.data_as(ctypes.c_void_p)) == 0


# ------------------------------------------------------------------ emulated Cortex-M4F
from medyate.host_tools.device.targets import grad_target  # noqa: E402
from toolchain_marks import needs_qemu_and_arm  # noqa: E402


@pytest.mark.qemu
@needs_qemu_and_arm
@pytest.mark.parametrize("config", [CompressionConfig("asi", rank=2),
                                    CompressionConfig("hosvd", eps=0.9)],
                         ids=["asi-rank2", "hosvd-eps0.9"])
def test_qemu_compression_equals_reference(setup, config: CompressionConfig) -> None:
    """The same compression kernels in the real firmware under QEMU (float32 on the M4F
    FPU; hosvd runs its Gram + Jacobi on the device) against the reference."""
    path, graph, plan, layers, schedule, x, y = setup
    qemu = grad_target("qemu-mps2-an386")(model=path, graph=graph, plan=plan, layers=layers,
                                          schedule=schedule, x=x, y=y, compress=config)
    ref = reference_grads(graph, layers, schedule, x, y, compress=config)
    assert set(qemu) == set(ref)
    for name in ref:
        if name != "logits":
            assert _max_rel(qemu, ref, name) < 1e-3, name
