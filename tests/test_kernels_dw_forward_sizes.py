"""mdy_conv2d_f32 on every map size 1..16 (and non-square maps) for the depthwise
windows 3/5/7 at strides 1 and 2 and for the 1- and 3-channel stems, against PyTorch in
float64.

The depthwise forward picks its path by map size (compile-time instances on some tiny
maps, the strip path with whole 4-pixel blocks, blocks that spill into the next row,
1-2 pixel row tails, strips sharing zero pads across channels and strips), the stems go
through an im2col GEMM when their output rows are narrower than 4 pixels. Every size
and padding here must give the reference result, so no size-dependent branch can be
less correct than the generic loop. The host build runs the C loops; the Cortex-M4F
assembly on these shapes is checked under QEMU by test_kernels_qemu.py.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from kernel_lib import ConvShape, Kernels, kernels  # noqa: F401

CLAMPS = [(-np.inf, np.inf), (0.0, 0.5)]


def _pads(kind: str, k: int) -> tuple[int, int, int, int]:
    """(top, bottom, left, right)."""
    p = k // 2
    return {"same": (p, p, p, p), "none": (0, 0, 0, 0), "asym": (p, max(p - 1, 0), 0, p),
            "asym2": (1, p, p, 1)}[kind]


def _reference(x: np.ndarray, s: ConvShape, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    xt = torch.from_numpy(x.astype(np.float64))[None]
    xt = F.pad(xt, (s.pad_left, s.pad_right, s.pad_top, s.pad_bottom))
    y = F.conv2d(xt, torch.from_numpy(w.astype(np.float64)),
                 None if b is None else torch.from_numpy(b.astype(np.float64)),
                 stride=(s.stride_h, s.stride_w), dilation=(s.dil_h, s.dil_w), groups=s.groups)
    return y[0].numpy()


def _check(kernels: Kernels, s: ConvShape, seed: int) -> int:
    """Compare one shape under both clamps, with and without bias; returns 1 if the shape
    has an output (else 0, skipped)."""
    if s.out_h < 1 or s.out_w < 1:
        return 0
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((s.in_c, s.in_h, s.in_w)).astype(np.float32)
    w = rng.standard_normal(s.weight_shape).astype(np.float32)
    b = rng.standard_normal(s.out_c).astype(np.float32)
    for lo, hi in CLAMPS:
        for bias in (b, None):
            expected = np.clip(_reference(x, s, w, bias), lo, hi)
            got = kernels.conv2d(x, s, w, bias, act_min=lo, act_max=hi)
            np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4,
                                       err_msg=f"{s} clamp {(lo, hi)} bias {bias is not None}")
    return 1


def _shape(c: int, o: int, h: int, w: int, k: int, stride: int, pads: tuple[int, ...],
           groups: int, dil: int = 1) -> ConvShape:
    pt, pb, pl, pr = pads
    return ConvShape(in_c=c, out_c=o, in_h=h, in_w=w, k_h=k, k_w=k, stride_h=stride,
                     stride_w=stride, pad_top=pt, pad_bottom=pb, pad_left=pl, pad_right=pr,
                     dil_h=dil, dil_w=dil, groups=groups)


NON_SQUARE = [(1, 4), (4, 1), (2, 3), (3, 2), (5, 9), (9, 5), (3, 16), (16, 3), (7, 12),
              (12, 7), (6, 11), (11, 6), (10, 13), (2, 16)]


@pytest.mark.parametrize("pad", ["same", "none", "asym", "asym2"])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("k", [3, 5, 7])
def test_depthwise_forward_every_size(kernels: Kernels, k: int, stride: int, pad: str) -> None:
    done = 0
    sizes = [(n, n) for n in range(1, 17)] + NON_SQUARE
    for i, (h, w) in enumerate(sizes):
        for c in (1, 3):   # 1 channel: every channel's last row is the output's last row
            s = _shape(c, c, h, w, k, stride, _pads(pad, k), groups=c)
            done += _check(kernels, s, seed=1000 * k + 100 * stride + 7 * i + c)
    assert done >= 20    # the test must exercise shapes (pad "none" drops the smallest)


@pytest.mark.parametrize("pad", ["same", "none", "asym"])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("in_c,out_c", [(1, 32), (3, 16), (3, 5), (1, 7)])
def test_stem_forward_every_size(kernels: Kernels, in_c: int, out_c: int, stride: int,
                                 pad: str) -> None:
    done = 0
    sizes = [(n, n) for n in range(1, 17)] + NON_SQUARE
    for i, (h, w) in enumerate(sizes):
        s = _shape(in_c, out_c, h, w, 3, stride, _pads(pad, 3), groups=1)
        done += _check(kernels, s, seed=17 * i + in_c * 5 + out_c + stride)
    assert done >= 20


@pytest.mark.parametrize("h,w", [(2, 2), (3, 3), (4, 4), (2, 5), (5, 3), (6, 6)])
def test_stem_forward_dilated_and_5x5(kernels: Kernels, h: int, w: int) -> None:
    """The im2col path's other window geometries: dilation 2 and a 5x5 window."""
    _check(kernels, _shape(3, 6, h, w, 3, 1, (2, 2, 2, 2), groups=1, dil=2), seed=h * w)
    _check(kernels, _shape(1, 9, h, w, 5, 2, (2, 2, 2, 2), groups=1), seed=h + 31 * w)
    _check(kernels, _shape(2, 4, h, w, 3, 1, (1, 1, 1, 1), groups=2), seed=h + 7 * w)


@pytest.mark.parametrize("k,stride,h,w,pad", [
    (3, 1, 40, 40, "same"), (3, 2, 33, 35, "asym2"), (3, 1, 37, 30, "none"),
    (5, 1, 30, 31, "asym"), (5, 2, 45, 41, "same"), (7, 1, 29, 27, "same"),
    (7, 2, 47, 50, "asym2"), (3, 2, 26, 26, "same")])
def test_depthwise_forward_several_strips(kernels: Kernels, k: int, stride: int, h: int,
                                          w: int, pad: str) -> None:
    """Maps whose padded rows do not all fit the 2 KiB strip: several strips per
    channel, later strips copy only the plane's columns and re-zero the rows outside."""
    for c in (1, 3):
        assert _check(kernels, _shape(c, c, h, w, k, stride, _pads(pad, k), groups=c),
                      seed=h * w + k + c)
