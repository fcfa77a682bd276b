"""The depthwise input gradient at every map size 1..20 (and past the plane buffer)
against PyTorch autograd (float64).

mdy_conv2d_input_grad_f32 sends depthwise 3/5/7 convs to several paths by shape:
compile-time instances (maps <= 4), the 3x3 stride-2 2x2-block path (pad 1, any size),
the padded-plane path (stride 1 with pad <= K - 1, stride 2 with pad K/2, while the padded
dout plane fits 34 floats wide for 3x3 in strips of rows, 16 wide and whole for 5x5/7x7),
and past those the strip paths or the generic loops. Each case here runs every map size of one window / stride /
padding, square, odd and non-square (1 x n, n x 1 included), so every variant of every
path (the last block row and column: even or odd din, dout row / column present or
padding; remainders of 1, 2, 3 columns) is compared against torch. din is pre-filled
with NaN, so a pixel a path forgets to store fails.
"""
from __future__ import annotations

import numpy as np
import pytest

from torch_ref import torch_conv_grads
from kernel_lib import ConvShape, Kernels, kernels  # noqa: F401

SQUARE = [(n, n) for n in range(1, 21)]
ODD_SHAPES = [(5, 7), (7, 5), (6, 9), (9, 6), (13, 4), (3, 17), (20, 11), (11, 20), (1, 8),
              (8, 1), (2, 15), (15, 2), (14, 14), (10, 3)]
# several plane strips (3x3 stride 1: 13 rows per strip, 32 wide; tall narrow maps for the
# others' whole-plane limit), and past the plane width: the strip / flipped paths
LARGE = [(24, 24), (29, 31), (33, 18), (32, 32), (27, 32), (45, 7), (64, 12), (18, 40),
         (33, 33), (12, 33)]
SIZES = SQUARE + ODD_SHAPES + LARGE


def _pads(k: int) -> dict[str, tuple[int, int, int, int]]:
    """(top, bottom, left, right) paddings by name."""
    h = k // 2
    return {
        "same": (h, h, h, h),
        "none": (0, 0, 0, 0),
        "full": (k - 1, k - 1, k - 1, k - 1),
        "tf_same": (h - 1 if h else 0, h, h - 1 if h else 0, h),   # more at the bottom/right
        "asym": (h, h + 2, h, 0),                                    # extra unread rows
        "mixed": (k - 1, 0, 1, h + 1),
    }


CASES = [(k, s, name) for k in (3, 5, 7) for s in (1, 2) for name in _pads(k)]


def _check(kern: Kernels, c: int, h: int, w: int, k: int, s: int,
           pads: tuple[int, int, int, int]) -> bool:
    pt, pb, pl, pr = pads
    shape = ConvShape(in_c=c, out_c=c, in_h=h, in_w=w, k_h=k, k_w=k, stride_h=s, stride_w=s,
                      pad_top=pt, pad_bottom=pb, pad_left=pl, pad_right=pr, groups=c)
    if shape.out_h < 1 or shape.out_w < 1:
        return False
    rng = np.random.default_rng(h * 1009 + w * 31 + k * 7 + s)
    x = rng.standard_normal((c, h, w)).astype(np.float32)
    wt = rng.standard_normal(shape.weight_shape).astype(np.float32)
    dout = rng.standard_normal((c, shape.out_h, shape.out_w)).astype(np.float32)
    dx, _ = torch_conv_grads(x, shape, wt, dout)
    np.testing.assert_allclose(kern.conv2d_input_grad(dout, shape, wt), dx, rtol=1e-4,
                               atol=1e-4, err_msg=f"{h}x{w} k{k} s{s} pads {pads}")
    return True


@pytest.mark.parametrize("k,s,name", CASES, ids=[f"k{k}s{s}_{n}" for k, s, n in CASES])
def test_depthwise_input_grad_every_size(kernels: Kernels, k: int, s: int, name: str) -> None:
    pads = _pads(k)[name]
    ran = 0
    for i, (h, w) in enumerate(SIZES):
        ran += _check(kernels, (3, 5, 2, 7)[i % 4], h, w, k, s, pads)
    assert ran >= len(SQUARE)   # the padding leaves most sizes a valid output


def test_depthwise_input_grad_single_channel_and_many(kernels: Kernels) -> None:
    """One channel (the last row of the only plane) and 48 channels (the bench's)."""
    for k in (3, 5, 7):
        for s in (1, 2):
            for n in (5, 6, 7, 10, 13):
                for c in (1, 48):
                    _check(kernels, c, n, n, k, s, (k // 2,) * 4)
