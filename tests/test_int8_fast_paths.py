"""The int8 fast paths of mdy_conv2d_s8 / mdy_gemm_s8 (runtime_c/src/paths/mdy_conv_s8_*,
mdy_s8_dot_rows) are bit-exact with the numpy oracle (codegen/ops/qint8.py) on shapes
chosen to hit every branch: odd channel counts and odd pixel counts (the single row /
single column tails), dot products not a multiple of 4, 1x1 and 2x2 maps, strides 1
and 2, symmetric and asymmetric padding, non-square and dilated kernels, groups,
depthwise strips (a map too wide for one strip), dot products too long for two packed
columns (one column packed in place) or for any (the generic loop), and requantization channels off the fast case
(left shifts, mult = INT32_MIN).

Host: the portable build (no DSP extension) through ctypes. QEMU (mps2-an386,
Cortex-M4 with the DSP extension): the same cases through bench/firmware/bench_s8.c in
check mode, so the SMLAD/SXTB16 code is compared with the same oracle."""
from __future__ import annotations

import ctypes
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from kernel_lib import ConvShape, Requant, load_kernels
from medyate.codegen import int8_math as im
from medyate.codegen.ir import Node
from medyate.codegen.ops import qint8
from toolchain_marks import needs_qemu_and_arm

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import kernels_s8  # noqa: E402  (bench/kernels_s8.py: the int8 bench/check firmware)

_i8p = ctypes.POINTER(ctypes.c_int8)
_i32p = ctypes.POINTER(ctypes.c_int32)

