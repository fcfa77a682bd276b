"""The depthwise weight gradient (mdy_conv_depthwise_weight_grad_f32, routed from
mdy_conv2d_weight_grad_f32) against PyTorch autograd (float64), at every map size.

The path runs each channel as a 1D correlation over flattened strips whose rows may
overlap in their padding and whose dout rows carry zero garbage columns, so the shapes
here hit those edges: K = 3/5/7, stride 1/2, every map size 1..20 with "same" padding,
non-square and odd maps, no padding, asymmetric padding, padding wider than the window
reaches, maps tall enough to need several strips, rows too wide for the strip buffer
(fallback), dilation 2 (another path). Every case schedules all channels, a partial
unsorted subset, a single channel and none, and accumulates into non-zero dw_slices.
The last test runs the Cortex-M4F build (assembly passes, vldm copies) under QEMU.
"""
from __future__ import annotations

import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from torch_ref import torch_conv_grads
from kernel_lib import ConvShape, Kernels, dense_to_slices, kernels  # noqa: F401
from toolchain_marks import needs_qemu_and_arm

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import kernels as bench  # noqa: E402  (bench/kernels.py: case table, build, QEMU run)


def dw(c: int, h: int, w: int, k: int, s: int, pads: tuple[int, int, int, int],
       dil: int = 1) -> ConvShape:
    pt, pb, pl, pr = pads
    return ConvShape(in_c=c, out_c=c, in_h=h, in_w=w, k_h=k, k_w=k, stride_h=s, stride_w=s,
                     pad_top=pt, pad_bottom=pb, pad_left=pl, pad_right=pr, dil_h=dil,
                     dil_w=dil, groups=c)


def _valid(s: ConvShape) -> bool:
    return s.out_h >= 1 and s.out_w >= 1


