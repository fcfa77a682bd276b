"""The pointwise block, the GEMM, the depthwise 3x3 rows and the single-channel stems
with their clamps fused (mdy_fwd_asm_pw.h, the integer ReLU / ReLU6 and the vcmp kinds;
the row blocks of mdy_gemm_asm.h; mdy_fwd_asm_dw.h; mdy_conv_im2col_f32's strips) as the
Cortex-M4F runs them (QEMU mps2-an386, the bench firmware's check mode), against float64
references: input counts 1..17, 33, 40, 41 (odd: the assembly's single first channel;
40 / 41: the last count with, the first without staged weights on maps of 6x6 and up),
output counts 1..17 (blocks of 4 plus 1-3 left), maps 1x1..7x7, and every clamp kind --
including bounds the outputs cross often (hi = 0.25), lo = -0.0 (the integer path) and
one-sided bounds of either side (the vcmp paths). Outputs must lie inside the bounds
exactly and be the bound itself where the reference is clipped.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from kernel_lib import ConvShape, ref_conv2d
from toolchain_marks import needs_qemu_and_arm

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import kernels as bench  # noqa: E402  (bench/kernels.py: case table, build, QEMU run)

pytestmark = [pytest.mark.qemu, needs_qemu_and_arm]

INF = "__builtin_inff()"
CLAMPS = {"none": (f"(-{INF})", INF), "relu": ("0.0f", INF), "relu6": ("0.0f", "6.0f"),
          "tight": ("0.0f", "0.25f"), "negzero": ("-0.0f", "0.5f"),
          "band": ("-0.5f", "0.5f"), "lo": ("-0.25f", INF), "hi": (f"(-{INF})", "0.3f")}
BOUNDS = {"none": (-np.inf, np.inf), "relu": (0.0, np.inf), "relu6": (0.0, 6.0),
          "tight": (0.0, 0.25), "negzero": (-0.0, 0.5), "band": (-0.5, 0.5),
          "lo": (-0.25, np.inf), "hi": (-np.inf, 0.3)}


def _cases() -> list[tuple[bench.Case, str]]:
    cases: list[tuple[bench.Case, str]] = []
    names = list(CLAMPS)
    sizes = (1, 2, 3, 4, 5, 7)
    for k in list(range(1, 18)) + [33, 40, 41]:
        for j, out_c in enumerate((k % 17 + 1, (5 * k) % 17 + 1, 4, 17)):
            for n, clamp in enumerate(names):
                size = sizes[(k + j + n) % len(sizes)]
                cases.append((bench.Case("check", "conv_fwd", size, in_c=k, out_c=out_c, k=1,
                                         act=CLAMPS[clamp]), clamp))
            for clamp in names:
                cases.append((bench.Case("check", "gemm_fwd", 1, in_c=k, out_c=out_c,
                                         act=CLAMPS[clamp]), clamp))
    # depthwise 3x3 (mdy_fwd_asm_dw.h: the integer clamps for lo == 0): strides 1 and 2,
    # output rows of 1-2 tail pixels, of a spilling 3-pixel rest and of whole blocks, one
    # and several strips per channel
    for size, stride in [(5, 1), (6, 1), (7, 1), (9, 1), (14, 1), (21, 1), (40, 1), (5, 2),
                         (7, 2), (9, 2), (14, 2), (19, 2), (48, 2)]:
        for clamp in names:
            cases.append((bench.Case("check", "conv_fwd", size, in_c=2, out_c=2, k=3,
                                     stride=stride, pad=1, groups=2, act=CLAMPS[clamp]), clamp))
    # single-channel stems as strips of im2col rows + the pointwise block writing the
    # strip's rows of taller output planes (mdy_conv_im2col_f32): windows 3, 5, 7,
    # strides 1 and 2, padded and not, one and several strips, output widths 4..40
    for size, k, stride, pad, out_c in [(4, 3, 1, 1, 8), (7, 3, 2, 1, 5), (28, 3, 2, 1, 8),
                                        (28, 3, 1, 1, 4), (9, 3, 1, 0, 3), (40, 3, 1, 1, 6),
                                        (16, 5, 1, 2, 7), (13, 5, 2, 2, 9), (11, 7, 1, 3, 4),
                                        (20, 7, 2, 3, 12), (33, 3, 2, 0, 17)]:
        for clamp in ("relu6", "tight", "none", "band"):
            cases.append((bench.Case("check", "conv_fwd", size, in_c=1, out_c=out_c, k=k,
                                     stride=stride, pad=pad, act=CLAMPS[clamp]), clamp))
    return cases


def test_pointwise_and_gemm_clamps_on_the_m4f_equal_the_reference(tmp_path: Path) -> None:
    cases = _cases()
    outputs = bench.run_check([c for c, _ in cases], tmp_path)
    elems = max(c.buffer_elems for c, _ in cases) + 64
    a, b, d = bench.fill_values(elems, 1), bench.fill_values(elems, 2), bench.fill_values(elems, 3)
    crossed_hi = crossed_lo = 0
    for i, (c, clamp) in enumerate(cases):
        if c.kind == "gemm_fwd":
            w = b[:c.in_c * c.out_c].reshape(c.out_c, c.in_c).astype(np.float64)
            y = w @ a[:c.in_c].astype(np.float64) + d[:c.out_c]
        else:
            s = ConvShape(in_c=c.in_c, out_c=c.out_c, in_h=c.size, in_w=c.size, k_h=c.k,
                          k_w=c.k, stride_h=c.stride, stride_w=c.stride, pad_top=c.pad,
                          pad_bottom=c.pad, pad_left=c.pad, pad_right=c.pad, dil_h=1, dil_w=1,
                          groups=c.groups)
            x = a[:c.in_c * c.size * c.size].reshape(c.in_c, c.size, c.size)
            w = b[:int(np.prod(s.weight_shape))].reshape(s.weight_shape)
            y = ref_conv2d(x, s, w, d[:c.out_c]).ravel()
        lo, hi = BOUNDS[clamp]
        got = outputs[i]
        msg = f"case {i}: {c} clamp {clamp}"
        np.testing.assert_allclose(got, np.clip(y, lo, hi), rtol=1e-4, atol=2e-4, err_msg=msg)
        assert np.all((got >= np.float32(lo)) & (got <= np.float32(hi))), msg
        # clipped well away from the bound: the output is the bound itself
        np.testing.assert_array_equal(got[y > hi + 1e-3], np.float32(hi), err_msg=msg)
        np.testing.assert_array_equal(got[y < lo - 1e-3], np.float32(lo), err_msg=msg)
        crossed_hi += int(np.sum(y > hi + 1e-3))
        crossed_lo += int(np.sum(y < lo - 1e-3))
    assert crossed_hi > 1000 and crossed_lo > 1000   # the cases exercise both bounds


def test_residual_add_and_global_avgpool_on_the_m4f(tmp_path: Path) -> None:
    """mdy_add_f32 / mdy_global_avgpool_f32's 8-value assembly loops and their C tails
    (lengths 1..17, 588, 1568), the add in place (out == a), bit-exact with float32
    numpy in the C loops' order."""
    cases = [bench.Case("check", kind, 1, in_c=n) for n in list(range(1, 18)) + [588, 1568]
             for kind in ("add", "add_inplace")]
    cases += [bench.Case("check", "avgpool", 1, in_c=hw, out_c=c)
              for hw, c in [(1, 3), (7, 2), (8, 1), (9, 4), (16, 3), (17, 2), (49, 32), (196, 5)]]
    outputs = bench.run_check(cases, tmp_path)
    elems = max(c.buffer_elems for c in cases) + 64
    a, b = bench.fill_values(elems, 1), bench.fill_values(elems, 2)
    for i, c in enumerate(cases):
        n = c.in_c
        if c.kind == "add":
            expected = a[:n] + b[:n]
        elif c.kind == "add_inplace":   # buf_c holds fill(seed 4) before the call
            expected = bench.fill_values(n, 4) + b[:n]
        else:
            planes = a[:n * c.out_c].reshape(c.out_c, n)
            expected = np.empty(c.out_c, np.float32)
            for ch in range(c.out_c):
                acc = np.float32(0.0)
                for v in planes[ch]:
                    acc = np.float32(acc + v)
                expected[ch] = acc * (np.float32(1.0) / np.float32(n))
        np.testing.assert_array_equal(outputs[i], expected, err_msg=f"case {i}: {c}")
