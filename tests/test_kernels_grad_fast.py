"""The strip-buffered conv gradient paths against PyTorch (float64).

mdy_conv2d_input_grad_f32 runs every non-pointwise conv (except stride-1 depthwise)
as stride phases over a zero-padded strip of dout (mdy_conv_kxk_input_grad_f32);
mdy_conv2d_weight_grad_f32 runs every non-pointwise conv on a zero-padded strip of each
saved plane (mdy_conv_kxk_weight_grad_f32). These shapes hit their edges: strides 1-3
(phases with no tap, sub-windows of 1..K taps), every padding (0, K-1, asymmetric,
larger than the window reaches), dilation with and without stride, groups, depthwise,
1x1/2x2/odd maps, channel counts that are not multiples of the 4-blocks, partial and
unsorted channel schedules, rows too wide for the strip (generic fallback).
"""
from __future__ import annotations

import numpy as np
import pytest

from torch_ref import torch_conv_grads
from kernel_lib import ConvShape, Kernels, dense_to_slices, kernels  # noqa: F401


def shape(in_c: int, out_c: int, h: int, w: int, k: int, stride: int = 1, pad: int = 0,
          groups: int = 1, dil: int = 1, pads: tuple[int, int, int, int] | None = None,
          kw: int | None = None) -> ConvShape:
    pt, pb, pl, pr = pads if pads is not None else (pad, pad, pad, pad)
    return ConvShape(in_c=in_c, out_c=out_c, in_h=h, in_w=w, k_h=k, k_w=kw or k,
                     stride_h=stride, stride_w=stride, pad_top=pt, pad_bottom=pb, pad_left=pl,
                     pad_right=pr, dil_h=dil, dil_w=dil, groups=groups)


