"""The forward kernels as the Cortex-M4F runs them (QEMU mps2-an386), against float64
references.

The host tests (test_kernels_fast.py) load the kernels on x86, where the Thumb-2 inline
assembly of the pointwise / GEMM inner loops and of the strip copy (mdy_fwd_asm.h,
mdy_copy_padded_rows.c) does not exist. Here the bench firmware (bench/firmware) in its
check mode runs every case once on its deterministic inputs and prints the outputs; the
shapes cover the assembly's edges: odd input channel counts (the C remainder after the
2-channel loop), fewer than 8 / not a multiple of 8 GEMM inputs, output channels not a
multiple of 4, 1x1 maps (pointwise as a GEMM), strip rows shorter and longer than the
8-float copy chunk, and every clamp kind.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from kernel_lib import ConvShape, dense_to_slices, ref_conv2d
from toolchain_marks import needs_qemu_and_arm

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import kernels as bench  # noqa: E402  (bench/kernels.py: case table, build, QEMU run)

pytestmark = [pytest.mark.qemu, needs_qemu_and_arm]

INF = "__builtin_inff()"
CLAMPS = {"none": (f"(-{INF})", INF), "relu": ("0.0f", INF), "relu6": ("0.0f", "6.0f"),
          "band": ("-0.5f", "0.5f")}
_BOUNDS = {"none": (-np.inf, np.inf), "relu": (0.0, np.inf), "relu6": (0.0, 6.0),
           "band": (-0.5, 0.5)}


def _cases() -> list[tuple[bench.Case, str]]:
    cases: list[tuple[bench.Case, str]] = []
    clamps = list(CLAMPS)

    def add(case: dict, kind: str = "conv_fwd", clamp: str | None = None) -> None:
        clamp = clamp or clamps[len(cases) % len(clamps)]
        cases.append((bench.Case("check", kind, act=CLAMPS[clamp], **case), clamp))

    # pointwise: input channels 1, 2, 3, 8, 9, 33; out_c 4, 5, 7, 12; maps 1x1..6x6
    for in_c, out_c, size in [(1, 4, 4), (2, 5, 3), (3, 8, 2), (8, 7, 4), (9, 12, 5),
                              (33, 6, 6), (16, 9, 1), (7, 4, 1), (24, 10, 2)]:
        add(dict(size=size, in_c=in_c, out_c=out_c, k=1))
    add(dict(size=4, in_c=6, out_c=8, k=1, groups=2))
    # gemm: in_f below, at and around multiples of 8; out_f around multiples of 4
    for in_f, out_f in [(7, 4), (8, 4), (9, 5), (17, 3), (64, 10), (35, 8), (256, 6)]:
        add(dict(size=1, in_c=in_f, out_c=out_f), "gemm_fwd")
    # gemm heads of 1-3 outputs and 1-3 rows left after blocks of 4 (mdy_gemm_asm.h);
    # gradients: first block written, later ones added, 8-input runs + C tails, slice
    # blocks of 8 and 4 (+ an odd slice), whole 1-3 output heads as one run + C tail
    for in_f, out_f in [(32, 2), (33, 1), (16, 3), (10, 10), (8, 7), (64, 6), (256, 5),
                        (7, 2), (24, 13), (9, 1), (5, 3), (1, 9)]:
        for kind in ("gemm_fwd", "gemm_igrad", "gemm_wgrad"):
            add(dict(size=1, in_c=in_f, out_c=out_f), kind)
    # depthwise: strip path (copy rows of 9..35 floats) and the tiny instances
    for size, k, stride in [(7, 3, 1), (16, 3, 2), (33, 3, 1), (12, 5, 2), (9, 7, 1),
                            (2, 3, 1), (3, 5, 2), (4, 7, 2), (1, 3, 1)]:
        add(dict(size=size, in_c=5, out_c=5, k=k, stride=stride, pad=k // 2, groups=5))
    # depthwise 5x5 / 7x7 rows in assembly (two-sided clamps only), 3x3 every kind;
    # 40x40 / 48x48: several strips of whole-block rows (one assembly call each)
    for size, k, stride, clamp in [(12, 5, 2, "relu6"), (9, 7, 1, "band"), (24, 7, 2, "relu6"),
                                   (13, 5, 1, "band"), (11, 3, 1, "relu6"), (10, 3, 2, "none"),
                                   (15, 3, 2, "relu"), (40, 3, 1, "relu6"), (48, 3, 2, "band"),
                                   (28, 7, 1, "relu6"), (8, 3, 1, "relu6"), (8, 3, 2, "band")]:
        add(dict(size=size, in_c=3, out_c=3, k=k, stride=stride, pad=k // 2, groups=3),
            clamp=clamp)
    # depthwise 3x3 output rows not a multiple of 4 wide (7x7, 5x5, 3x3 via pad 0, 14x14
    # stride 2; widths 5, 6, 7 at both strides), every clamp kind: each row's last
    # 4-pixel block spills into the next row, except at the very end of the output
    # (in_c 1: every channel's last row is the output's last row)
    for size, stride, pad, in_c in [(7, 1, 1, 3), (5, 1, 1, 2), (5, 1, 0, 3), (14, 2, 1, 3),
                                    (6, 1, 1, 1), (7, 1, 1, 1), (9, 2, 1, 2), (11, 2, 1, 1),
                                    (13, 2, 1, 3), (7, 2, 1, 1), (6, 1, 0, 2)]:
        for clamp in CLAMPS:
            add(dict(size=size, in_c=in_c, out_c=in_c, k=3, stride=stride, pad=pad,
                     groups=in_c), clamp=clamp)
    # depthwise strip path on the widths the 3x3 assembly treats differently (1-2 pixels
    # left: the assembly's row tails; 3 left: a spilling block), one and several strips
    # per channel (the zero pads kept, rows outside the plane re-zeroed), 5x5 / 7x7 rows
    # (assembly for every clamp kind: 3 pixels left a spilling block, 1-2 left C), and the
    # 3x3 stride-2 instances on 5x5 / 6x6
    for size, k, stride, in_c in [(5, 3, 1, 3), (6, 3, 1, 1), (9, 3, 1, 3), (10, 3, 1, 1),
                                  (21, 3, 1, 3), (22, 3, 1, 1), (23, 3, 1, 3),
                                  (5, 3, 2, 3), (6, 3, 2, 1), (9, 3, 2, 3), (10, 3, 2, 1),
                                  (12, 3, 2, 3), (18, 3, 2, 1), (19, 3, 2, 3), (22, 3, 2, 1),
                                  (26, 3, 2, 3), (29, 3, 2, 1), (5, 5, 2, 3), (6, 5, 2, 1),
                                  (6, 7, 2, 3), (5, 7, 2, 1), (11, 5, 1, 3), (7, 7, 1, 1),
                                  (14, 5, 2, 2), (9, 5, 1, 3), (10, 7, 1, 1), (10, 5, 2, 3),
                                  (12, 7, 2, 1), (36, 5, 1, 1)]:
        for clamp in CLAMPS:
            add(dict(size=size, in_c=in_c, out_c=in_c, k=k, stride=stride, pad=k // 2,
                     groups=in_c), clamp=clamp)
    # stems on tiny maps (outputs narrower than 4: im2col + the pointwise / gemm blocks)
    for size, in_c, out_c, stride in [(2, 3, 16, 2), (3, 3, 16, 2), (4, 3, 16, 2),
                                      (6, 3, 16, 2), (2, 1, 32, 1), (3, 1, 32, 1),
                                      (3, 3, 7, 1), (2, 1, 5, 1)]:
        add(dict(size=size, in_c=in_c, out_c=out_c, k=3, stride=stride, pad=1))
    # KxK: whole group buffered, channel groups through `out`, stride 2, 5x5
    for size, in_c, out_c, k, stride, pad in [(6, 3, 5, 3, 1, 1), (30, 16, 8, 3, 1, 1),
                                              (17, 13, 6, 3, 2, 1), (12, 7, 5, 5, 1, 2),
                                              (2, 4, 8, 3, 1, 1)]:
        add(dict(size=size, in_c=in_c, out_c=out_c, k=k, stride=stride, pad=pad))
    # 3x3 dilation 2 at stride 1: the 4 x 4 assembly block (every clamp kind; output
    # widths with 0-3 ragged pixels on the clipped runtime window; channel groups through
    # `out` at 14x14 / 28x28; out_c not a multiple of 4), and maps smaller than the window
    # (2x2, 3x3: only the live taps)
    for size, in_c, out_c, pad in [(14, 8, 16, 2), (28, 8, 16, 2), (7, 3, 5, 2), (5, 8, 8, 2),
                                   (6, 5, 9, 1), (9, 2, 4, 0), (4, 8, 16, 2), (3, 8, 16, 2),
                                   (2, 8, 16, 2), (3, 1, 4, 3), (32, 8, 16, 2)]:
        for clamp in CLAMPS:
            add(dict(size=size, in_c=in_c, out_c=out_c, k=3, stride=1, pad=pad, dil=2),
                clamp=clamp)
    return cases


def _expected(c: bench.Case, clamp: str, a: np.ndarray, b: np.ndarray,
              d: np.ndarray) -> np.ndarray:
    if c.kind == "gemm_fwd":
        w = b[:c.in_c * c.out_c].reshape(c.out_c, c.in_c).astype(np.float64)
        y = w @ a[:c.in_c].astype(np.float64) + d[:c.out_c]
    elif c.kind == "gemm_igrad":       # din = W^T dout (no clamp)
        w = b[:c.in_c * c.out_c].reshape(c.out_c, c.in_c).astype(np.float64)
        return w.T @ a[:c.out_c].astype(np.float64)
    elif c.kind == "gemm_wgrad":       # slices [n_sel = in_f][out_f] accumulated onto fill 4
        start = bench.fill_values(c.in_c * c.out_c, 4).astype(np.float64)
        return start + np.outer(d[:c.in_c], a[:c.out_c]).ravel()
    else:
        s = ConvShape(in_c=c.in_c, out_c=c.out_c, in_h=c.size, in_w=c.size, k_h=c.k, k_w=c.k,
                      stride_h=c.stride, stride_w=c.stride, pad_top=c.pad, pad_bottom=c.pad,
                      pad_left=c.pad, pad_right=c.pad, dil_h=c.dil, dil_w=c.dil,
                      groups=c.groups)
        assert (s.out_h, s.out_w) == (c.out_size, c.out_size)
        x = a[:c.in_c * c.size * c.size].reshape(c.in_c, c.size, c.size)
        w = b[:int(np.prod(s.weight_shape))].reshape(s.weight_shape)
        y = ref_conv2d(x, s, w, d[:c.out_c]).ravel()
    return np.clip(y, *_BOUNDS[clamp])


def test_forward_kernels_on_the_m4f_equal_the_reference(tmp_path: Path) -> None:
    cases = _cases()
    outputs = bench.run_check([c for c, _ in cases], tmp_path)
    elems = max(c.buffer_elems for c, _ in cases) + 64
    a, b, d = bench.fill_values(elems, 1), bench.fill_values(elems, 2), bench.fill_values(elems, 3)
    for i, (c, clamp) in enumerate(cases):
        expected = _expected(c, clamp, a, b, d)
        np.testing.assert_allclose(outputs[i], expected, rtol=1e-4, atol=2e-4,
                                   err_msg=f"case {i}: {c} clamp {clamp}")


def _igrad_cases() -> list[bench.Case]:
    """The conv input-gradient assembly: the flipped forward 3x3 block (stride 1, >= 4
    input channels: widths with 0-3 ragged pixels, a tail channel, 8-channel chunks, 1
    output channel) and the 4-pixel x 4-tap GEMM of the stems and of strided convs on
    small maps (odd, even and single output channel counts, padded-copy and direct
    scatter, ragged pixel and tap blocks)."""
    specs = [(16, 16, 16, 3, 1, 1), (14, 16, 16, 3, 1, 1), (6, 5, 9, 3, 1, 1), (13, 8, 9, 3, 1, 1),
             (7, 5, 17, 3, 1, 1), (5, 16, 1, 3, 1, 1), (9, 6, 3, 3, 1, 0),
             (32, 1, 32, 3, 1, 1), (28, 1, 16, 3, 1, 1), (5, 1, 32, 3, 1, 1),
             (3, 1, 32, 3, 1, 1), (32, 3, 16, 3, 2, 1), (7, 3, 16, 3, 2, 1),
             (6, 16, 32, 3, 2, 1), (9, 2, 3, 5, 1, 2), (6, 1, 1, 3, 1, 1),
             (11, 3, 5, 3, 2, 0), (40, 3, 8, 3, 1, 1), (12, 17, 8, 3, 2, 1),
             (13, 7, 9, 5, 2, 2), (20, 16, 32, 3, 2, 1)]
    cases = [bench.Case("check", "conv_igrad", size, in_c=in_c, out_c=out_c, k=k, stride=st,
                        pad=pad) for size, in_c, out_c, k, st, pad in specs]
    # the weight gradient's 4-output x 3-tap blocks (3x3, column stride 1 and 2): odd and
    # even output widths, one and several strips
    wspecs = [(16, 3, 8, 1, 1), (13, 2, 4, 1, 1), (7, 1, 17, 1, 1), (40, 1, 4, 1, 1),
              (5, 2, 6, 1, 0), (2, 3, 4, 1, 1), (9, 2, 8, 2, 1), (14, 2, 8, 2, 1),
              (17, 1, 4, 2, 1), (32, 3, 16, 2, 1)]
    cases += [bench.Case("check", "conv_wgrad", size, in_c=in_c, out_c=out_c, k=3, stride=st,
                         pad=pad) for size, in_c, out_c, st, pad in wspecs]
    # dilation 2 at stride 1 (its own block), and at stride 2 (the C loops)
    cases += [bench.Case("check", "conv_wgrad", size, in_c=in_c, out_c=out_c, k=3, stride=st,
                         pad=pad, dil=2) for size, in_c, out_c, st, pad in
              [(14, 3, 16, 1, 2), (9, 2, 4, 1, 1), (12, 2, 8, 2, 2)]]
    # dilated input gradients: the row-clipped tap table (maps smaller than the window,
    # dilation 3, stride 2) and the flipped forward block at dilation 2 (widths with 0-3
    # ragged pixels, a tail input channel, 8-channel chunks, pad 0/1/2)
    cases += [bench.Case("check", "conv_igrad", size, in_c=in_c, out_c=out_c, k=3, stride=st,
                         pad=pad, dil=dil) for size, in_c, out_c, st, pad, dil in
              [(3, 8, 16, 1, 2, 2), (4, 8, 16, 1, 2, 2), (14, 8, 16, 1, 2, 2), (5, 3, 5, 1, 3, 3),
               (7, 5, 6, 2, 2, 2), (13, 5, 9, 1, 2, 2), (7, 4, 3, 1, 1, 2), (6, 8, 8, 1, 2, 2),
               (32, 8, 16, 1, 2, 2), (9, 4, 12, 1, 0, 2), (11, 9, 1, 1, 2, 2)]]
    return cases


def test_conv_gradient_kernels_on_the_m4f_equal_torch(tmp_path: Path) -> None:
    from torch_ref import torch_conv_grads

    cases = _igrad_cases()
    outputs = bench.run_check(cases, tmp_path)
    elems = max(c.buffer_elems for c in cases) + 64
    a, b, d = bench.fill_values(elems, 1), bench.fill_values(elems, 2), bench.fill_values(elems, 3)
    for i, c in enumerate(cases):
        s = ConvShape(in_c=c.in_c, out_c=c.out_c, in_h=c.size, in_w=c.size, k_h=c.k, k_w=c.k,
                      stride_h=c.stride, stride_w=c.stride, pad_top=c.pad, pad_bottom=c.pad,
                      pad_left=c.pad, pad_right=c.pad, dil_h=c.dil, dil_w=c.dil,
                      groups=c.groups)
        dout = a[:c.out_c * s.out_h * s.out_w].reshape(c.out_c, s.out_h, s.out_w)
        w = b[:int(np.prod(s.weight_shape))].reshape(s.weight_shape)
        x = d[:c.in_c * c.size * c.size].reshape(c.in_c, c.size, c.size)
        dx, dw = torch_conv_grads(x, s, w, dout)
        if c.kind == "conv_wgrad":   # slices of channels 0..in_c-1 onto fill(seed 4)
            slices = dense_to_slices(dw, s, list(range(c.in_c))).ravel()
            expected = bench.fill_values(slices.size, 4).astype(np.float64) + slices
        else:
            expected = dx.ravel()
        np.testing.assert_allclose(outputs[i], expected, rtol=1e-4, atol=2e-4,
                                   err_msg=f"case {i}: {c}")
