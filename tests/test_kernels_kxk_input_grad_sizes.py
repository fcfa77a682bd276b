"""The float32 KxK (non-depthwise) conv input gradient against PyTorch autograd, over
channel counts, windows, strides, paddings and map sizes 1..20.

mdy_conv2d_input_grad_f32 dispatches a non-depthwise, non-pointwise conv to:
- mdy_conv_cols_input_grad_f32 when it has < 4 input channels per group (the stems) or
  is strided with >= 8 outputs per group or on <= 16 output pixels: a 4-pixel x 4-tap
  GEMM + scatter, into a zero-padded stack copy of din on small maps, straight into din
  (bounds-checked at the borders) on large ones; window rows in chunks of 152;
- the stride-1 3x3 branch of mdy_conv_kxk_input_grad_f32 (>= 4 input channels): the
  forward 3x3 block on flipped, transposed weights, 8 output channels per chunk, rows
  zero-padded to whole 4-pixel blocks (a ragged last block goes through a scratch);
- the stride-phase gather of mdy_conv_kxk_input_grad_f32 otherwise.
The shapes cross those limits: 1, 2, 3, 5, 16 input channels (tails of the 4-channel
blocks), 1, 3, 8, 17, 32 output channels (chunks of 8, odd counts for the asm pairs),
3x3 / 5x5 / 2x3 windows, strides 1 and 2, paddings 0..2 and asymmetric, dilation, groups,
every map size 1..20 and odd / non-square maps. The host build runs the C twins of the
assembly blocks; tests/test_kernels_qemu.py runs these paths' assembly under QEMU.
"""
from __future__ import annotations

import numpy as np
import pytest

from kernel_lib import ConvShape, Kernels, kernels  # noqa: F401
from torch_ref import torch_conv_grads


def shape(in_c: int, out_c: int, h: int, w: int, kh: int, kw: int, stride: int = 1,
          pads: tuple[int, int, int, int] = (0, 0, 0, 0), dil: int = 1,
          groups: int = 1) -> ConvShape:
    pt, pb, pl, pr = pads
    return ConvShape(in_c=in_c, out_c=out_c, in_h=h, in_w=w, k_h=kh, k_w=kw,
                     stride_h=stride, stride_w=stride, pad_top=pt, pad_bottom=pb,
                     pad_left=pl, pad_right=pr, dil_h=dil, dil_w=dil, groups=groups)


def _valid(s: ConvShape) -> bool:
    return s.out_h >= 1 and s.out_w >= 1


IN_C = (1, 2, 3, 5, 16)
OUT_C = (1, 3, 8, 17, 32)
WINDOWS = ((3, 3), (5, 5), (2, 3))

# every (in_c, out_c) pair, each with a rotating window / stride / padding / map size
CROSS: list[ConvShape] = []
for i, ic in enumerate(IN_C):
    for j, oc in enumerate(OUT_C):
        for v in range(4):
            kh, kw = WINDOWS[(i + j + v) % 3]
            stride = 1 + (i + v) % 2
            pad = (j + v) % 3
            h = 1 + (7 * i + 5 * j + 11 * v) % 20
            wd = h if v % 2 == 0 else 1 + (h * 3 + 4) % 20
            s = shape(ic, oc, h, wd, kh, kw, stride, (pad, pad, pad, pad))
            if _valid(s):
                CROSS.append(s)

# every map size 1..20 (square), for the shapes that take each path
SWEEP: list[ConvShape] = []
for n in range(1, 21):
    SWEEP += [
        shape(16, 16, n, n, 3, 3, 1, (1, 1, 1, 1)),      # flipped forward block
        shape(5, 17, n, n, 3, 3, 1, (1, 1, 1, 1)),       # + tail channel, 3 chunks
        shape(16, 32, n, n, 3, 3, 2, (1, 1, 1, 1)),      # phases / small-map GEMM
        shape(3, 16, n, n, 3, 3, 2, (1, 1, 1, 1)),       # the 3-channel stem
        shape(1, 32, n, n, 3, 3, 1, (1, 1, 1, 1)),       # the 1-channel stem
        shape(2, 3, n, n, 5, 5, 1, (2, 2, 2, 2)),
    ]
