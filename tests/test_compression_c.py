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
from medyate.codegen.compression import (asi, hosvd_floats,
                                         orthonormal_start, orthonormalize, project,
                                         start_values, subspace_iteration, unfold)
from medyate.codegen.compression_c import (conv_grad_scratch_floats,
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
