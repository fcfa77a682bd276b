"""The register-blocked fast paths of the conv kernels against float64 references.

mdy_conv2d_f32 dispatches to a pointwise GEMM, a strip-buffered KxK path (generic
path only when a row strip does not fit its stack buffer) and a strip-buffered
depthwise path; the gradients have their own fast paths. Each is checked at the
shapes where blocking has edges: channel counts not a multiple of the block, 1x1 and
2x2 maps, odd sizes, every stride and padding, and inputs too wide for the buffer.
"""
from __future__ import annotations

import numpy as np
import pytest

from torch_ref import torch_conv_grads
from kernel_lib import ConvShape, Kernels, dense_to_slices, kernels, ref_conv2d  # noqa: F401


def shape(in_c: int, out_c: int, h: int, w: int, k: int, stride: int = 1, pad: int = 0,
          groups: int = 1, dil: int = 1, pads: tuple[int, int, int, int] | None = None) -> ConvShape:
    pt, pb, pl, pr = pads if pads is not None else (pad, pad, pad, pad)
    return ConvShape(in_c=in_c, out_c=out_c, in_h=h, in_w=w, k_h=k, k_w=k, stride_h=stride,
                     stride_w=stride, pad_top=pt, pad_bottom=pb, pad_left=pl, pad_right=pr,
                     dil_h=dil, dil_w=dil, groups=groups)


POINTWISE = [shape(c, o, h, w, 1) for c, o, h, w in
             [(1, 1, 1, 1), (3, 5, 2, 2), (8, 7, 1, 1), (5, 9, 3, 3), (16, 6, 5, 7), (4, 4, 2, 3),
              (6, 10, 4, 4)]] + [shape(6, 9, 3, 5, 1, groups=3)]
KXK = [shape(c, o, h, w, k, s, p) for c, o, h, w, k, s, p in
       [(3, 5, 1, 1, 3, 1, 1), (4, 8, 2, 2, 3, 1, 1), (4, 8, 2, 2, 3, 2, 1), (5, 7, 3, 3, 3, 1, 1),
        (3, 9, 5, 7, 3, 2, 1), (2, 6, 7, 6, 3, 3, 2), (3, 4, 6, 5, 5, 1, 2), (2, 3, 9, 8, 5, 2, 0),
        (3, 6, 4, 4, 1, 2, 0), (4, 5, 2, 2, 2, 1, 0), (2, 4, 8, 9, 7, 1, 3), (2, 5, 6, 6, 3, 1, 0)]]
KXK += [shape(4, 6, 7, 7, 3, 1, 2, dil=2), shape(6, 6, 5, 5, 3, 1, 1, groups=2),
        shape(3, 4, 5, 6, 3, 1, pads=(0, 2, 1, 0)),
        shape(2, 3, 3, 600, 3, 1, 1)]          # too wide for the strip: generic path
# dilated windows wider than the map (fewer than half the taps ever read it: the KxK
# runtime window clipped to the live taps forward, the generic loops over live taps for
# the input gradient), and one just under that line (the strip paths)
KXK += [shape(8, 6, 2, 2, 3, 1, 2, dil=2), shape(3, 5, 1, 1, 3, 1, 2, dil=2),
        shape(4, 4, 2, 3, 3, 1, 3, dil=3), shape(5, 3, 3, 3, 3, 1, 2, dil=2),
        shape(2, 4, 2, 2, 5, 1, 4, dil=2, groups=2)]
# KxK with more input channels than the strip buffer holds at once: partial sums of
# channel groups go through `out` (only the last group clamps), 1 row per strip.
KXK += [shape(c, o, h, w, k, s, p) for c, o, h, w, k, s, p in
        [(16, 8, 30, 30, 3, 1, 1), (13, 6, 17, 31, 3, 2, 1), (7, 5, 12, 40, 5, 1, 2),
         (11, 9, 9, 60, 3, 1, 0), (3, 16, 32, 32, 3, 2, 1)]]