SHAPES = [
    shape(16, 16, 2, 2, 3, 1, 1), shape(16, 16, 1, 1, 3, 1, 1), shape(7, 9, 5, 7, 3, 1, 1),
    shape(5, 6, 2, 2, 3, 2, 1), shape(5, 6, 1, 1, 3, 2, 1), shape(6, 5, 9, 7, 3, 2, 1),
    shape(6, 5, 8, 8, 3, 2, 0), shape(3, 7, 11, 10, 3, 2, 2), shape(3, 5, 10, 9, 5, 2, 2),
    shape(4, 3, 9, 9, 7, 2, 3), shape(3, 4, 7, 8, 2, 2, 0), shape(2, 3, 8, 7, 1, 3, 0),
    shape(3, 4, 9, 10, 3, 3, 1), shape(3, 2, 7, 7, 4, 1, 1), shape(2, 3, 8, 8, 3, 2, 1, dil=2),
    shape(3, 5, 9, 9, 3, 1, 3, dil=2), shape(6, 10, 6, 5, 3, 2, 1, groups=2),
    shape(6, 9, 5, 5, 3, 1, 1, groups=3), shape(4, 4, 6, 7, 3, 2, pads=(0, 2, 2, 0)),
    shape(4, 4, 6, 7, 3, 1, pads=(2, 0, 0, 1)), shape(3, 6, 6, 6, 5, 1, 0, kw=3),
    shape(2, 3, 3, 300, 3, 2, 1),            # too wide for the strip: generic fallback
    shape(2, 2, 3, 600, 3, 1, 1),
]
DEPTHWISE = [shape(c, c, h, w, k, s, k // 2, groups=c) for c, h, w, k, s in
             [(6, 2, 2, 3, 2), (6, 1, 1, 3, 2), (5, 7, 9, 3, 2), (4, 8, 8, 3, 2),
              (3, 9, 9, 5, 2), (3, 2, 2, 5, 2), (3, 11, 10, 7, 2), (3, 4, 4, 7, 2),
              (6, 2, 2, 3, 1), (5, 1, 1, 3, 1), (4, 7, 6, 5, 1), (3, 9, 9, 7, 1)]]
DEPTHWISE += [shape(3, 3, 7, 6, 3, 2, pads=(0, 1, 1, 0), groups=3),
              shape(3, 3, 6, 6, 3, 2, 0, groups=3), shape(2, 2, 4, 4, 3, 1, 2, groups=2)]

# mdy_conv_tiny_{input,weight}_grad_f32: every compile-time instance (K, S, N)
# with channel counts that are not multiples of 4, plus the tiny shapes that must NOT
# take an instance (padding other than K/2 at the top/left, an output size that padding
# does not give, a non-square map, an N with no instance) and one whose extra bottom /
# right padding no output reads (it does take the instance).
_TINY_INSTANCES = [(3, 1, n) for n in (1, 2, 3, 4)] + [(3, 2, n) for n in (1, 2, 3, 4, 8)]
_TINY_INSTANCES += [(5, 1, n) for n in (1, 2, 3, 4)] + [(5, 2, n) for n in (2, 3, 4)]
_TINY_INSTANCES += [(7, 1, n) for n in (1, 2, 3, 4)] + [(7, 2, n) for n in (2, 3, 4)]
TINY_DW = [shape(c, c, n, n, k, s, k // 2, groups=c)
           for i, (k, s, n) in enumerate(_TINY_INSTANCES) for c in [(5, 6, 7)[i % 3]]]
TINY_DW += [shape(5, 5, 3, 3, 3, 1, pads=(1, 0, 1, 0), groups=5),   # out 2x2: no instance
            shape(6, 6, 2, 2, 3, 1, pads=(1, 2, 1, 2), groups=6),   # out 3x3: no instance
            shape(5, 5, 4, 4, 3, 2, pads=(1, 0, 1, 0), groups=5),   # instance, pad unread
            shape(3, 3, 4, 4, 3, 1, pads=(0, 0, 0, 0), groups=3),
            shape(3, 3, 2, 2, 3, 1, pads=(2, 2, 2, 2), groups=3),
            shape(5, 5, 4, 3, 3, 1, 1, groups=5), shape(5, 5, 5, 5, 3, 1, 1, groups=5),
            shape(7, 7, 1, 1, 5, 2, 2, groups=7), shape(3, 3, 6, 6, 7, 2, 3, groups=3)]
# the same instances for 3x3 convs with several output channels per input channel
# (output at most 2x2), with groups, and dense shapes that must fall through
TINY_DW += [shape(6, 5, 4, 4, 3, 2, 1), shape(5, 7, 3, 3, 3, 2, 1), shape(7, 3, 2, 2, 3, 2, 1),
            shape(6, 10, 2, 2, 3, 1, 1, groups=2), shape(6, 9, 4, 4, 3, 2, 1, groups=3),
            shape(5, 6, 1, 1, 3, 1, 1, groups=1), shape(3, 5, 4, 4, 3, 1, 1),
            shape(3, 5, 8, 8, 3, 2, 1), shape(3, 5, 2, 2, 5, 1, 2), shape(4, 6, 2, 2, 3, 1, 2)]


def _id(s: ConvShape) -> str:
    return (f"c{s.in_c}o{s.out_c}g{s.groups}_{s.in_h}x{s.in_w}_k{s.k_h}x{s.k_w}s{s.stride_h}"
            f"p{s.pad_top}{s.pad_bottom}{s.pad_left}{s.pad_right}d{s.dil_h}")



def _schedules(c: int) -> list[list[int]]:
    """Every channel; a partial unsorted one; a single channel (the last)."""
    rng = np.random.default_rng(c)
    part = [int(i) for i in rng.permutation(c)[: max(1, c // 2 + 1)]]
    return [list(range(c)), part, [c - 1]]


@pytest.mark.parametrize("s", SHAPES + DEPTHWISE + TINY_DW, ids=_id)
def test_conv_gradients_match_torch(kernels: Kernels, s: ConvShape) -> None:
    rng = np.random.default_rng(s.in_c * 131 + s.in_w * 7 + s.k_h)
    x = rng.standard_normal((s.in_c, s.in_h, s.in_w)).astype(np.float32)
    w = rng.standard_normal(s.weight_shape).astype(np.float32)
    dout = rng.standard_normal((s.out_c, s.out_h, s.out_w)).astype(np.float32)
    dx, dw = torch_conv_grads(x, s, w, dout)
    np.testing.assert_allclose(kernels.conv2d_input_grad(dout, s, w), dx, rtol=1e-4, atol=1e-4)
    for channels in _schedules(s.in_c):
        saved = kernels.gather_planes(x, channels)
        init = rng.standard_normal((len(channels), s.ocpg, s.k_h, s.k_w)).astype(np.float32)
        got = kernels.conv2d_weight_grad(saved, channels, dout, s, init)
        np.testing.assert_allclose(got - init, dense_to_slices(dw, s, channels),
                                   rtol=1e-4, atol=1e-4)
