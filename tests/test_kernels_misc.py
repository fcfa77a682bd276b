"""Element-wise, gemm, loss, mask and update kernels of runtime_c against numpy/PyTorch."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel_lib import Kernels, channel_array, f32, kernels  # noqa: F401

HYP = settings(max_examples=50, deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture])
_f32p = ctypes.POINTER(ctypes.c_float)
_u16p = ctypes.POINTER(ctypes.c_uint16)
_u8p = ctypes.POINTER(ctypes.c_uint8)


def fp(a: np.ndarray | None) -> ctypes._Pointer | None:  # type: ignore[name-defined]
    if a is None:
        return None
    assert a.dtype == np.float32 and a.flags["C_CONTIGUOUS"]
    return a.ctypes.data_as(_f32p)


# ---------------------------------------------------------------- forward


@HYP
@given(in_f=st.integers(1, 40), out_f=st.integers(1, 20), seed=st.integers(0, 2**31 - 1),
       bias=st.booleans(), clamp=st.sampled_from([(-np.inf, np.inf), (0.0, np.inf), (0.0, 6.0)]))
def test_gemm_matches_numpy(kernels: Kernels, in_f: int, out_f: int, seed: int, bias: bool,
                            clamp: tuple[float, float]) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(in_f).astype(np.float32)
    w = (3 * rng.standard_normal((out_f, in_f))).astype(np.float32)
    b = rng.standard_normal(out_f).astype(np.float32) if bias else None
    out = np.full(out_f, np.nan, np.float32)
    kernels.lib.mdy_gemm_f32(fp(x), in_f, out_f, fp(w), fp(b), clamp[0], clamp[1], fp(out))
    ref = w.astype(np.float64) @ x + (0.0 if b is None else b)
    np.testing.assert_allclose(out, np.clip(ref, *clamp), rtol=1e-5, atol=1e-5)


def test_clamp_add_and_channel_affine(kernels: Kernels) -> None:
    rng = np.random.default_rng(1)
    x = (4 * rng.standard_normal(37)).astype(np.float32)
    for lo, hi in ((0.0, np.inf), (0.0, 6.0), (-1.0, 1.0), (-np.inf, np.inf)):
        y = x.copy()
        kernels.lib.mdy_clamp_f32(fp(y), y.size, lo, hi)
        np.testing.assert_array_equal(y, np.clip(x, lo, hi))

    a = rng.standard_normal(19).astype(np.float32)
    b = rng.standard_normal(19).astype(np.float32)
    out = np.full(19, np.nan, np.float32)
    kernels.lib.mdy_add_f32(fp(a), fp(b), fp(out), 19)
    np.testing.assert_array_equal(out, a + b)
    aliased = a.copy()
    kernels.lib.mdy_add_f32(fp(aliased), fp(b), fp(aliased), 19)
    np.testing.assert_array_equal(aliased, a + b)

    c, hw = 5, 11
    x2 = rng.standard_normal((c, hw)).astype(np.float32)
    scale = rng.standard_normal(c).astype(np.float32)
    shift = rng.standard_normal(c).astype(np.float32)
    ref = x2 * scale[:, None] + shift[:, None]
    out2 = np.full((c, hw), np.nan, np.float32)
    kernels.lib.mdy_channel_affine_f32(fp(x2), c, hw, fp(scale), fp(shift), fp(out2))
    np.testing.assert_allclose(out2, ref, rtol=1e-6, atol=1e-6)
    inplace = x2.copy()
    kernels.lib.mdy_channel_affine_f32(fp(inplace), c, hw, fp(scale), fp(shift), fp(inplace))
    np.testing.assert_allclose(inplace, ref, rtol=1e-6, atol=1e-6)

    dy = rng.standard_normal((c, hw)).astype(np.float32)
    dx = np.full((c, hw), np.nan, np.float32)
    kernels.lib.mdy_channel_affine_grad_f32(fp(dy), c, hw, fp(scale), fp(dx))
    np.testing.assert_allclose(dx, dy * scale[:, None], rtol=1e-6, atol=1e-6)
    kernels.lib.mdy_channel_affine_grad_f32(fp(dy), c, hw, fp(scale), fp(dy))  # aliased
    np.testing.assert_allclose(dy, dx, rtol=0, atol=0)


# ---------------------------------------------------------------- loss


@HYP
@given(n=st.integers(1, 30), seed=st.integers(0, 2**31 - 1),
       offset=st.sampled_from([0.0, 80.0, -500.0, 1000.0]), spread=st.sampled_from([1.0, 30.0]),
       scale=st.sampled_from([1.0, 0.25]), data=st.data())
def test_softmax_xent_matches_torch(kernels: Kernels, n: int, seed: int, offset: float,
                                    spread: float, scale: float, data: st.DataObject) -> None:
    rng = np.random.default_rng(seed)
    logits = (offset + spread * rng.standard_normal(n)).astype(np.float32)
    label = data.draw(st.integers(0, n - 1))
    dlogits = np.full(n, np.nan, np.float32)
    loss = kernels.lib.mdy_softmax_xent_f32(fp(logits), n, label, scale, fp(dlogits))
    lt = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    ref = F.cross_entropy(lt[None], torch.tensor([label]))
    (ref * scale).backward()
    assert np.isfinite(loss) and np.all(np.isfinite(dlogits))
    assert loss == pytest.approx(ref.item(), rel=1e-4, abs=1e-4 * max(1.0, spread / 10))
    assert lt.grad is not None
    np.testing.assert_allclose(dlogits, lt.grad.numpy(), rtol=1e-4, atol=1e-5)
    assert kernels.lib.mdy_softmax_xent_f32(fp(logits), n, label, scale, None) == loss


def test_softmax_xent_dlogits_may_alias_logits_and_bad_label_is_nan(kernels: Kernels) -> None:
    logits = np.array([2.0, -1.0, 0.5, 3.0], np.float32)
    expected_grad = F.softmax(torch.tensor(logits, dtype=torch.float64), 0).numpy()
    expected_grad[1] -= 1.0
    buf = logits.copy()
    kernels.lib.mdy_softmax_xent_f32(fp(buf), 4, 1, 1.0, fp(buf))
    np.testing.assert_allclose(buf, expected_grad, rtol=1e-6, atol=1e-6)
    untouched = np.full(4, 7.0, np.float32)
    assert np.isnan(kernels.lib.mdy_softmax_xent_f32(fp(logits), 4, 4, 1.0, fp(untouched)))
    np.testing.assert_array_equal(untouched, 7.0)


# ---------------------------------------------------------------- masks


@pytest.mark.parametrize("n", [1, 7, 8, 9, 64, 101])
@pytest.mark.parametrize("lo,hi", [(0.0, np.inf), (0.0, 6.0), (-np.inf, np.inf)])
def test_clamp_mask_bit_order_and_apply(kernels: Kernels, n: int, lo: float, hi: float) -> None:
    rng = np.random.default_rng(n)
    y = np.clip(rng.choice([-1.0, 0.0, 0.5, 3.0, 6.0, 7.0], n), lo, hi).astype(np.float32)
    mask = np.full((n + 7) // 8, 0xAA, np.uint8)
    kernels.lib.mdy_clamp_mask_f32(fp(y), n, lo, hi, mask.ctypes.data_as(_u8p))
    passes = (y > lo) & (y < hi)
    np.testing.assert_array_equal(mask, np.packbits(passes, bitorder="little"))
    g = rng.standard_normal(n).astype(np.float32)
    masked = g.copy()
    kernels.lib.mdy_mask_apply_f32(fp(masked), mask.ctypes.data_as(_u8p), n)
    np.testing.assert_array_equal(masked, np.where(passes, g, 0.0))
    # ReLU6 gradient agrees with torch's hardtanh subgradient on these values
    if (lo, hi) == (0.0, 6.0):
        xt = torch.tensor(y, dtype=torch.float64, requires_grad=True)
        (F.relu6(xt) * torch.tensor(g, dtype=torch.float64)).sum().backward()
        assert xt.grad is not None
        np.testing.assert_allclose(masked, xt.grad.numpy(), rtol=1e-6)


# ---------------------------------------------------------------- gemm backward


@HYP
@given(in_f=st.integers(1, 30), out_f=st.integers(1, 12), seed=st.integers(0, 2**31 - 1),
       data=st.data())
def test_gemm_grads_match_torch(kernels: Kernels, in_f: int, out_f: int, seed: int,
                                data: st.DataObject) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(in_f).astype(np.float32)
    w = rng.standard_normal((out_f, in_f)).astype(np.float32)
    b = rng.standard_normal(out_f).astype(np.float32)
    dout = rng.standard_normal(out_f).astype(np.float32)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    ((wt @ xt + bt) * torch.tensor(dout, dtype=torch.float64)).sum().backward()
    assert xt.grad is not None and wt.grad is not None and bt.grad is not None

    din = np.full(in_f, np.nan, np.float32)
    kernels.lib.mdy_gemm_input_grad_f32(fp(dout), fp(w), in_f, out_f, fp(din))
    np.testing.assert_allclose(din, xt.grad.numpy(), rtol=1e-5, atol=1e-5)

    channels = data.draw(st.permutations(range(in_f)).flatmap(
        lambda perm: st.integers(0, len(perm)).map(lambda n: list(perm[:n]))))
    saved = f32(x[channels]) if channels else np.zeros(1, np.float32)
    init = rng.standard_normal(max(len(channels), 1) * out_f).astype(np.float32)
    acc = init.copy()
    kernels.lib.mdy_gemm_weight_grad_f32(fp(saved), len(channels), fp(dout), out_f, fp(acc))
    expected = wt.grad.numpy()[:, channels].T.reshape(-1)
    np.testing.assert_allclose(acc[: len(channels) * out_f] - init[: len(channels) * out_f],
                               expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(acc[len(channels) * out_f:], init[len(channels) * out_f:])

    db = np.ones(out_f, np.float32)
    kernels.lib.mdy_bias_grad_f32(fp(dout), out_f, 1, fp(db))
    np.testing.assert_allclose(db - 1.0, bt.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_conv_bias_grad_accumulates_plane_sums(kernels: Kernels) -> None:
    rng = np.random.default_rng(2)
    dout = rng.standard_normal((6, 5, 3)).astype(np.float32)
    db = rng.standard_normal(6).astype(np.float32)
    expected = db + dout.sum(axis=(1, 2))
    kernels.lib.mdy_bias_grad_f32(fp(dout), 6, 15, fp(db))
    np.testing.assert_allclose(db, expected, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- update


def test_slice_norms_accumulate(kernels: Kernels) -> None:
    rng = np.random.default_rng(4)
    slices = rng.standard_normal((5, 27)).astype(np.float32)
    norms = rng.uniform(0, 1, 5).astype(np.float32)
    expected = norms + np.linalg.norm(slices.astype(np.float64), axis=1)
    kernels.lib.mdy_slice_norms_f32(fp(slices), 5, 27, fp(norms))
    np.testing.assert_allclose(norms, expected, rtol=1e-5)


@pytest.mark.parametrize("with_gscale", [False, True])
def test_sgd_dense(kernels: Kernels, with_gscale: bool) -> None:
    rng = np.random.default_rng(6)
    x0 = rng.standard_normal(17).astype(np.float32)
    g = rng.standard_normal(17).astype(np.float32)
    gscale = rng.uniform(0.1, 3.0, 17).astype(np.float32) if with_gscale else None
    x = x0.copy()
    kernels.lib.mdy_sgd_dense_f32(fp(x), fp(g), 17, 0.05, fp(gscale))
    scale = 1.0 if gscale is None else gscale
    np.testing.assert_allclose(x, x0 - np.float32(0.05) * scale * g, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("with_gscale", [False, True])
@pytest.mark.parametrize("channels", [[], [0, 1, 2, 3, 4, 5, 6], [6, 2, 0], [3]])
def test_sgd_gemm_slices_and_slices_to_dense(kernels: Kernels, with_gscale: bool,
                                             channels: list[int]) -> None:
    in_f, out_f, lr = 7, 4, 0.2
    rng = np.random.default_rng(len(channels))
    w0 = rng.standard_normal((out_f, in_f)).astype(np.float32)
    dense = rng.standard_normal((out_f, in_f)).astype(np.float32)
    slices = f32(dense[:, channels].T) if channels else np.zeros(1, np.float32)
    ch = channel_array(channels)
    gscale = rng.uniform(0.5, 2.0, out_f).astype(np.float32) if with_gscale else None
    masked = np.zeros_like(dense)
    masked[:, channels] = dense[:, channels]

    back = np.full((out_f, in_f), np.nan, np.float32)
    kernels.lib.mdy_gemm_slices_to_dense_f32(fp(slices), ch.ctypes.data_as(_u16p),
                                             len(channels), in_f, out_f, fp(back))
    np.testing.assert_array_equal(back, masked)

    w = w0.copy()
    kernels.lib.mdy_sgd_gemm_slices_f32(fp(w), in_f, out_f, ch.ctypes.data_as(_u16p),
                                        len(channels), fp(slices), lr, fp(gscale))
    scale = np.ones(out_f, np.float32) if gscale is None else gscale
    np.testing.assert_allclose(w, w0 - np.float32(lr) * scale[:, None] * masked,
                               rtol=1e-6, atol=1e-6)
    untouched = [c for c in range(in_f) if c not in channels]
    np.testing.assert_array_equal(w[:, untouched], w0[:, untouched])
