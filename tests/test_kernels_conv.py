"""Conv kernels of runtime_c against numpy and PyTorch autograd.

Forward (pointwise, depthwise and generic paths), input gradient, sparse-channel weight
gradient (slice layout), gather of saved planes, SGD on slices and slices_to_dense.
"""
from __future__ import annotations

import ctypes

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel_lib import (ConvShape, Kernels, channel_array, dense_to_slices, f32,  # noqa: F401
                        kernels, ref_conv2d)

HYP = settings(max_examples=40, deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def conv_shapes(draw: st.DrawFn) -> ConvShape:
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    icpg = draw(st.integers(1, 3))
    ocpg = draw(st.integers(1, 3))
    k_h = draw(st.integers(1, 4))
    k_w = draw(st.integers(1, 4))
    dil_h = draw(st.integers(1, 2))
    dil_w = draw(st.integers(1, 2))
    span_h = dil_h * (k_h - 1) + 1
    span_w = dil_w * (k_w - 1) + 1
    pads = [draw(st.integers(0, min(3, s - 1) if s > 1 else 0)) for s in
            (span_h, span_h, span_w, span_w)]
    in_h = draw(st.integers(max(1, span_h - pads[0] - pads[1]), 9))
    in_w = draw(st.integers(max(1, span_w - pads[2] - pads[3]), 9))
    return ConvShape(in_c=groups * icpg, out_c=groups * ocpg, in_h=in_h, in_w=in_w,
                     k_h=k_h, k_w=k_w, stride_h=draw(st.integers(1, 3)),
                     stride_w=draw(st.integers(1, 3)), pad_top=pads[0], pad_bottom=pads[1],
                     pad_left=pads[2], pad_right=pads[3], dil_h=dil_h, dil_w=dil_w,
                     groups=groups)


def torch_conv(x: np.ndarray, s: ConvShape, w: np.ndarray, b: np.ndarray | None,
               dout: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(y, dx, dW) of y = conv(x) with the loss sum(y * dout), via autograd."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    bt = None if b is None else torch.tensor(b, dtype=torch.float64)
    xp = F.pad(xt[None], (s.pad_left, s.pad_right, s.pad_top, s.pad_bottom))
    y = F.conv2d(xp, wt, bt, stride=(s.stride_h, s.stride_w),
                 dilation=(s.dil_h, s.dil_w), groups=s.groups)[0]
    (y * torch.tensor(dout, dtype=torch.float64)).sum().backward()
    assert xt.grad is not None and wt.grad is not None
    return y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()


def random_conv(s: ConvShape, rng: np.random.Generator, bias: bool = True
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    x = rng.standard_normal((s.in_c, s.in_h, s.in_w)).astype(np.float32)
    w = rng.standard_normal(s.weight_shape).astype(np.float32)
    b = rng.standard_normal(s.out_c).astype(np.float32) if bias else None
    dout = rng.standard_normal((s.out_c, s.out_h, s.out_w)).astype(np.float32)
    return x, w, b, dout


@HYP
@given(s=conv_shapes(), seed=st.integers(0, 2**31 - 1), bias=st.booleans())
def test_conv_generic_forward_matches_torch(kernels: Kernels, s: ConvShape, seed: int,
                                            bias: bool) -> None:
    x, w, b, dout = random_conv(s, np.random.default_rng(seed), bias)
    y_torch, _, _ = torch_conv(x, s, w, b, dout)
    np.testing.assert_allclose(kernels.conv2d(x, s, w, b), y_torch, rtol=1e-4, atol=1e-4)


@HYP
@given(s=conv_shapes(), seed=st.integers(0, 2**31 - 1))
def test_conv_input_grad_matches_torch(kernels: Kernels, s: ConvShape, seed: int) -> None:
    x, w, b, dout = random_conv(s, np.random.default_rng(seed))
    _, dx_torch, _ = torch_conv(x, s, w, b, dout)
    np.testing.assert_allclose(kernels.conv2d_input_grad(dout, s, w), dx_torch,
                               rtol=1e-4, atol=1e-4)


@HYP
@given(s=conv_shapes(), seed=st.integers(0, 2**31 - 1), data=st.data())
def test_conv_weight_grad_slices_match_torch(kernels: Kernels, s: ConvShape, seed: int,
                                             data: st.DataObject) -> None:
    rng = np.random.default_rng(seed)
    x, w, b, dout = random_conv(s, rng)
    _, _, dw_torch = torch_conv(x, s, w, b, dout)
    # any subset in any order: empty, full, unsorted, non-contiguous
    channels = data.draw(st.permutations(range(s.in_c)).flatmap(
        lambda perm: st.integers(0, len(perm)).map(lambda n: list(perm[:n]))))
    saved = kernels.gather_planes(x, channels)
    init = rng.standard_normal((len(channels), s.ocpg, s.k_h, s.k_w)).astype(np.float32)
    got = kernels.conv2d_weight_grad(saved, channels, dout, s, init)
    np.testing.assert_allclose(got - init, dense_to_slices(dw_torch, s, channels),
                               rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("k", [3, 5, 7])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("size,pads", [((9, 11), (1, 1, 1, 1)), ((8, 7), (0, 2, 3, 0)),
                                       ((2, 3), (3, 3, 3, 3)), ((12, 12), (0, 0, 0, 0))])
def test_depthwise_fast_path(kernels: Kernels, k: int, stride: int,
                             size: tuple[int, int], pads: tuple[int, int, int, int]) -> None:
    pt, pb, pl, pr = (min(pv, k - 1) for pv in pads)
    h, w_ = size
    if h + pt + pb < k or w_ + pl + pr < k:
        pytest.skip("window larger than padded input")
    s = ConvShape(in_c=5, out_c=5, in_h=h, in_w=w_, k_h=k, k_w=k, stride_h=stride,
                  stride_w=stride, pad_top=pt, pad_bottom=pb, pad_left=pl, pad_right=pr,
                  groups=5)
    rng = np.random.default_rng(k * 100 + stride)
    x, w, b, dout = random_conv(s, rng)
    expected = ref_conv2d(x, s, w, b)
    np.testing.assert_allclose(kernels.conv2d(x, s, w, b), expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(kernels.conv2d(x, s, w, None), ref_conv2d(x, s, w, None),
                               rtol=1e-4, atol=1e-4)
    relu6 = kernels.conv2d(x, s, w, b, act_min=0.0, act_max=6.0)
    np.testing.assert_allclose(relu6, np.clip(expected, 0.0, 6.0), rtol=1e-4, atol=1e-4)
    _, dx, dw = torch_conv(x, s, w, b, dout)
    np.testing.assert_allclose(kernels.conv2d_input_grad(dout, s, w), dx, rtol=1e-4, atol=1e-4)
    channels = [4, 0, 2]
    got = kernels.conv2d_weight_grad(kernels.gather_planes(x, channels), channels, dout, s,
                                     np.zeros((3, 1, k, k), np.float32))
    np.testing.assert_allclose(got, dense_to_slices(dw, s, channels), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("groups,in_c,out_c,hw", [(1, 7, 5, (6, 5)), (2, 6, 4, (3, 9)),
                                                  (1, 1, 3, (1, 1)), (3, 9, 6, (4, 4))])
def test_pointwise_fast_path(kernels: Kernels, groups: int, in_c: int, out_c: int,
                             hw: tuple[int, int]) -> None:
    s = ConvShape(in_c=in_c, out_c=out_c, in_h=hw[0], in_w=hw[1], k_h=1, k_w=1,
                  groups=groups)
    rng = np.random.default_rng(in_c * 10 + out_c)
    x, w, b, dout = random_conv(s, rng)
    expected = ref_conv2d(x, s, w, b)
    np.testing.assert_allclose(kernels.conv2d(x, s, w, b), expected, rtol=1e-5, atol=1e-5)
    relu = kernels.conv2d(x, s, w, b, act_min=0.0)
    np.testing.assert_allclose(relu, np.maximum(expected, 0.0), rtol=1e-5, atol=1e-5)
    _, dx, dw = torch_conv(x, s, w, b, dout)
    np.testing.assert_allclose(kernels.conv2d_input_grad(dout, s, w), dx, rtol=1e-5, atol=1e-5)
    channels = list(range(in_c))[::-2]
    got = kernels.conv2d_weight_grad(kernels.gather_planes(x, channels), channels, dout, s,
                                     np.zeros((len(channels), s.ocpg, 1, 1), np.float32))
    np.testing.assert_allclose(got, dense_to_slices(dw, s, channels), rtol=1e-5, atol=1e-5)


def test_conv_forward_overwrites_and_clamps(kernels: Kernels) -> None:
    s = ConvShape(in_c=4, out_c=6, in_h=7, in_w=5, k_h=3, k_w=2, stride_h=2, pad_top=1,
                  pad_bottom=1, pad_left=1, dil_w=2, groups=2)
    rng = np.random.default_rng(3)
    x, w, b, _ = random_conv(s, rng)
    expected = np.clip(ref_conv2d(x, s, w, b), -0.5, 0.75)
    for fill in (np.nan, 1e30):
        got = kernels.conv2d(x, s, w, b, act_min=-0.5, act_max=0.75, out_fill=fill)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_gather_planes_keeps_list_order(kernels: Kernels) -> None:
    x = np.arange(5 * 3 * 2, dtype=np.float32).reshape(5, 3, 2)
    for channels in ([], [0, 1, 2, 3, 4], [3, 0, 4], [2]):
        np.testing.assert_array_equal(kernels.gather_planes(x, channels), x[channels])


@pytest.mark.parametrize("groups,in_c,out_c", [(1, 5, 4), (2, 4, 6), (6, 6, 6)])
@pytest.mark.parametrize("with_gscale", [False, True])
def test_sgd_conv_slices_and_slices_to_dense(kernels: Kernels, groups: int, in_c: int,
                                             out_c: int, with_gscale: bool) -> None:
    s = ConvShape(in_c=in_c, out_c=out_c, in_h=4, in_w=4, k_h=3, k_w=2, groups=groups)
    rng = np.random.default_rng(in_c + out_c + groups)
    w0 = rng.standard_normal(s.weight_shape).astype(np.float32)
    gscale = rng.uniform(0.5, 2.0, out_c).astype(np.float32) if with_gscale else None
    lr = 0.1
    for channels in ([], list(range(in_c)), [in_c - 1, 0], [1]):
        ch = channel_array(channels)
        dense = rng.standard_normal(s.weight_shape).astype(np.float32)
        mask = np.zeros(s.weight_shape, bool)
        for c in channels:
            g = c // s.icpg
            mask[g * s.ocpg:(g + 1) * s.ocpg, c % s.icpg] = True
        dense_masked = np.where(mask, dense, 0.0).astype(np.float32)
        slices = f32(dense_to_slices(dense, s, channels))
        p = s.params()

        back = np.full(s.weight_shape, np.nan, np.float32)
        kernels.lib.mdy_conv_slices_to_dense_f32(
            slices.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
            ch.ctypes.data_as(ctypes.POINTER(ctypes.c_uint16)), len(channels),
            ctypes.byref(p), back.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
        np.testing.assert_array_equal(back, dense_masked)

        w = w0.copy()
        kernels.lib.mdy_sgd_conv_slices_f32(
            w.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), ctypes.byref(p),
            ch.ctypes.data_as(ctypes.POINTER(ctypes.c_uint16)), len(channels),
            slices.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), lr,
            None if gscale is None else gscale.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
        scale = np.ones(out_c, np.float32) if gscale is None else gscale
        expected = w0 - lr * scale[:, None, None, None] * dense_masked
        np.testing.assert_allclose(w, expected, rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(w[~mask], w0[~mask])  # untouched weights exactly