# odd / non-square maps, asymmetric and large padding, dilation, groups, 1 output channel
EDGES = [
    shape(16, 8, 7, 13, 3, 3, 1, (1, 1, 1, 1)), shape(16, 8, 13, 6, 3, 3, 1, (1, 1, 1, 1)),
    shape(5, 3, 9, 5, 3, 3, 1, (0, 0, 0, 0)), shape(5, 3, 6, 9, 3, 3, 1, (2, 2, 2, 2)),
    shape(16, 17, 11, 10, 3, 3, 1, (2, 0, 0, 1)), shape(5, 1, 8, 11, 3, 3, 1, (1, 1, 1, 1)),
    shape(16, 1, 5, 7, 3, 3, 1, (1, 1, 1, 1)), shape(16, 3, 1, 9, 3, 3, 1, (1, 1, 1, 1)),
    shape(16, 3, 9, 1, 3, 3, 1, (1, 1, 1, 1)),
    shape(1, 3, 7, 12, 3, 3, 1, (1, 1, 1, 1)), shape(1, 1, 5, 5, 3, 3, 1, (1, 1, 1, 1)),
    shape(1, 8, 2, 9, 2, 3, 1, (0, 1, 1, 1)), shape(3, 17, 19, 15, 3, 3, 2, (1, 0, 1, 0)),
    shape(3, 8, 20, 20, 5, 5, 2, (2, 2, 2, 2)), shape(2, 32, 17, 9, 2, 3, 2, (1, 1, 0, 2)),
    shape(1, 17, 20, 20, 3, 3, 1, (0, 0, 0, 0)), shape(3, 5, 12, 12, 3, 3, 1, (1, 1, 1, 1),
                                                         dil=2),
    shape(2, 8, 9, 9, 3, 3, 2, (2, 2, 2, 2), dil=2), shape(4, 6, 9, 8, 3, 3, 2, (1, 1, 1, 1),
                                                           groups=2),
    shape(6, 9, 7, 7, 3, 3, 1, (1, 1, 1, 1), groups=3), shape(32, 16, 10, 10, 3, 3, 1,
                                                              (1, 1, 1, 1), groups=2),
    shape(16, 32, 6, 6, 3, 3, 2, (1, 1, 1, 1)), shape(16, 32, 7, 5, 3, 3, 2, (0, 2, 1, 1)),
    shape(5, 8, 8, 8, 3, 3, 3, (1, 1, 1, 1)), shape(3, 8, 9, 9, 2, 3, 3, (0, 0, 0, 0)),
    shape(3, 4, 5, 5, 3, 3, 2, (3, 3, 3, 3)), shape(2, 70, 6, 6, 3, 3, 1, (1, 1, 1, 1)),
    shape(16, 9, 40, 33, 3, 3, 1, (1, 1, 1, 1)), shape(3, 5, 40, 21, 3, 3, 2, (1, 1, 1, 1)),
    # strided with > 152 window rows (chunks of the offset table), and few outputs
    shape(17, 8, 12, 11, 3, 3, 2, (1, 1, 1, 1)), shape(7, 9, 13, 13, 5, 5, 2, (2, 2, 2, 2)),
    shape(32, 16, 10, 10, 3, 3, 2, (1, 1, 1, 1)), shape(16, 4, 12, 12, 3, 3, 2, (1, 1, 1, 1)),
    shape(12, 8, 30, 30, 3, 3, 2, (0, 0, 0, 0)), shape(8, 8, 9, 14, 3, 3, 2, (1, 1, 1, 1),
                                                       groups=2),
]
SHAPES = CROSS + SWEEP + [s for s in EDGES if _valid(s)]


def _id(s: ConvShape) -> str:
    return (f"c{s.in_c}o{s.out_c}g{s.groups}_{s.in_h}x{s.in_w}_k{s.k_h}x{s.k_w}s{s.stride_h}"
            f"p{s.pad_top}{s.pad_bottom}{s.pad_left}{s.pad_right}d{s.dil_h}")


@pytest.mark.parametrize("s", SHAPES, ids=_id)
def test_kxk_input_grad_matches_torch(kernels: Kernels, s: ConvShape) -> None:
    rng = np.random.default_rng(s.in_c * 1009 + s.out_c * 101 + s.in_h * 13 + s.in_w)
    x = rng.standard_normal((s.in_c, s.in_h, s.in_w)).astype(np.float32)
    w = rng.standard_normal(s.weight_shape).astype(np.float32)
    dout = rng.standard_normal((s.out_c, s.out_h, s.out_w)).astype(np.float32)
    dx, _ = torch_conv_grads(x, s, w, dout)
    got = kernels.conv2d_input_grad(dout, s, w)
    scale = float(np.sqrt(s.out_c // s.groups * s.k_h * s.k_w))
    np.testing.assert_allclose(got, dx, rtol=1e-4, atol=1e-5 * scale)


def test_shape_list_reaches_every_path() -> None:
    """The lists hold what the docstring promises (a guard against a silent shrink)."""
    assert {s.in_c for s in SHAPES} >= set(IN_C) and {s.out_c for s in SHAPES} >= set(OUT_C)
    assert {(s.k_h, s.k_w) for s in SHAPES} >= set(WINDOWS)
    assert {s.stride_h for s in SHAPES} >= {1, 2}
    assert {s.in_h for s in SWEEP} == set(range(1, 21))
    assert len(SHAPES) > 200