S = ConvShape
CONVS: dict[str, ConvShape] = {
    "pw odd 7->5 3x3": S(7, 5, 3, 3, 1, 1),
    "pw 9->6 1x1": S(9, 6, 1, 1, 1, 1),
    "pw 16->3 2x2": S(16, 3, 2, 2, 1, 1),
    "pw 13->11 5x7": S(13, 11, 5, 7, 1, 1),
    "pw s2 12->8 5x5": S(12, 8, 5, 5, 1, 1, 2, 2),
    "pw long 400->3 2x3 (one column)": S(400, 3, 2, 3, 1, 1),
    "pw 1100->2 2x1 (generic)": S(1100, 2, 2, 1, 1, 1),
    # strips of packed 2-column blocks (k <= 204, >= 4 pixels): several strips per
    # group, the last strip short, the odd last pixel and pair after them, odd channels
    "pw 8->6 16x16 (strips of 63 pairs)": S(8, 6, 16, 16, 1, 1),
    "pw 8->9 5x5 strips (k 8 unrolled)": S(8, 9, 5, 5, 1, 1),
    "pw 16->9 5x5 strips (k 16 unrolled)": S(16, 9, 5, 5, 1, 1),
    "nobias pw 16->6 4x3 strips": S(16, 6, 4, 3, 1, 1),
    "pw 200->5 3x5 (strips of 2 pairs)": S(200, 5, 3, 5, 1, 1),
    "pw 204->3 2x2 (one strip of 2 pairs)": S(204, 3, 2, 2, 1, 1),
    "pw 205->3 3x3 (no strip)": S(205, 3, 3, 3, 1, 1),
    "3x3 9->4 p1 7x7 (strips of 5 pairs)": S(9, 4, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1),
    "3x3 g3 12->9 s2 p1 9x8 (strips per group)": S(12, 9, 9, 8, 3, 3, 2, 2, 1, 1, 1, 1, groups=3),
    "nobias pw 10->7 6x5 strips": S(10, 7, 6, 5, 1, 1),
    # pointwise columns gathered straight into the blocks: groups, strides, k % 4 tails;
    # a padded 1x1 conv takes the general gather
    "pw g2 14->6 4x4 strips": S(14, 6, 4, 4, 1, 1, groups=2),
    "pw s(2,3) 11->5 7x8 strips": S(11, 5, 7, 8, 1, 1, 2, 3),
    "pw p1 6->5 3x3 (padded 1x1)": S(6, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),
    # one column packed in place (512 < k <= 1024, before: the generic loop): every k % 4
    # tail, the full buffer, 3x3 windows with padding, groups, odd pixel and channel counts
    "3x3 64->5 p1 3x3 (one column in place)": S(64, 5, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1),
    "3x3 113->3 p1 2x3 (in place, k 1017)": S(113, 3, 2, 3, 3, 3, 1, 1, 1, 1, 1, 1),
    "3x3 60->4 s2 p1 5x4 (in place, k 540)": S(60, 4, 5, 4, 3, 3, 2, 2, 1, 1, 1, 1),
    "3x3 g2 130->6 p1 3x3 (in place per group, k 585)": S(130, 6, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1,
                                                          groups=2),
    "pw 1024->3 2x1 (in place, full buffer)": S(1024, 3, 2, 1, 1, 1),
    "pw 1023->4 2x3 (in place, k % 4 = 3)": S(1023, 4, 2, 3, 1, 1),
    "pw 514->7 3x1 (in place, k % 4 = 2)": S(514, 7, 3, 1, 1, 1),
    "pw 1025->3 2x2 (generic)": S(1025, 3, 2, 2, 1, 1),
    "3x3 5->7 p1 2x2": S(5, 7, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1),
    "3x3 3->4 s2 p1 7x6": S(3, 4, 7, 6, 3, 3, 2, 2, 1, 1, 1, 1),
    "3x3 6->5 asym pads 6x5": S(6, 5, 6, 5, 3, 3, 1, 1, 0, 2, 2, 0),
    "2x3 4->3 s(2,1) 5x6": S(4, 3, 5, 6, 2, 3, 2, 1, 1, 0, 0, 1),
    # 3-wide windows (mdy_s8_gather3): every column case, rows off the map, dil_h 2
    "3x3 3->2 p1 4x1 (middle tap only)": S(3, 2, 4, 1, 3, 3, 1, 1, 1, 1, 1, 1),
    "3x3 3->5 p(1,2) 3x2": S(3, 5, 3, 2, 3, 3, 1, 1, 1, 2, 1, 2),
    "3x3 3->4 dil(2,1) p(2,1) 6x5": S(3, 4, 6, 5, 3, 3, 1, 1, 2, 1, 2, 1, dil_h=2),
    "3x3 3->16 s2 p(0,0,1,1) 9x8 stem": S(3, 16, 9, 8, 3, 3, 2, 2, 0, 0, 1, 1),
    "3x3 dil2 grouped 6->4 g2": S(6, 4, 7, 7, 3, 3, 1, 1, 2, 2, 2, 2, dil_h=2, dil_w=2, groups=2),
    # mdy_conv_s8_stem (3x3, 1 or 3 input channels): every map 1..9 at stride 2 (one
    # output pixel, odd pixel counts: the single last pixel), stride 1, pads 0/1/2 and
    # asymmetric, channel counts 4k+1..4k+3 (pair tail, single-pixel tails), 64 outputs
    # (the table's limit) and 65 (im2col); 2 and 4 input channels take im2col
    **{f"stem 3->16 s2 p1 {n}x{n}": S(3, 16, n, n, 3, 3, 2, 2, 1, 1, 1, 1) for n in range(1, 10)},
    **{f"stem 1->9 s2 p1 {n}x{n}": S(1, 9, n, n, 3, 3, 2, 2, 1, 1, 1, 1) for n in (2, 3, 4, 5, 7)},
    "stem 3->11 s2 p1 5x8": S(3, 11, 5, 8, 3, 3, 2, 2, 1, 1, 1, 1),
    "stem 3->13 s1 p1 3x3": S(3, 13, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1),
    "stem 3->10 s1 p1 2x2": S(3, 10, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1),
    "stem 1->14 s1 p1 5x6": S(1, 14, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1),
    "stem 3->15 unpadded 3x3 (one interior pixel)": S(3, 15, 3, 3, 3, 3),
    "stem 3->9 unpadded 7x6": S(3, 9, 7, 6, 3, 3),
    "stem 1->13 s2 unpadded 7x7": S(1, 13, 7, 7, 3, 3, 2, 2),
    "stem 3->12 s2 TF pads 6x6": S(3, 12, 6, 6, 3, 3, 2, 2, 0, 0, 1, 1),
    "stem 3->9 s(2,1) p(1,0,1,2) 5x4": S(3, 9, 5, 4, 3, 3, 2, 1, 1, 0, 1, 2),
    "stem 3->9 s2 p2 3x3 (windows off the map)": S(3, 9, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2),
    "stem 1->10 s(1,3) p(2,0,0,1) 4x7": S(1, 10, 4, 7, 3, 3, 1, 3, 2, 0, 0, 1),
    # the single pixel's skipped leading groups: top padding without left, 2 rows, 2x2
    "stem 3->9 s2 p1 2x5 (last pixel: top pad only)": S(3, 9, 2, 5, 3, 3, 2, 2, 1, 1, 1, 1),
    "stem 3->9 p(2,0,0,0) 1x3 (two rows of padding)": S(3, 9, 1, 3, 3, 3, 1, 1, 2, 0, 0, 0),
    "stem 1->9 p(2,2,0,0) 1x1 (two groups skipped)": S(1, 9, 1, 1, 3, 3, 1, 1, 2, 2, 0, 0),
    "stem 3->64 s2 p1 4x4": S(3, 64, 4, 4, 3, 3, 2, 2, 1, 1, 1, 1),
    "stem 3->64 s2 p1 5x5": S(3, 64, 5, 5, 3, 3, 2, 2, 1, 1, 1, 1),
    # mdy_conv_s8_stem1 (grey 3x3): 1x1 outputs (four channels per word, taps 0..3 skipped
    # or not, channel tails), 2..7 pixels (one pass inline, the single pixels, the last
    # four redone), 8+ (the table: two channels per pass and an odd last one), maps small
    # enough for the zp-padded copy and larger ones (border columns, the last window whose
    # row word would read past the map), chunks of 32 channels (64, 65), every stride,
    # pads 0/1/2 and asymmetric
    **{f"grey 1->{oc} s{st} p1 {n}x{n}": S(1, oc, n, n, 3, 3, st, st, 1, 1, 1, 1)
       for n, oc in zip(range(1, 10), (1, 2, 3, 4, 5, 8, 16, 32, 9)) for st in (1, 2)},
    "grey 1->7 s2 p1 2x2 (one pixel, taps 0..3 padding)": S(1, 7, 2, 2, 3, 3, 2, 2, 1, 1, 1, 1),
    "grey 1->6 unpadded 3x3 (one pixel, all taps)": S(1, 6, 3, 3, 3, 3),
    "grey 1->9 p(2,2,0,0) 1x1": S(1, 9, 1, 1, 3, 3, 1, 1, 2, 2, 0, 0),
    "grey 1->5 unpadded 3x4 (1x2 output)": S(1, 5, 3, 4, 3, 3),
    "grey 1->3 p(1,0,0,0) 2x5 (1x3 output)": S(1, 3, 2, 5, 3, 3, 1, 1, 1, 0, 0, 0),
    "grey 1->8 p1 1x5 (5 pixels)": S(1, 8, 1, 5, 3, 3, 1, 1, 1, 1, 1, 1),
    "grey 1->11 p1 2x3 (6 pixels)": S(1, 11, 2, 3, 3, 3, 1, 1, 1, 1, 1, 1),
    "grey 1->4 p1 1x7 (7 pixels)": S(1, 4, 1, 7, 3, 3, 1, 1, 1, 1, 1, 1),
    "grey 1->13 s2 p2 5x5": S(1, 13, 5, 5, 3, 3, 2, 2, 2, 2, 2, 2),
    "grey 1->7 p2 4x3": S(1, 7, 4, 3, 3, 3, 1, 1, 2, 2, 2, 2),
    "grey 1->10 s(2,1) p(1,0,1,2) 7x5": S(1, 10, 7, 5, 3, 3, 2, 1, 1, 0, 1, 2),
    "grey 1->64 s2 p1 2x2": S(1, 64, 2, 2, 3, 3, 2, 2, 1, 1, 1, 1),
    "grey 1->64 s2 p1 6x6": S(1, 64, 6, 6, 3, 3, 2, 2, 1, 1, 1, 1),
    "grey 1->65 p1 3x3": S(1, 65, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1),
    "grey 1->65 s2 p1 5x4": S(1, 65, 5, 4, 3, 3, 2, 2, 1, 1, 1, 1),
    "grey 1->5 p1 23x25 (border columns)": S(1, 5, 23, 25, 3, 3, 1, 1, 1, 1, 1, 1),
    "grey 1->3 unpadded 24x24 (last row word)": S(1, 3, 24, 24, 3, 3),
    "grey 1->9 s2 p(0,0,1,1) 40x37": S(1, 9, 40, 37, 3, 3, 2, 2, 0, 0, 1, 1),
    "grey 1->6 s(1,2) p(2,1,1,0) 26x31": S(1, 6, 26, 31, 3, 3, 1, 2, 2, 1, 1, 0),
    # grey 1x1 outputs: the 2x2 map padded by 1 on top and left (mdy_s8_stem1_one_asm.h on
    # the M4: four channels per pass, the n % 4 last in C) at strides 1 and 2, with and
    # without a bias; every channel on the fast requantization (the assembly's result
    # kept), the edges (all redone in C), right shifts 18..23 only (on mdy_s8_rq_fast's
    # range but off the assembly's: redone); 1x1 maps, unpadded 3x3, asymmetric pads
    **{f"{nb}allfast grey1x1 1->{oc} {nm}": S(1, oc, 2, 2, 3, 3, st, st, 1, 1, pb, pb)
       for oc in (1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17, 32)
       for nm, st, pb in (("s2 p1 2x2", 2, 1), ("s1 p(1,1,0,0) 2x2", 1, 0))
       for nb in ("", "nobias ")},
    **{f"grey1x1 1->{oc} s2 p1 2x2 (edges)": S(1, oc, 2, 2, 3, 3, 2, 2, 1, 1, 1, 1)
       for oc in (4, 9, 16, 17)},
    **{f"allfast farshift grey1x1 1->{oc} s2 p1 2x2": S(1, oc, 2, 2, 3, 3, 2, 2, 1, 1, 1, 1)
       for oc in (8, 17)},
    **{f"allfast {off} grey1x1 1->{oc} s2 p1 2x2": S(1, oc, 2, 2, 3, 3, 2, 2, 1, 1, 1, 1)
       for oc in (8, 17) for off in ("offneg", "offleft", "offr0", "offr1", "offr24")},
    **{f"{nb}allfast grey1x1 1->{oc} {nm}": sh
       for oc in (4, 9, 16)
       for nm, sh in (("s1 p1 1x1", S(1, oc, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1)),
                      ("s2 p1 1x1", S(1, oc, 1, 1, 3, 3, 2, 2, 1, 1, 1, 1)),
                      ("unpadded 3x3", S(1, oc, 3, 3, 3, 3)),
                      ("s2 p(1,1,0,0) 3x3", S(1, oc, 3, 3, 3, 3, 2, 2, 1, 1, 0, 0)),
                      ("p(0,1,1,0) 2x2", S(1, oc, 2, 2, 3, 3, 1, 1, 0, 1, 1, 0)),
                      ("p(1,0,0,1) 2x2", S(1, oc, 2, 2, 3, 3, 1, 1, 1, 0, 0, 1)))
       for nb in ("", "nobias ")},
    "3x3 3->65 s2 p1 3x3 (im2col)": S(3, 65, 3, 3, 3, 3, 2, 2, 1, 1, 1, 1),
    "3x3 2->9 s2 p1 5x5 (im2col)": S(2, 9, 5, 5, 3, 3, 2, 2, 1, 1, 1, 1),
    "3x3 4->9 s2 p1 4x4 (im2col)": S(4, 9, 4, 4, 3, 3, 2, 2, 1, 1, 1, 1),
    "dw3x3 5 p1 1x1": S(5, 5, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, groups=5),
    # 1x1 map, 1x1 output (one product per channel): every kernel, stride 2, the pixel at
    # a corner / off-centre tap, a window that misses the pixel (bias only), no bias
    "dw5x5 9 p2 1x1 one": S(9, 9, 1, 1, 5, 5, 1, 1, 2, 2, 2, 2, groups=9),
    "dw7x7 6 p3 1x1 one": S(6, 6, 1, 1, 7, 7, 1, 1, 3, 3, 3, 3, groups=6),
    "dw3x3 9 s2 p1 1x1 one": S(9, 9, 1, 1, 3, 3, 2, 2, 1, 1, 1, 1, groups=9),
    "dw3x3 7 p(0,0,2,2) 1x1 one (tap 0)": S(7, 7, 1, 1, 3, 3, 1, 1, 0, 0, 2, 2, groups=7),
    "dw3x3 5 p(2,1,0,1) 1x1 one (tap 7)": S(5, 5, 1, 1, 3, 3, 1, 1, 2, 1, 0, 1, groups=5),
    "dw3x5 9 p(1,4,1,0) 1x1 one (tap 9)": S(9, 9, 1, 1, 3, 5, 1, 1, 1, 4, 1, 0, groups=9),
    "dw3x3 9 s2 p(3,0,0,2) 1x1 one (window off the pixel)": S(9, 9, 1, 1, 3, 3, 2, 2, 3, 0, 0, 2,
                                                              groups=9),
    "nobias dw3x3 11 p1 1x1 one": S(11, 11, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, groups=11),
    "dw3x3 4 p1 2x2": S(4, 4, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, groups=4),
    "dw3x3 3 s2 p1 2x2": S(3, 3, 2, 2, 3, 3, 2, 2, 1, 1, 1, 1, groups=3),
    "dw3x3 3 s2 p1 7x7": S(3, 3, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, groups=3),
    "dw3x3 3 s2 asym 8x8": S(3, 3, 8, 8, 3, 3, 2, 2, 0, 0, 1, 1, groups=3),
    "dw3x3 2 unpadded 5x6": S(2, 2, 5, 6, 3, 3, groups=2),
    "dw5x5 3 p2 5x5": S(3, 3, 5, 5, 5, 5, 1, 1, 2, 2, 2, 2, groups=3),
    "dw5x5 2 s2 p2 9x9": S(2, 2, 9, 9, 5, 5, 2, 2, 2, 2, 2, 2, groups=2),
    "dw7x7 2 p3 3x3": S(2, 2, 3, 3, 7, 7, 1, 1, 3, 3, 3, 3, groups=2),
    "dw7x7 2 s2 p3 8x8": S(2, 2, 8, 8, 7, 7, 2, 2, 3, 3, 3, 3, groups=2),
    "dw3x5 2 p(1,2) 4x6": S(2, 2, 4, 6, 3, 5, 1, 1, 1, 2, 1, 2, groups=2),
    "dw2x2 3 s1 3x3": S(3, 3, 3, 3, 2, 2, groups=3),
    "dw3x3 2 p1 strips 70x60": S(2, 2, 70, 60, 3, 3, 1, 1, 1, 1, 1, 1, groups=2),
    "dw3x3 2 s2 p1 strips 40x90": S(2, 2, 40, 90, 3, 3, 2, 2, 1, 1, 1, 1, groups=2),
    "dw3x3 dil2 3 p2 6x6 (im2col)": S(3, 3, 6, 6, 3, 3, 1, 1, 2, 2, 2, 2, dil_h=2, dil_w=2, groups=3),
    # mdy_conv_s8_dw_tiny (N <= 4, same padding): every instance; one output per channel
    # (stride 2 on 2x2) packs four channels per word, so 7 and 9 channels leave tails
    "dw3x3 7 p1 2x2 tiny": S(7, 7, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, groups=7),
    "dw3x3 9 p1 3x3 tiny": S(9, 9, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, groups=9),
    "dw3x3 6 p1 4x4 tiny": S(6, 6, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, groups=6),
    "dw3x3 7 s2 p1 2x2 tiny groups": S(7, 7, 2, 2, 3, 3, 2, 2, 1, 1, 1, 1, groups=7),
    "dw3x3 8 s2 p1 2x2 tiny groups": S(8, 8, 2, 2, 3, 3, 2, 2, 1, 1, 1, 1, groups=8),
    "dw3x3 6 s2 p1 3x3 tiny": S(6, 6, 3, 3, 3, 3, 2, 2, 1, 1, 1, 1, groups=6),
    "dw3x3 7 s2 p1 4x4 tiny": S(7, 7, 4, 4, 3, 3, 2, 2, 1, 1, 1, 1, groups=7),
    "dw3x3 5 s2 p(1,0) 4x4 tiny": S(5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0, groups=5),
    "dw5x5 7 p2 2x2 tiny": S(7, 7, 2, 2, 5, 5, 1, 1, 2, 2, 2, 2, groups=7),
    "dw5x5 5 p2 3x3 tiny": S(5, 5, 3, 3, 5, 5, 1, 1, 2, 2, 2, 2, groups=5),
    "dw5x5 9 s2 p2 2x2 tiny groups": S(9, 9, 2, 2, 5, 5, 2, 2, 2, 2, 2, 2, groups=9),
    "dw5x5 4 s2 p2 3x3 tiny": S(4, 4, 3, 3, 5, 5, 2, 2, 2, 2, 2, 2, groups=4),
    "dw5x5 7 s2 p2 4x4 tiny": S(7, 7, 4, 4, 5, 5, 2, 2, 2, 2, 1, 1, groups=7),
    "dw7x7 7 p3 2x2 tiny": S(7, 7, 2, 2, 7, 7, 1, 1, 3, 3, 3, 3, groups=7),
    "dw7x7 11 s2 p3 2x2 tiny groups": S(11, 11, 2, 2, 7, 7, 2, 2, 3, 3, 3, 3, groups=11),
    "dw7x7 5 s2 p3 3x3 tiny": S(5, 5, 3, 3, 7, 7, 2, 2, 3, 3, 3, 3, groups=5),
    "dw7x7 7 s2 p3 4x4 tiny": S(7, 7, 4, 4, 7, 7, 2, 2, 3, 3, 3, 3, groups=7),
    # mdy_conv_s8_dw_strip (int8 zp-padded strips): odd widths (the single last pixel),
    # stride_h != stride_w, asymmetric pads, several strips per channel for each K
    "dw3x3 9 p1 7x7 strip": S(9, 9, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, groups=9),
    "dw3x3 7 s2 p1 5x5 tiny": S(7, 7, 5, 5, 3, 3, 2, 2, 1, 1, 1, 1, groups=7),
    "dw3x3 7 s2 p1 6x6 tiny": S(7, 7, 6, 6, 3, 3, 2, 2, 1, 1, 1, 1, groups=7),
    "dw3x3 5 s2 p1 7x7 tiny": S(5, 5, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, groups=5),
    "dw3x3 9 s2 p(1,0) 8x8 tiny": S(9, 9, 8, 8, 3, 3, 2, 2, 1, 1, 0, 0, groups=9),
    "dw3x3 7 s2 p1 9x9 strip": S(7, 7, 9, 9, 3, 3, 2, 2, 1, 1, 1, 1, groups=7),
    "dw3x3 7 s(2,1) p1 6x7 strip": S(7, 7, 6, 7, 3, 3, 2, 1, 1, 1, 1, 1, groups=7),
    "dw3x3 7 s(1,2) asym 5x8 strip": S(7, 7, 5, 8, 3, 3, 1, 2, 0, 2, 1, 0, groups=7),
    "dw5x5 7 s2 p2 6x6 strip": S(7, 7, 6, 6, 5, 5, 2, 2, 2, 2, 1, 1, groups=7),
    "dw5x5 7 asym 6x7 strip": S(7, 7, 6, 7, 5, 5, 1, 1, 0, 2, 2, 1, groups=7),
    "dw7x7 7 p3 5x5 strip": S(7, 7, 5, 5, 7, 7, 1, 1, 3, 3, 3, 3, groups=7),
    "dw7x7 9 s2 p3 9x9 strip": S(9, 9, 9, 9, 7, 7, 2, 2, 3, 3, 3, 3, groups=9),
    "dw7x7 2 p3 strips 12x150": S(2, 2, 12, 150, 7, 7, 1, 1, 3, 3, 3, 3, groups=2),
    "dw5x5 2 s2 p2 strips 30x200": S(2, 2, 30, 200, 5, 5, 2, 2, 2, 2, 2, 2, groups=2),
    "dw3x3 7 p1 1x1 strip": S(7, 7, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, groups=7),
    # mdy_conv_s8_dw3_small (3x3 stride 1 same padding, N = 5..9: every instance, the
    # requantization channels off the fast case) and the shapes next to it (4x4 tiny,
    # 10x10 strip; not square, asymmetric or missing padding, stride 2 on one axis: strip)
    "dw3x3 9 p1 5x5 small": S(9, 9, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1, groups=9),
    "dw3x3 10 p1 6x6 small": S(10, 10, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, groups=10),
    "dw3x3 11 p1 7x7 small": S(11, 11, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, groups=11),
    "dw3x3 3 p1 5x5 small few channels": S(3, 3, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1, groups=3),
    "dw3x3 9 p1 4x4 tiny": S(9, 9, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, groups=9),
    "dw3x3 9 p1 8x8 small": S(9, 9, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, groups=9),
    "dw3x3 10 p1 9x9 small": S(10, 10, 9, 9, 3, 3, 1, 1, 1, 1, 1, 1, groups=10),
    "dw3x3 9 p1 10x10 strip": S(9, 9, 10, 10, 3, 3, 1, 1, 1, 1, 1, 1, groups=9),
    "dw3x3 9 p1 9x8 not square": S(9, 9, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, groups=9),
    "dw3x3 9 p1 5x6 not square": S(9, 9, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, groups=9),
    "dw3x3 9 p1 7x6 not square": S(9, 9, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, groups=9),
    "dw3x3 9 p(1,1,0,0) 6x6 asym": S(9, 9, 6, 6, 3, 3, 1, 1, 1, 1, 0, 0, groups=9),
    "dw3x3 9 p(0,0,1,1) 6x6 asym": S(9, 9, 6, 6, 3, 3, 1, 1, 0, 0, 1, 1, groups=9),
    "dw3x3 9 p(1,0,1,2) 5x5 asym": S(9, 9, 5, 5, 3, 3, 1, 1, 1, 0, 1, 2, groups=9),
    "dw3x3 9 unpadded 7x7": S(9, 9, 7, 7, 3, 3, groups=9),
    "dw3x3 9 s(1,2) p1 5x5": S(9, 9, 5, 5, 3, 3, 1, 2, 1, 1, 1, 1, groups=9),
    "dw3x3 9 s(2,1) p1 6x6": S(9, 9, 6, 6, 3, 3, 2, 1, 1, 1, 1, 1, groups=9),
    # mdy_conv_s8_dw_tiny 5x5 stride 2 on 5x5..8x8 (3x3 and 4x4 outputs) and next to it
    "dw5x5 9 s2 p2 5x5 tiny": S(9, 9, 5, 5, 5, 5, 2, 2, 2, 2, 2, 2, groups=9),
    "dw5x5 10 s2 p2 6x6 tiny": S(10, 10, 6, 6, 5, 5, 2, 2, 2, 2, 2, 2, groups=10),
    "dw5x5 5 s2 p2 6x6 tiny groups": S(5, 5, 6, 6, 5, 5, 2, 2, 2, 2, 2, 2, groups=5),
    "dw5x5 9 s2 p2 7x7 tiny": S(9, 9, 7, 7, 5, 5, 2, 2, 2, 2, 2, 2, groups=9),
    "dw5x5 10 s2 p2 8x8 tiny": S(10, 10, 8, 8, 5, 5, 2, 2, 2, 2, 2, 2, groups=10),
    "dw5x5 9 s2 p(2,2,1,1) 8x8 tiny": S(9, 9, 8, 8, 5, 5, 2, 2, 2, 2, 1, 1, groups=9),
    "dw5x5 9 s2 p2 9x9 strip": S(9, 9, 9, 9, 5, 5, 2, 2, 2, 2, 2, 2, groups=9),
    "dw5x5 9 s2 p(2,2,1,1) 5x5 strip": S(9, 9, 5, 5, 5, 5, 2, 2, 2, 2, 1, 1, groups=9),
    "dw5x5 9 s2 p(1,1,2,2) 6x6 strip": S(9, 9, 6, 6, 5, 5, 2, 2, 1, 1, 2, 2, groups=9),
    "dw5x5 9 s2 p2 6x5 not square": S(9, 9, 6, 5, 5, 5, 2, 2, 2, 2, 2, 2, groups=9),
    "dw5x5 9 p2 5x5 stride 1 strip": S(9, 9, 5, 5, 5, 5, 1, 1, 2, 2, 2, 2, groups=9),
    # strip rows of 3..9 input bytes: the word copy with the overlapping last word
    # (4 <= cols; cols 4, 5, 8, 9) and the byte copy below it (cols 3)
    "dw3x3 5 p1 6x4 strip copy": S(5, 5, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, groups=5),
    "dw3x3 5 s2 p1 7x5 strip copy": S(5, 5, 7, 5, 3, 3, 2, 2, 1, 1, 1, 1, groups=5),
    "dw3x3 3 s2 p1 11x9 strip copy": S(3, 3, 11, 9, 3, 3, 2, 2, 1, 1, 1, 1, groups=3),
    "dw5x5 3 s2 p2 10x8 strip copy": S(3, 3, 10, 8, 5, 5, 2, 2, 2, 2, 2, 2, groups=3),
    "dw3x3 4 p1 5x3 strip copy": S(4, 4, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, groups=4),
    # 3x3 rows of 8+ pixels: four per pass, then a pair, then the single last pixel
    # 3x3 stride_w 2 rows of 1..60 windows (Thumb-2 assembly on the DSP build, constant
    # strip pitch): every width, odd/even input widths, TF/asymmetric pads, stride_h 1..3,
    # several strips per channel (rezero), an input wider than the windows reach
    "dw3x3 7 s2 p1 5x1 asm w1": S(7, 7, 5, 1, 3, 3, 2, 2, 1, 1, 1, 1, groups=7),
    "dw3x3 7 s2 p1 3x2 asm w1": S(7, 7, 3, 2, 3, 3, 2, 2, 1, 1, 1, 1, groups=7),
    "dw3x3 9 s2 TF 5x4 asm w2": S(9, 9, 5, 4, 3, 3, 2, 2, 0, 0, 1, 1, groups=9),
    "dw3x3 7 s2 p(0,2,1,0) 7x5 asm w3": S(7, 7, 7, 5, 3, 3, 2, 2, 0, 2, 1, 0, groups=7),
    "dw3x3 7 s2 p1 4x6 asm w3": S(7, 7, 4, 6, 3, 3, 2, 2, 1, 1, 1, 1, groups=7),
    "dw3x3 7 s(3,2) p(2,1,0,0) 11x9 asm w4": S(7, 7, 11, 9, 3, 3, 3, 2, 2, 1, 0, 0, groups=7),
    "dw3x3 9 s2 p1 10x10 asm w5": S(9, 9, 10, 10, 3, 3, 2, 2, 1, 1, 1, 1, groups=9),
    "dw3x3 9 s(1,2) p1 6x11 asm w6": S(9, 9, 6, 11, 3, 3, 1, 2, 1, 1, 1, 1, groups=9),
    "dw3x3 5 s2 p1 12x12 asm w6": S(5, 5, 12, 12, 3, 3, 2, 2, 1, 1, 1, 1, groups=5),
    "dw3x3 7 s2 p1 13x13 asm w7": S(7, 7, 13, 13, 3, 3, 2, 2, 1, 1, 1, 1, groups=7),
    "dw3x3 8 s2 TF 14x14 asm w7": S(8, 8, 14, 14, 3, 3, 2, 2, 0, 0, 1, 1, groups=8),
    "dw3x3 7 s2 p(1,1,0,0) 9x15 asm w7 wide": S(7, 7, 9, 15, 3, 3, 2, 2, 1, 1, 0, 0, groups=7),
    "dw3x3 2 s2 p1 300x13 asm strips": S(2, 2, 300, 13, 3, 3, 2, 2, 1, 1, 1, 1, groups=2),
    "dw3x3 7 s2 p1 15x15 asm w8": S(7, 7, 15, 15, 3, 3, 2, 2, 1, 1, 1, 1, groups=7),
    "dw3x3 9 s2 TF 16x16 asm w8": S(9, 9, 16, 16, 3, 3, 2, 2, 0, 0, 1, 1, groups=9),
    "dw3x3 7 s2 p1 19x19 asm w10": S(7, 7, 19, 19, 3, 3, 2, 2, 1, 1, 1, 1, groups=7),
    "dw3x3 7 s(1,2) p(1,0,1,1) 5x24 asm w12": S(7, 7, 5, 24, 3, 3, 1, 2, 1, 0, 1, 1, groups=7),
    "dw3x3 7 s2 p1 29x29 asm w15": S(7, 7, 29, 29, 3, 3, 2, 2, 1, 1, 1, 1, groups=7),
    "dw3x3 9 s2 p1 32x32 asm w16": S(9, 9, 32, 32, 3, 3, 2, 2, 1, 1, 1, 1, groups=9),
    "dw3x3 7 s2 p1 33x33 asm w17": S(7, 7, 33, 33, 3, 3, 2, 2, 1, 1, 1, 1, groups=7),
    "dw3x3 9 s(1,2) p1 5x61 asm w31": S(9, 9, 5, 61, 3, 3, 1, 2, 1, 1, 1, 1, groups=9),
    "dw3x3 7 s2 TF 9x64 asm w32": S(7, 7, 9, 64, 3, 3, 2, 2, 0, 0, 1, 1, groups=7),
    "dw3x3 7 s(3,2) p(1,2,0,0) 20x100 asm w50 strips": S(7, 7, 20, 100, 3, 3, 3, 2, 1, 2, 0, 0, groups=7),
    "dw3x3 7 s2 p1 9x119 asm w60": S(7, 7, 9, 119, 3, 3, 2, 2, 1, 1, 1, 1, groups=7),
    "dw3x3 7 s2 p1 9x121 (quads, w61)": S(7, 7, 9, 121, 3, 3, 2, 2, 1, 1, 1, 1, groups=7),
    "dw3x3 2 s2 p(1,1,0,0) 30x126 (quads, w63) strips": S(2, 2, 30, 126, 3, 3, 2, 2, 1, 1, 0, 0, groups=2),
    "dw3x3 2 s2 p(1,1,0,0) 130x32 asm w16 strips": S(2, 2, 130, 32, 3, 3, 2, 2, 1, 1, 0, 0, groups=2),
    "dw3x3 7 p1 9x11 quads": S(7, 7, 9, 11, 3, 3, 1, 1, 1, 1, 1, 1, groups=7),
    "dw3x3 7 s2 p1 9x21 asm w11": S(7, 7, 9, 21, 3, 3, 2, 2, 1, 1, 1, 1, groups=7),
    "dw3x3 7 s(1,2) asym 6x19 asm w10": S(7, 7, 6, 19, 3, 3, 1, 2, 0, 1, 2, 1, groups=7),
    # mdy_conv_s8_dw3s2 (3x3 s2, pads 1 top/left, rows of >= 4 outputs, read from the
    # planes): every tail (none / NS / RS / RP) and pair count, zp rows above and below,
    # blocks of 16 channels with slow channels inside, rows of 1..3 input rows; 2x2 maps
    "dw3s2 direct 9 7x7 (RP, 0 pairs)": S(9, 9, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, groups=9),
    "dw3s2 direct 9 8x8 (1 pair)": S(9, 9, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1, groups=9),
    "dw3s2 direct 9 9x9 (RS)": S(9, 9, 9, 9, 3, 3, 2, 2, 1, 1, 1, 1, groups=9),
    "dw3s2 direct 9 10x10 (NS)": S(9, 9, 10, 10, 3, 3, 2, 2, 1, 1, 1, 1, groups=9),
    "dw3s2 direct 9 11x11 (RP)": S(9, 9, 11, 11, 3, 3, 2, 2, 1, 1, 1, 1, groups=9),
    "dw3s2 direct 9 12x12": S(9, 9, 12, 12, 3, 3, 2, 2, 1, 1, 1, 1, groups=9),
    "dw3s2 direct 9 13x13 (RS)": S(9, 9, 13, 13, 3, 3, 2, 2, 1, 1, 1, 1, groups=9),
    "dw3s2 direct 9 14x14 (NS)": S(9, 9, 14, 14, 3, 3, 2, 2, 1, 1, 1, 1, groups=9),
    "dw3s2 direct 20 9x9 blocks": S(20, 20, 9, 9, 3, 3, 2, 2, 1, 1, 1, 1, groups=20),
    "dw3s2 direct 35 17x17 blocks": S(35, 35, 17, 17, 3, 3, 2, 2, 1, 1, 1, 1, groups=35),
    "dw3s2 direct 9 7x12": S(9, 9, 7, 12, 3, 3, 2, 2, 1, 1, 1, 1, groups=9),
    "dw3s2 direct 9 12x7": S(9, 9, 12, 7, 3, 3, 2, 2, 1, 1, 1, 1, groups=9),
    "dw3s2 direct 9 1x8 (zp rows both)": S(9, 9, 1, 8, 3, 3, 2, 2, 1, 1, 1, 1, groups=9),
    "dw3s2 direct 9 2x9": S(9, 9, 2, 9, 3, 3, 2, 2, 1, 1, 1, 1, groups=9),
    "dw3s2 direct 9 3x10": S(9, 9, 3, 10, 3, 3, 2, 2, 1, 1, 1, 1, groups=9),
    "dw3s2 direct 9 p(1,1,0,0) 9x9": S(9, 9, 9, 9, 3, 3, 2, 2, 1, 1, 0, 0, groups=9),
    "dw3s2 direct 9 p(1,1,0,0) 11x15": S(9, 9, 11, 15, 3, 3, 2, 2, 1, 1, 0, 0, groups=9),
    "dw3s2 direct 3 3x255 (widest)": S(3, 3, 3, 255, 3, 3, 2, 2, 1, 1, 1, 1, groups=3),
    "dw3s2 direct 3 3x256": S(3, 3, 3, 256, 3, 3, 2, 2, 1, 1, 1, 1, groups=3),
    "dw3s2 3 3x257 (strip)": S(3, 3, 3, 257, 3, 3, 2, 2, 1, 1, 1, 1, groups=3),
    "dw3s2 2x2 13 channels": S(13, 13, 2, 2, 3, 3, 2, 2, 1, 1, 1, 1, groups=13),
    "dw3s2 2x2 4 channels": S(4, 4, 2, 2, 3, 3, 2, 2, 1, 1, 1, 1, groups=4),
    "dw3s2 2x2 p(1,1,0,0) 9 channels": S(9, 9, 2, 2, 3, 3, 2, 2, 1, 1, 0, 0, groups=9),
    "dw3s2 w3 9 5x5 (RS)": S(9, 9, 5, 5, 3, 3, 2, 2, 1, 1, 1, 1, groups=9),
    "dw3s2 w3 9 6x6 (NS)": S(9, 9, 6, 6, 3, 3, 2, 2, 1, 1, 1, 1, groups=9),
    "dw3s2 w3 9 5x6": S(9, 9, 5, 6, 3, 3, 2, 2, 1, 1, 1, 1, groups=9),
    "dw3s2 w3 9 6x5": S(9, 9, 6, 5, 3, 3, 2, 2, 1, 1, 1, 1, groups=9),
    "dw3s2 w3 9 p(1,1,0,0) 7x7": S(9, 9, 7, 7, 3, 3, 2, 2, 1, 1, 0, 0, groups=9),
    "dw3s2 w3 21 6x6": S(21, 21, 6, 6, 3, 3, 2, 2, 1, 1, 1, 1, groups=21),
    # every channel on the fast requantization (no redo in C)
    "dw3s2 2x2 48 channels allfast": S(48, 48, 2, 2, 3, 3, 2, 2, 1, 1, 1, 1, groups=48),
    "dw3s2 2x2 12 channels allfast": S(12, 12, 2, 2, 3, 3, 2, 2, 1, 1, 1, 1, groups=12),
    "dw3s2 direct 9 10x10 allfast": S(9, 9, 10, 10, 3, 3, 2, 2, 1, 1, 1, 1, groups=9),
    "dw3s2 w3 9 5x5 allfast": S(9, 9, 5, 5, 3, 3, 2, 2, 1, 1, 1, 1, groups=9),
    # a NULL bias (the direct paths take it 32 channels at a time)
    "nobias dw3s2 2x2 41 channels": S(41, 41, 2, 2, 3, 3, 2, 2, 1, 1, 1, 1, groups=41),
    "nobias dw3s2 direct 37 10x10": S(37, 37, 10, 10, 3, 3, 2, 2, 1, 1, 1, 1, groups=37),
    "nobias dw3s2 w3 35 5x5": S(35, 35, 5, 5, 3, 3, 2, 2, 1, 1, 1, 1, groups=35),
    "nobias dw3x3 9 p1 9x9": S(9, 9, 9, 9, 3, 3, 1, 1, 1, 1, 1, 1, groups=9),
}
GEMMS: dict[str, tuple[int, int]] = {"gemm 37->11": (37, 11), "gemm 64->1": (64, 1),
                                      "gemm 3->4": (3, 4), "gemm 600->5": (600, 5),
                                      "gemm 1030->3": (1030, 3), "gemm 1->1": (1, 1),
                                      "gemm 3->3": (3, 3), "gemm 5->5": (5, 5), "gemm 10->10": (10, 10),
                                      "gemm 17->9": (17, 9), "gemm 33->7": (33, 7),
                                      "gemm 32->2": (32, 2), "gemm 1280->2": (1280, 2),
                                      "nobias gemm 7->6": (7, 6), "nobias gemm 31->17": (31, 17),
                                      "fastedge gemm 9->6": (9, 6), "fastedge gemm 40->7": (40, 7),
                                      "fastedge gemm 13->3": (13, 3), "fastedge gemm 6->2": (6, 2),
                                      # mdy_gd_asm3 (out_f > 3, in_f >= 4): k / 8 = 0 with an odd
                                      # group, tails 1..3, 1 or 2 rows after the blocks, blocks
                                      # off the fast requantization after / between fast ones
                                      "gemm 4->6": (4, 6), "gemm 6->9": (6, 9), "gemm 8->4": (8, 4),
                                      "nobias gemm 11->12": (11, 12), "gemm 64->11": (64, 11),
                                      "lateslow gemm 20->17": (20, 17),
                                      "nobias lateslow gemm 9->6": (9, 6),
                                      "lateslow gemm 5->7": (5, 7)}