# "same" padding, square maps 1..20 (the tiny instances take N <= 4, this path the rest)
SAME = [dw(3 + n % 3, n, n, k, st, (k // 2,) * 4)
        for k in (3, 5, 7) for st in (1, 2) for n in range(1, 21)]
# non-square, odd, no padding, asymmetric padding, padding beyond the window's reach
OTHER = [dw(4, h, w, k, st, pads)
         for k in (3, 5, 7) for st in (1, 2)
         for h, w, pads in [(5, 9, (k // 2,) * 4), (11, 6, (k // 2,) * 4), (7, 7, (0,) * 4),
                            (13, 10, (0,) * 4), (9, 8, (0, k - 1, 1, 0)),
                            (6, 11, (k - 1, 0, 0, k // 2)), (8, 7, (1, 2, k - 1, 1)),
                            (3, 4, (k, k, k, k)), (2, 9, (k + 1, 0, k + 2, 1)),
                            (20, 17, (k // 2, 0, k // 2, 1)), (1, 12, (k // 2,) * 4),
                            (12, 1, (k // 2,) * 4)]]
# tall and wide maps (several strips of the 2 KiB buffer), too wide for it (fallback),
# and dilation 2 (not this path)
OTHER += [dw(3, 40, 40, k, st, (k // 2,) * 4) for k in (3, 7) for st in (1, 2)]
OTHER += [dw(2, 23, 61, 7, 1, (3,) * 4), dw(2, 9, 130, 5, 2, (2,) * 4),
          dw(2, 5, 300, 3, 1, (1,) * 4), dw(2, 4, 600, 7, 2, (3,) * 4)]
# widths around the last that fit one output row per strip (2 KiB; the M4F's 4-step
# passes round differently from the host's, hence pairs)
OTHER += [dw(2, 9, w, k, st, (k // 2,) * 4) for k, st, ws in
          [(3, 1, (126, 127)), (5, 1, (81, 82)), (7, 1, (59, 60)), (3, 2, (110, 111, 112)),
           (5, 2, (74, 76, 77)), (7, 2, (55, 56))] for w in ws]
OTHER += [dw(3, n, n, k, st, (k - 1,) * 4, dil=2) for k in (3, 5) for st in (1, 2)
          for n in (2, 5, 9)]
CASES = [s for s in SAME + OTHER if _valid(s)]


def _id(s: ConvShape) -> str:
    return (f"c{s.in_c}_{s.in_h}x{s.in_w}_k{s.k_h}s{s.stride_h}"
            f"p{s.pad_top}{s.pad_bottom}{s.pad_left}{s.pad_right}d{s.dil_h}")


@pytest.mark.parametrize("s", CASES, ids=_id)
def test_depthwise_weight_grad_matches_torch(kernels: Kernels, s: ConvShape) -> None:
    rng = np.random.default_rng(zlib.crc32(_id(s).encode()))
    x = rng.standard_normal((s.in_c, s.in_h, s.in_w)).astype(np.float32)
    w = rng.standard_normal(s.weight_shape).astype(np.float32)
    dout = rng.standard_normal((s.out_c, s.out_h, s.out_w)).astype(np.float32)
    _, dw_ref = torch_conv_grads(x, s, w, dout)
    part = [int(i) for i in rng.permutation(s.in_c)[: s.in_c // 2 + 1]]
    for channels in (list(range(s.in_c)), part, [s.in_c - 1], []):
        saved = kernels.gather_planes(x, channels)
        init = rng.standard_normal((len(channels), 1, s.k_h, s.k_w)).astype(np.float32)
        got = kernels.conv2d_weight_grad(saved, channels, dout, s, init)
        np.testing.assert_allclose(got - init, dense_to_slices(dw_ref, s, channels),
                                   rtol=1e-4, atol=2e-4)


# ---- the Cortex-M4F build (QEMU): the 3x3 / 5x5 stride-2 passes are Thumb-2 assembly
# there (4 steps per vldm) and the strip copies use vldm/vstm, which the host build above
# never runs. The bench firmware's check mode runs each case once: saved = its buffer d
# (channels 0..in_c-1 in order), dout = buffer a, dw_slices start from fill(seed 4).

def _m4_cases() -> list[tuple[int, int, int, int, int]]:
    """(channels, size, k, stride, pad): every window and stride; tiny instances (3x3
    stride 2 on 5x5 to 7x7), odd sizes whose step counts are not multiples of the 4-step
    assembly loop, maps needing several strips, one-row strips, no padding and padding
    K - 1."""
    cases = []
    for k in (3, 5, 7):
        for st in (1, 2):
            for size in (5, 6, 7, 9, 12, 17, 40):
                cases.append((3 if size < 40 else 2, size, k, st, k // 2))
            cases += [(2, 8, k, st, 0), (3, 11, k, st, 0), (2, 6, k, st, k - 1)]
    # the widest maps whose strips still fit (one output row per strip)
    cases += [(1, 126, 3, 1, 1), (1, 81, 5, 1, 2), (1, 59, 7, 1, 3), (1, 110, 3, 2, 1),
              (1, 75, 5, 2, 2), (1, 55, 7, 2, 3)]
    return [c for c in cases if (c[1] + 2 * c[4] - c[2]) // c[3] + 1 >= 1]


@pytest.mark.qemu
@needs_qemu_and_arm
def test_depthwise_weight_grad_on_the_m4f_matches_torch(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cases = [bench.Case("check", "conv_wgrad", size, in_c=c, out_c=c, k=k, stride=st, pad=pad,
                        groups=c) for c, size, k, st, pad in _m4_cases()]
    outputs = bench.run_check(cases, tmp_path)
    elems = max(c.buffer_elems for c in cases) + 64
    a, d = bench.fill_values(elems, 1), bench.fill_values(elems, 3)
    for i, c in enumerate(cases):
        s = dw(c.in_c, c.size, c.size, c.k, c.stride, (c.pad,) * 4)
        x = d[:c.in_c * c.size ** 2].reshape(c.in_c, c.size, c.size)
        dout = a[:c.out_c * s.out_h * s.out_w].reshape(c.out_c, s.out_h, s.out_w)
        _, dw_ref = torch_conv_grads(x, s, np.zeros(s.weight_shape, np.float32), dout)
        n = c.in_c * c.k * c.k
        expected = bench.fill_values(n, 4).astype(np.float64) + dw_ref.ravel()
        np.testing.assert_allclose(outputs[i], expected, rtol=1e-4, atol=2e-4,
                                   err_msg=f"case {i}: {c}")