# Dilated 3x3 (the KxK path clips its runtime window to the taps that read the map,
# stride 1 dilation 2 has its own 4 x 4 block; the input gradient skips the taps whose
# dout row is padding): dilation 1/2/3, maps 1..7 and wider odd ones, stride 1/2, pads
# 0..3, in_c 1..8 and out_c around the 4-channel block.
KXK += [shape(1 + (n + d + p) % 8, 3 + (n * s + p) % 7, n, n, 3, s, p, dil=d)
        for d in (1, 2, 3) for s in (1, 2) for p in range(4) for n in (1, 2, 3, 4, 5, 6, 7, 9, 13)
        if (n + 2 * p - 2 * d - 1) // s + 1 >= 1]
KXK += [shape(8, 16, 14, 14, 3, 1, 2, dil=2), shape(8, 16, 28, 28, 3, 1, 2, dil=2),
        shape(5, 9, 11, 6, 3, 1, pads=(2, 1, 3, 0), dil=2),
        shape(6, 8, 3, 3, 3, 1, 2, dil=2, groups=2), shape(3, 4, 4, 5, 5, 1, 3, dil=2),
        shape(4, 4, 3, 3, 3, 1, 2, dil=2, groups=4), shape(3, 3, 2, 2, 3, 1, 2, dil=2, groups=3),
        shape(5, 5, 9, 9, 3, 1, 2, dil=2, groups=5)]
# the input gradient's flipped forward block at dilation 2 (>= 4 input channels, maps of
# 6+ columns): ragged widths, a tail channel, chunks of up to 8 output channels, groups
KXK += [shape(c, o, h, w, 3, 1, p, dil=2) for c, o, h, w, p in
        [(4, 3, 6, 6, 2), (5, 9, 7, 13, 2), (8, 12, 9, 10, 1), (9, 1, 6, 11, 0), (4, 20, 8, 7, 3)]]
KXK += [shape(8, 8, 8, 9, 3, 1, 2, dil=2, groups=2)]
DEPTHWISE = [shape(c, c, h, w, k, s, k // 2, groups=c) for c, h, w, k, s in
             [(5, 1, 1, 3, 1), (5, 2, 2, 3, 1), (5, 2, 2, 3, 2), (3, 3, 3, 3, 2), (6, 4, 4, 3, 1),
              (3, 7, 5, 3, 2), (4, 9, 11, 3, 1), (3, 2, 2, 5, 1), (3, 4, 4, 5, 2), (3, 7, 6, 5, 1),
              (3, 2, 2, 7, 1), (2, 9, 9, 7, 2), (2, 8, 8, 7, 1)]]
DEPTHWISE += [shape(3, 3, 6, 7, 3, 1, pads=(0, 2, 2, 0), groups=3),
              shape(2, 2, 3, 400, 3, 1, 1, groups=2)]   # too wide: border/interior path
# Tiny maps (N <= 4, same padding): the compile-time instances of every K / stride / N,
# channel counts not a multiple of 4; odd pads and non-square maps fall back.
DEPTHWISE += [shape(c, c, n, n, k, s, k // 2, groups=c) for k in (3, 5, 7) for s in (1, 2)
              for n, c in ((1, 3), (2, 5), (3, 6), (4, 7))]
DEPTHWISE += [shape(5, 5, 8, 8, 3, s, 1, groups=5) for s in (1, 2)]   # 3x3 instances at 8x8
# 3x3 stride 2 from 7x7 (tiny instance); 7x7 / 5x5 at stride 1 and 7x7 at stride 2 with
# 5x5 / 7x7 windows (strip path, odd widths, the pads kept from the first channel)
DEPTHWISE += [shape(4, 4, 7, 7, 3, 2, 1, groups=4), shape(3, 3, 7, 7, 3, 1, 1, groups=3),
              shape(3, 3, 5, 5, 3, 1, 1, groups=3), shape(3, 3, 7, 7, 5, 2, 2, groups=3),
              shape(3, 3, 14, 14, 3, 2, 1, groups=3), shape(3, 3, 6, 6, 3, 1, 0, groups=3)]
DEPTHWISE += [shape(3, 3, 4, 3, 3, 1, 1, groups=3), shape(5, 5, 4, 4, 3, 1, 0, groups=5),
              shape(2, 2, 3, 3, 5, 2, pads=(1, 1, 2, 2), groups=2)]
ALL = POINTWISE + KXK + DEPTHWISE


def _id(s: ConvShape) -> str:
    return (f"c{s.in_c}o{s.out_c}g{s.groups}_{s.in_h}x{s.in_w}_k{s.k_h}s{s.stride_h}"
            f"p{s.pad_top}{s.pad_bottom}{s.pad_left}{s.pad_right}d{s.dil_h}")


def _data(s: ConvShape, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((s.in_c, s.in_h, s.in_w)).astype(np.float32)
    w = rng.standard_normal(s.weight_shape).astype(np.float32)
    b = rng.standard_normal(s.out_c).astype(np.float32)
    dout = rng.standard_normal((s.out_c, s.out_h, s.out_w)).astype(np.float32)
    return x, w, b, dout


@pytest.mark.parametrize("s", ALL, ids=_id)
@pytest.mark.parametrize("clamp", [(-np.inf, np.inf), (0.0, 0.5)], ids=["linear", "relu6ish"])
def test_forward_fast_paths(kernels: Kernels, s: ConvShape, clamp: tuple[float, float]) -> None:
    x, w, b, _ = _data(s, s.in_c * 31 + s.in_w)
    expected = np.clip(ref_conv2d(x, s, w, b), *clamp)
    got = kernels.conv2d(x, s, w, b, act_min=clamp[0], act_max=clamp[1])
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    got_nobias = kernels.conv2d(x, s, w, None)
    np.testing.assert_allclose(got_nobias, ref_conv2d(x, s, w, None), rtol=1e-4, atol=1e-4)



@pytest.mark.parametrize("s", ALL, ids=_id)
def test_gradient_fast_paths(kernels: Kernels, s: ConvShape) -> None:
    x, w, _, dout = _data(s, s.out_c * 17 + s.in_h)
    dx, dw = torch_conv_grads(x, s, w, dout)
    np.testing.assert_allclose(kernels.conv2d_input_grad(dout, s, w), dx, rtol=1e-4, atol=1e-4)
    # unsorted, non-contiguous subset of the input channels
    channels = list(range(s.in_c))[::-1][::2] if s.in_c > 1 else [0]
    saved = kernels.gather_planes(x, channels)
    init = np.random.default_rng(3).standard_normal(
        (len(channels), s.ocpg, s.k_h, s.k_w)).astype(np.float32)
    got = kernels.conv2d_weight_grad(saved, channels, dout, s, init)
    np.testing.assert_allclose(got - init, dense_to_slices(dw, s, channels), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("bounds", [(0.0, np.inf), (0.0, 6.0), (0.5, 2.0), (-1.0, 1.0),
                                    (-np.inf, np.inf), (-0.0, 6.0)])
@pytest.mark.parametrize("n", [1, 7, 8, 9, 37, 64])
def test_clamp_mask_and_apply_fast_paths(kernels: Kernels, bounds: tuple[float, float],
                                         n: int) -> None:
    """The integer-compare mask (+0 <= lo < hi) and the byte-test apply, on the values
    where a bit-pattern compare could go wrong: +-0, the bounds themselves, denormals,
    +-INF and NaN; lo = -0.0 (sign bit set) must not take the integer compare."""
    import ctypes
    lo, hi = bounds
    special = np.array([0.0, -0.0, lo, hi, 6.0, 1e-45, -1e-45, np.inf, -np.inf, np.nan,
                        np.nextafter(np.float32(lo), np.float32(np.inf)), 3.0, -3.0],
                       np.float32)
    rng = np.random.default_rng(n)
    y = np.concatenate([special, (8 * rng.standard_normal(n)).astype(np.float32)])[:n].copy()
    mask = np.full((n + 7) // 8, 0xAA, np.uint8)
    u8p, f32p = ctypes.POINTER(ctypes.c_uint8), ctypes.POINTER(ctypes.c_float)
    kernels.lib.mdy_clamp_mask_f32(y.ctypes.data_as(f32p), n, lo, hi, mask.ctypes.data_as(u8p))
    with np.errstate(invalid="ignore"):
        expected = (y > lo) & (y < hi)
    np.testing.assert_array_equal(np.unpackbits(mask, bitorder="little")[:n].astype(bool), expected)
    assert np.all(np.unpackbits(mask, bitorder="little")[n:] == 0)
    g = rng.standard_normal(n).astype(np.float32)
    kernels.lib.mdy_mask_apply_f32(g.ctypes.data_as(f32p), mask.ctypes.data_as(u8p), n)
    np.testing.assert_array_equal(g != 0, expected & (g != 0))
    assert np.all(g[~expected] == 0)