# host only (mdy_gemm_s8_direct's row blocks 4/2/1 and k % 4 tails): every pair, a NULL
# bias on every other one
GEMMS_HOST: dict[str, tuple[int, int]] = {
    f"{'nobias ' if (i + o) % 2 else ''}gemm {i}->{o} host": (i, o)
    for i in (*range(1, 18), 31, 32, 33, 255, 1280) for o in (*range(1, 10), 17)}
REQUANTS = [(-128, 5, -128, 127), (3, -128, -128, 60), (0, 0, -20, 127)]


def _requant(rng: np.random.Generator, n: int, k: int,
             edges: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Multipliers putting the output's spread at ~+-60 (not saturated) for dot
    products of k terms of std ~74 x 74; edges: channels at and off the edges of the
    fast requantization (else every channel on it)."""
    unit = 60.0 / (np.sqrt(k) * 74.0 * 74.0)
    mults = [im.quantize_multiplier(r) for r in unit * rng.uniform(0.3, 1.5, n)]
    mult = np.array([m for m, _ in mults], np.int32)
    shift = np.array([s for _, s in mults], np.int32)
    if n >= 3 and edges:      # channels off the fast case: a left shift, mult = INT32_MIN (= -1.0)
        mult[0], shift[0] = int(unit * 2 ** 30), 1
        mult[1], shift[1] = -2 ** 31, int(-np.ceil(np.log2(1.0 / unit)))
    if n >= 7 and edges:      # the edges of mdy_s8_rq_fast's right shifts 2..23: 2 and 1, 0 off it
        # (unnormalised multipliers keep the outputs unsaturated)
        mult[2], shift[2] = int(unit * 2 ** 32), -1
        mult[3], shift[3] = int(unit * 2 ** 33), -2
        mult[6], shift[6] = int(unit * 2 ** 31), 0
    if n >= 9 and edges:      # 23 and 24 (off it): outputs ~ the zero point
        mult[4], shift[4] = 2 ** 31 - 1, -23
        mult[5], shift[5] = 2 ** 31 - 1, -24
    return mult, shift


def _rng(name: str, variant: int) -> np.random.Generator:
    """The same data in every process: str hash() is salted per interpreter, so a seed
    taken from it made a different (sometimes saturated) case on each CI run."""
    return np.random.default_rng(zlib.crc32(name.encode()) + variant)


def conv_case(name: str, s: ConvShape, variant: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    rng = _rng(name, variant)
    in_zp, out_zp, lo, hi = REQUANTS[variant]
    # a few outputs (the grey1x1 cases: 1x1 outputs, 1..4 channels) may all land on a clamp
    # bound by chance: draw again (same generator, so still deterministic)
    for _ in range(50 if "grey1x1" in name else 1):
        x = rng.integers(-128, 128, (s.in_c, s.in_h, s.in_w)).astype(np.int8)
        w = rng.integers(-127, 128, s.weight_shape).astype(np.int8)
        bias = rng.integers(-5000, 5000, s.out_c).astype(np.int32)
        if name.startswith("nobias"):
            bias[:] = 0
        mult, shift = _requant(rng, s.out_c, s.icpg * s.k_h * s.k_w, edges="allfast" not in name)
        if "farshift" in name:    # every third channel at a right shift of 18..23 (outputs ~ zp)
            for o in range(1, s.out_c, 3):
                mult[o], shift[o] = 2 ** 31 - 1 - o, -(18 + o % 6)
        if "offneg" in name:      # negative multipliers at r = 2 (a rounding tie in 4 goes
            k = s.icpg * s.k_h * s.k_w  # the other way when mult < 0 is not caught)
            for o in range(1, s.out_c, 2):
                mult[o], shift[o] = -int(60.0 / (np.sqrt(k) * 74.0 * 74.0) * 2 ** 33), -2
        for off, j in (("offleft", 0), ("offr1", 2), ("offr24", 5), ("offr0", 6)):
            if off in name:       # channel 1 alone off the fast case (one of _requant's edges)
                em, es = _requant(rng, 9, s.icpg * s.k_h * s.k_w)
                mult[1], shift[1] = em[j], es[j]
        node = Node("c", "qconv", ["x", "w", "b", "m", "s"], ["y"], {
            "strides": (s.stride_h, s.stride_w), "dilations": (s.dil_h, s.dil_w),
            "pads": (s.pad_top, s.pad_left, s.pad_bottom, s.pad_right), "group": s.groups,
            "in_zp": in_zp, "out_zp": out_zp, "act_min": lo, "act_max": hi})
        want, _ = qint8.qconv_forward(node, [x], [w, bias, mult, shift])
        if ((want > lo) & (want < hi)).sum() >= max(1, want.size // 4):
            break
    return dict(x=x, w=w, bias=None if name.startswith("nobias") else bias, mult=mult,
                shift=shift), want


def gemm_case(name: str, in_f: int, out_f: int, variant: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    rng = _rng(name, variant)
    in_zp, out_zp, lo, hi = REQUANTS[variant]
    x = rng.integers(-128, 128, in_f).astype(np.int8)
    w = rng.integers(-127, 128, (out_f, in_f)).astype(np.int8)
    bias = rng.integers(-3000, 3000, out_f).astype(np.int32)
    if name.startswith("nobias"):
        bias[:] = 0
    mult, shift = _requant(rng, out_f, in_f, edges="fastedge" not in name)
    if "lateslow" in name:    # the channels off the fast case after a fast block of 3 rows
        mult, shift = np.roll(mult, 3), np.roll(shift, 3)
    if "fastedge" in name:    # whole blocks on the fast requantization, at its shift edges
        unit = 60.0 / (np.sqrt(in_f) * 74.0 * 74.0)
        mult[0::3], shift[0::3] = int(unit * 2 ** 33), -2          # r = 2
        mult[1::3], shift[1::3] = 2 ** 31 - 1, -23                 # r = 23 (outputs ~ zp)
    node = Node("g", "qgemm", [], [], {"in_zp": in_zp, "out_zp": out_zp, "act_min": lo, "act_max": hi})
    want, _ = qint8.qgemm_forward(node, [x], [w, bias, mult, shift])
    if name.startswith("nobias"):
        return dict(x=x, w=w, bias=None, mult=mult, shift=shift), want
    return dict(x=x, w=w, bias=bias, mult=mult, shift=shift), want


def _all_cases() -> list[tuple[str, int, object]]:
    return ([(n, v, s) for n, s in CONVS.items() for v in range(len(REQUANTS))] +
            [(n, v, g) for n, g in GEMMS.items() for v in range(len(REQUANTS))])


def _build(name: str, variant: int, shape: object) -> tuple[dict[str, np.ndarray], np.ndarray]:
    if isinstance(shape, ConvShape):
        return conv_case(name, shape, variant)
    return gemm_case(name, *shape, variant)  # type: ignore[misc]


def _p(a: np.ndarray | None, t):  # type: ignore[no-untyped-def]
    return None if a is None else a.ctypes.data_as(t)


def _host_cases() -> list[tuple[str, int, object]]:
    # variants 0 and 2 (1, the fused ReLU, may clamp every output of a few-row case;
    # GEMMS covers it)
    return _all_cases() + [(n, 2 * ((g[0] // 2 + g[1]) % 2), g) for n, g in GEMMS_HOST.items()]


@pytest.mark.parametrize("name,variant,shape", _host_cases(), ids=lambda v: str(v) if isinstance(v, (str, int)) else "")
def test_host_portable_paths_bit_exact(name: str, variant: int, shape: object) -> None:
    lib = load_kernels().lib
    data, want = _build(name, variant, shape)
    in_range = (want > REQUANTS[variant][2]) & (want < REQUANTS[variant][3])
    # Variant 1 clamps at its zero point (a fused ReLU), so about half its outputs sit on
    # the bound; a quarter strictly inside still lets the test see a wrong sum.
    assert in_range.sum() >= want.size // 4, "saturated: the test could not see errors"
    in_zp, out_zp, lo, hi = REQUANTS[variant]
    q = Requant(in_zp, out_zp, lo, hi, _p(data["mult"], _i32p), _p(data["shift"], _i32p))
    got = np.full(want.shape, 99, np.int8)
    if isinstance(shape, ConvShape):
        params = shape.params()
        lib.mdy_conv2d_s8(_p(data["x"], _i8p), ctypes.byref(params), ctypes.byref(q),
                          _p(data["w"], _i8p), _p(data["bias"], _i32p), _p(got, _i8p))
    else:
        in_f, out_f = shape  # type: ignore[misc]
        lib.mdy_gemm_s8(_p(data["x"], _i8p), in_f, out_f, _p(data["w"], _i8p),
                        _p(data["bias"], _i32p), ctypes.byref(q), _p(got, _i8p))
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", ["stem 3->16 s2 p1 5x5", "stem 3->16 s2 p1 2x2",
                                  "stem 1->9 s2 p1 4x4", "stem 3->13 s1 p1 3x3",
                                  "grey 1->7 s2 p1 2x2 (one pixel, taps 0..3 padding)",
                                  "grey 1->6 unpadded 3x3 (one pixel, all taps)",
                                  "grey 1->5 unpadded 3x4 (1x2 output)",
                                  "grey 1->4 p1 1x7 (7 pixels)", "grey 1->65 p1 3x3",
                                  "grey 1->9 s2 p(0,0,1,1) 40x37"])
def test_host_stem_without_bias(name: str) -> None:
    """bias = NULL (the stem paths' tables and single-pixel loops read it apart; the grey
    path reads q->mult masked to zeros instead)."""
    lib = load_kernels().lib
    s = CONVS[name]
    data, _ = conv_case(name, s, 0)
    in_zp, out_zp, lo, hi = REQUANTS[0]
    node = Node("c", "qconv", ["x", "w", "b", "m", "s"], ["y"], {
        "strides": (s.stride_h, s.stride_w), "dilations": (s.dil_h, s.dil_w),
        "pads": (s.pad_top, s.pad_left, s.pad_bottom, s.pad_right), "group": s.groups,
        "in_zp": in_zp, "out_zp": out_zp, "act_min": lo, "act_max": hi})
    zero = np.zeros(s.out_c, np.int32)
    want, _ = qint8.qconv_forward(node, [data["x"]], [data["w"], zero, data["mult"], data["shift"]])
    q = Requant(in_zp, out_zp, lo, hi, _p(data["mult"], _i32p), _p(data["shift"], _i32p))
    got = np.full(want.shape, 99, np.int8)
    lib.mdy_conv2d_s8(_p(data["x"], _i8p), ctypes.byref(s.params()), ctypes.byref(q),
                      _p(data["w"], _i8p), None, _p(got, _i8p))
    np.testing.assert_array_equal(got, want)


@pytest.mark.qemu
@needs_qemu_and_arm
def test_qemu_dsp_paths_bit_exact(tmp_path: Path) -> None:
    cases, wants = [], []
    for name, variant, shape in _all_cases():
        data, want = _build(name, variant, shape)
        wants.append((name, variant, want))
        if isinstance(shape, ConvShape):
            s = shape
            params = (s.in_c, s.in_h, s.in_w, s.out_c, s.out_h, s.out_w, s.k_h, s.k_w, s.stride_h,
                      s.stride_w, s.pad_top, s.pad_left, s.dil_h, s.dil_w, s.groups)
            cases.append(kernels_s8.S8Case(name, s.in_h, s.in_c, s.out_c, groups=s.groups,
                                           params=params, data=data, zp=REQUANTS[variant], reps=1))
        else:
            in_f, out_f = shape  # type: ignore[misc]
            cases.append(kernels_s8.S8Case(name, 1, in_f, out_f, gemm=True, data=data,
                                           zp=REQUANTS[variant], reps=1))
    got = kernels_s8.run_check(cases, tmp_path / "fw")
    for (name, variant, want), out in zip(wants, got):
        np.testing.assert_array_equal(out.reshape(want.shape), want, err_msg=f"{name} #{variant}")
