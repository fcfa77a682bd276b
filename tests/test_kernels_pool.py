"""Pooling kernels of runtime_c (forward, argmax, backward) against PyTorch autograd."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel_lib import Kernels, PoolParams, f32, kernels  # noqa: F401

HYP = settings(max_examples=60, deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture])
_f32p = ctypes.POINTER(ctypes.c_float)
_u8p = ctypes.POINTER(ctypes.c_uint8)


@st.composite
def pool_cases(draw: st.DrawFn) -> tuple[PoolParams, tuple[int, int, int, int]]:
    """Pool params plus explicit (top, bottom, left, right) pads; stride < kernel gives
    overlapping windows."""
    k_h, k_w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    pads = (draw(st.integers(0, k_h - 1)), draw(st.integers(0, k_h - 1)),
            draw(st.integers(0, k_w - 1)), draw(st.integers(0, k_w - 1)))
    in_h = draw(st.integers(max(1, k_h - pads[0] - pads[1]), 9))
    in_w = draw(st.integers(max(1, k_w - pads[2] - pads[3]), 9))
    s_h, s_w = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    out_h = (in_h + pads[0] + pads[1] - k_h) // s_h + 1
    out_w = (in_w + pads[2] + pads[3] - k_w) // s_w + 1
    p = PoolParams(draw(st.integers(1, 3)), in_h, in_w, out_h, out_w, k_h, k_w, s_h, s_w,
                   pads[0], pads[2], int(draw(st.booleans())))
    return p, pads


def run_maxpool(kernels: Kernels, x: np.ndarray, p: PoolParams,
                dout: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    out = np.full((p.c, p.out_h, p.out_w), np.nan, np.float32)
    argmax = np.full(out.shape, 254, np.uint8)
    kernels.lib.mdy_maxpool2d_f32(x.ctypes.data_as(_f32p), ctypes.byref(p),
                                  out.ctypes.data_as(_f32p), argmax.ctypes.data_as(_u8p))
    din = np.full(x.shape, np.nan, np.float32)
    kernels.lib.mdy_maxpool2d_grad_f32(f32(dout).ctypes.data_as(_f32p),
                                       argmax.ctypes.data_as(_u8p), ctypes.byref(p),
                                       din.ctypes.data_as(_f32p))
    return out, argmax, din


def run_avgpool(kernels: Kernels, x: np.ndarray, p: PoolParams,
                dout: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    out = np.full((p.c, p.out_h, p.out_w), np.nan, np.float32)
    kernels.lib.mdy_avgpool2d_f32(x.ctypes.data_as(_f32p), ctypes.byref(p),
                                  out.ctypes.data_as(_f32p))
    din = np.full(x.shape, np.nan, np.float32)
    kernels.lib.mdy_avgpool2d_grad_f32(f32(dout).ctypes.data_as(_f32p), ctypes.byref(p),
                                       din.ctypes.data_as(_f32p))
    return out, din


@HYP
@given(case=pool_cases(), seed=st.integers(0, 2**31 - 1))
def test_maxpool_forward_argmax_backward_match_torch(kernels: Kernels, case: tuple,
                                                     seed: int) -> None:
    p, (pt, pb, pl, pr) = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((p.c, p.in_h, p.in_w)).astype(np.float32)
    dout = rng.standard_normal((p.c, p.out_h, p.out_w)).astype(np.float32)
    out, argmax, din = run_maxpool(kernels, x, p, dout)

    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    xp = F.pad(xt[None], (pl, pr, pt, pb), value=-np.inf)  # padding never wins
    y, idx = F.max_pool2d(xp, (p.k_h, p.k_w), (p.stride_h, p.stride_w), return_indices=True)
    (y[0] * torch.tensor(dout, dtype=torch.float64)).sum().backward()
    np.testing.assert_array_equal(out, y[0].detach().numpy().astype(np.float32))
    # torch's flat index into the padded plane -> index inside the window
    idx_np = idx[0].numpy()
    wp = p.in_w + pl + pr
    oh = np.arange(p.out_h)[None, :, None]
    ow = np.arange(p.out_w)[None, None, :]
    kh = idx_np // wp - oh * p.stride_h
    kw = idx_np % wp - ow * p.stride_w
    np.testing.assert_array_equal(argmax, kh * p.k_w + kw)
    assert xt.grad is not None
    np.testing.assert_allclose(din, xt.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_maxpool_ties_go_to_first_and_overlaps_accumulate(kernels: Kernels) -> None:
    # 3x3 windows, stride 1: constant input -> every window picks its top-left tap, and
    # interior input positions receive the gradient of several windows.
    p = PoolParams(1, 4, 4, 2, 2, 3, 3, 1, 1, 0, 0, 0)
    x = np.ones((1, 4, 4), np.float32)
    dout = np.array([[[1.0, 2.0], [3.0, 4.0]]], np.float32)
    out, argmax, din = run_maxpool(kernels, x, p, dout)
    np.testing.assert_array_equal(out, np.ones((1, 2, 2)))
    np.testing.assert_array_equal(argmax, np.zeros((1, 2, 2)))
    expected = np.zeros((1, 4, 4), np.float32)
    expected[0, :2, :2] = dout[0]
    np.testing.assert_array_equal(din, expected)
    # one global maximum shared by all four overlapping windows
    x2 = np.zeros((1, 4, 4), np.float32)
    x2[0, 1, 2] = 5.0
    _, _, din2 = run_maxpool(kernels, x2, p, dout)
    assert din2[0, 1, 2] == 10.0 and np.count_nonzero(din2) == 1


def test_maxpool_window_of_padding_only_is_ignored(kernels: Kernels) -> None:
    # pad_top 2 with a 2x1 window: the first output row sees only padding.
    p = PoolParams(1, 2, 2, 3, 2, 2, 1, 1, 1, 2, 0, 0)
    x = np.array([[[-3.0, -4.0], [-1.0, -2.0]]], np.float32)
    dout = np.ones((1, 3, 2), np.float32)
    out, argmax, din = run_maxpool(kernels, x, p, dout)
    np.testing.assert_array_equal(out[0, 0], [0.0, 0.0])
    np.testing.assert_array_equal(argmax[0, 0], [255, 255])
    np.testing.assert_array_equal(out[0, 1:], [[-3.0, -4.0], [-1.0, -2.0]])
    np.testing.assert_array_equal(din, [[[1.0, 1.0], [1.0, 1.0]]])


def test_maxpool_argmax_may_be_null(kernels: Kernels) -> None:
    p = PoolParams(2, 5, 5, 2, 2, 3, 3, 2, 2, 0, 0, 0)
    x = np.random.default_rng(0).standard_normal((2, 5, 5)).astype(np.float32)
    out = np.full((2, 2, 2), np.nan, np.float32)
    kernels.lib.mdy_maxpool2d_f32(x.ctypes.data_as(_f32p), ctypes.byref(p),
                                  out.ctypes.data_as(_f32p), None)
    ref = F.max_pool2d(torch.tensor(x)[None], 3, 2)[0].numpy()
    np.testing.assert_array_equal(out, ref)


@HYP
@given(case=pool_cases(), seed=st.integers(0, 2**31 - 1))
def test_avgpool_forward_backward_match_torch(kernels: Kernels, case: tuple,
                                              seed: int) -> None:
    p, (pt, pb, pl, pr) = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((p.c, p.in_h, p.in_w)).astype(np.float32)
    dout = rng.standard_normal((p.c, p.out_h, p.out_w)).astype(np.float32)
    out, din = run_avgpool(kernels, x, p, dout)

    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    kernel, stride = (p.k_h, p.k_w), (p.stride_h, p.stride_w)
    window_sum = F.avg_pool2d(F.pad(xt[None], (pl, pr, pt, pb)), kernel, stride) * (p.k_h * p.k_w)
    if p.count_include_pad:
        divisor = torch.full_like(window_sum, float(p.k_h * p.k_w))
    else:
        ones = F.pad(torch.ones_like(xt)[None], (pl, pr, pt, pb))
        divisor = F.avg_pool2d(ones, kernel, stride) * (p.k_h * p.k_w)
    y = torch.where(divisor > 0, window_sum / divisor.clamp(min=1), torch.zeros_like(divisor))
    (y[0] * torch.tensor(dout, dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(out, y[0].detach().numpy(), rtol=1e-5, atol=1e-6)
    assert xt.grad is not None
    np.testing.assert_allclose(din, xt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_global_avgpool_forward_backward(kernels: Kernels) -> None:
    rng = np.random.default_rng(5)
    c, hw = 7, 13
    x = rng.standard_normal((c, hw)).astype(np.float32)
    out = np.full(c, np.nan, np.float32)
    kernels.lib.mdy_global_avgpool_f32(x.ctypes.data_as(_f32p), c, hw, out.ctypes.data_as(_f32p))
    np.testing.assert_allclose(out, x.mean(axis=1), rtol=1e-5, atol=1e-6)
    dout = rng.standard_normal(c).astype(np.float32)
    din = np.full((c, hw), np.nan, np.float32)
    kernels.lib.mdy_global_avgpool_grad_f32(dout.ctypes.data_as(_f32p), c, hw,
                                            din.ctypes.data_as(_f32p))
    xt = torch.tensor(x, requires_grad=True)
    (xt.mean(dim=1) * torch.tensor(dout)).sum().backward()
    assert xt.grad is not None
    np.testing.assert_allclose(din, xt.grad.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("c,h,w", [(1, 2, 2), (3, 5, 7), (4, 28, 28), (2, 9, 4)])
def test_maxpool_2x2_stride2_fast_path(kernels: Kernels, c: int, h: int, w: int) -> None:
    """The unchecked 2x2/stride-2 path (odd sizes drop the last row/column as PyTorch's
    floor mode): values, argmax with ties to the first tap, and argmax NULL."""
    p = PoolParams(c, h, w, h // 2, w // 2, 2, 2, 2, 2, 0, 0, 0)
    rng = np.random.default_rng(h * w + c)
    x = rng.integers(-2, 3, (c, h, w)).astype(np.float32)   # many ties
    dout = rng.standard_normal((c, h // 2, w // 2)).astype(np.float32)
    out, argmax, _ = run_maxpool(kernels, x, p, dout)
    y, idx = F.max_pool2d(torch.tensor(x)[None], 2, 2, return_indices=True)
    np.testing.assert_array_equal(out, y[0].numpy())
    oh = np.arange(h // 2)[None, :, None]
    ow = np.arange(w // 2)[None, None, :]
    kh = idx[0].numpy() // w - 2 * oh
    kw = idx[0].numpy() % w - 2 * ow
    np.testing.assert_array_equal(argmax, kh * 2 + kw)
    out2 = np.full(out.shape, np.nan, np.float32)
    kernels.lib.mdy_maxpool2d_f32(x.ctypes.data_as(_f32p), ctypes.byref(p),
                                  out2.ctypes.data_as(_f32p), None)
    np.testing.assert_array_equal(out2, out)
