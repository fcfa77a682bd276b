"""int8 kernels of runtime_c (mdy_*_s8, mdy_requantize_s32) against the numpy int8
oracle of the reference executor (codegen/int8_math.py, codegen/ops/qint8.py): bit-exact.
The oracle itself is checked against arbitrary-precision Python integers (gemmlowp's
formulas) and against the float ops it approximates."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from kernel_lib import AddParams, ConvShape, PoolParams, Requant, load_kernels
from medyate.codegen import int8_math as im
from medyate.codegen.ir import Node
from medyate.codegen.ops import qint8

_i8p = ctypes.POINTER(ctypes.c_int8)
_i32p = ctypes.POINTER(ctypes.c_int32)
_f32p = ctypes.POINTER(ctypes.c_float)


@pytest.fixture(scope="module")
def lib() -> ctypes.CDLL:
    return load_kernels().lib      # argtypes from kernel_lib.SIGNATURES


def p8(a: np.ndarray):
    assert a.dtype == np.int8 and a.flags["C_CONTIGUOUS"]
    return a.ctypes.data_as(_i8p)


def p32(a: np.ndarray):
    assert a.dtype == np.int32 and a.flags["C_CONTIGUOUS"]
    return a.ctypes.data_as(_i32p)


def rand_i8(rng: np.random.Generator, shape: tuple[int, ...], lo: int = -128) -> np.ndarray:
    return rng.integers(lo, 128, size=shape).astype(np.int8)


# ------------------------------------------------------------------ the oracle's oracle
def gemmlowp_exact(x: int, m: int, shift: int) -> int:
    """MultiplyByQuantizedMultiplier with Python integers (no int64 tricks)."""
    left, right = max(shift, 0), max(-shift, 0)
    a = max(-2 ** 31, min(2 ** 31 - 1, x * (1 << left)))
    if a == m == -2 ** 31:
        high = 2 ** 31 - 1
    else:
        ab = a * m
        nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
        v = ab + nudge
        high = v // (1 << 31) if v >= 0 else -((-v) // (1 << 31))
    mask = (1 << right) - 1
    rem, threshold = high & mask, (mask >> 1) + (1 if high < 0 else 0)
    return (high >> right) + (1 if rem > threshold else 0)


def test_requantize_oracle_matches_python_integers_and_c(lib: ctypes.CDLL) -> None:
    rng = np.random.default_rng(0)
    acc = np.concatenate([rng.integers(-2 ** 31, 2 ** 31 - 1, 1000), rng.integers(-70000, 70000, 1000),
                          [0, 1, -1, 2 ** 31 - 1, -2 ** 31, 12345, -12345]])
    reals = np.concatenate([10.0 ** rng.uniform(-6, 1.5, 2000), [0.5, 0.25, 1.0, 2.0, 1e-12, 0.0, 3.0]])
    for x, real in zip(acc, reals[: len(acc)]):
        m, s = im.quantize_multiplier(float(real))
        want = gemmlowp_exact(int(x), m, s)
        assert int(im.requantize(np.int64(x), m, s)) == want, (x, m, s)
        assert lib.mdy_requantize_s32(int(x), m, s) == want, (x, m, s)
    # and it is the real multiplication it stands for (to within rounding)
    for real in (0.0031, 0.27, 0.9, 1.7):
        m, s = im.quantize_multiplier(real)
        xs = np.arange(-50000, 50000, 37, dtype=np.int64)
        bound = 0.5 + 0.5 / 2 ** max(-s, 0) + 1e-6      # the high product's rounding, shifted
        assert np.abs(im.requantize(xs, m, s) - xs * real).max() <= bound


def test_quantize_dequantize_bit_exact(lib: ctypes.CDLL) -> None:
    rng = np.random.default_rng(1)
    # exact halves (ties: away from zero) at scales 1 and 0.5 (inverse exact), products
    # past the +-1024 clamp and past int32, infinities
    x = np.concatenate([rng.normal(0, 3, 5000), np.arange(-40, 40) * 0.05,
                        np.arange(-300, 301) * 0.5, np.arange(-8, 9) * 0.25,
                        [1023.5, -1023.5, 1024.5, -1024.5, 2e3, -2e3, 3e9, -3e9, 1e30, -1e30,
                         np.inf, -np.inf, 0.49999997, -0.49999997]]).astype(np.float32)
    for scale, zp in [(0.05, 0), (0.0235, -128), (0.1, 17), (0.0039215, -3), (1.0, 0),
                      (1.0, 127), (1.0, -128), (0.5, 3), (0.5, -100)]:
        scale = float(np.float32(scale))
        want = im.quantize_f32(x, scale, zp)
        got = np.zeros_like(want)
        inv = float(np.float32(1.0) / np.float32(scale))
        lib.mdy_quantize_s8(x.ctypes.data_as(_f32p), x.size, inv, zp, p8(got))
        np.testing.assert_array_equal(got, want)
        # what it means: within half a step of x where x is in range
        real = im.dequantize_f32(want, scale, zp)
        inside = (x > scale * (-128 - zp)) & (x < scale * (127 - zp))
        assert np.abs(real - x)[inside].max() <= 0.5 * scale * (1 + 1e-5)
        back = np.zeros(x.size, np.float32)
        lib.mdy_dequantize_s8(p8(want), x.size, scale, zp, back.ctypes.data_as(_f32p))
        np.testing.assert_array_equal(back, real)


CONVS = [
    ConvShape(8, 16, 7, 9, 1, 1),                                           # pointwise
    ConvShape(6, 6, 9, 8, 3, 3, 2, 2, 1, 1, 1, 1, groups=6),                # depthwise s2
    ConvShape(5, 5, 11, 11, 5, 5, 1, 1, 2, 2, 2, 2, groups=5),              # depthwise 5x5
    ConvShape(4, 4, 10, 10, 7, 7, 1, 1, 3, 3, 3, 3, groups=4),              # depthwise 7x7
    ConvShape(3, 8, 10, 9, 3, 3, 2, 1, 1, 0, 0, 2),                         # KxK, odd pads
    ConvShape(4, 6, 9, 9, 3, 3, 1, 1, 2, 2, 2, 2, dil_h=2, dil_w=2, groups=2),  # dilated, grouped
]


@pytest.mark.parametrize("s", CONVS, ids=lambda s: f"{s.in_c}x{s.k_h}x{s.k_w}g{s.groups}s{s.stride_h}")
def test_conv2d_s8_bit_exact(lib: ctypes.CDLL, s: ConvShape) -> None:
    rng = np.random.default_rng(s.in_c * 31 + s.k_h)
    x = rand_i8(rng, (s.in_c, s.in_h, s.in_w))
    w = rand_i8(rng, s.weight_shape, lo=-127)
    bias = rng.integers(-5000, 5000, s.out_c).astype(np.int32)
    mults = [im.quantize_multiplier(r) for r in 10.0 ** rng.uniform(-4, -1.5, s.out_c)]
    mult = np.array([m for m, _ in mults], np.int32)
    shift = np.array([sh for _, sh in mults], np.int32)
    for in_zp, out_zp, lo, hi in [(-128, 5, -128, 127), (3, -128, -128, 60)]:
        node = Node("c", "qconv", ["x", "w", "b", "m", "s"], ["y"], {
            "strides": (s.stride_h, s.stride_w), "dilations": (s.dil_h, s.dil_w),
            "pads": (s.pad_top, s.pad_left, s.pad_bottom, s.pad_right), "group": s.groups,
            "in_zp": in_zp, "out_zp": out_zp, "act_min": lo, "act_max": hi})
        want, _ = qint8.qconv_forward(node, [x], [w, bias, mult, shift])
        assert want.shape == (s.out_c, s.out_h, s.out_w)
        assert len(np.unique(want)) > 10          # not saturated: the test can see errors
        got = np.full(want.shape, 99, np.int8)
        q = Requant(in_zp, out_zp, lo, hi, p32(mult), p32(shift))
        params = s.params()
        lib.mdy_conv2d_s8(p8(x), ctypes.byref(params), ctypes.byref(q), p8(w), p32(bias), p8(got))
        np.testing.assert_array_equal(got, want)
    # the oracle computes the convolution it claims to (torch, real arithmetic)
    acc = F.conv2d(torch.tensor(x.astype(np.float64) - in_zp).unsqueeze(0),
                   torch.tensor(w.astype(np.float64)), torch.tensor(bias.astype(np.float64)),
                   (s.stride_h, s.stride_w), 0, (s.dil_h, s.dil_w), s.groups) if not (
        s.pad_top or s.pad_left or s.pad_bottom or s.pad_right) else None
    if acc is not None:
        real = acc[0].numpy() * (mult * 2.0 ** (shift.astype(np.float64) - 31))[:, None, None] + out_zp
        close = np.clip(np.round(real), lo, hi)
        assert np.abs(close - want).max() <= 1


def test_gemm_s8_bit_exact(lib: ctypes.CDLL) -> None:
    rng = np.random.default_rng(5)
    x = rand_i8(rng, (37,))
    w = rand_i8(rng, (11, 37), lo=-127)
    bias = rng.integers(-3000, 3000, 11).astype(np.int32)
    mults = [im.quantize_multiplier(r) for r in 10.0 ** rng.uniform(-4, -2, 11)]
    mult, shift = (np.array(v, np.int32) for v in zip(*mults))
    node = Node("g", "qgemm", [], [], {"in_zp": -7, "out_zp": 3, "act_min": -128, "act_max": 127})
    want, _ = qint8.qgemm_forward(node, [x], [w, bias, mult, shift])
    got = np.zeros(11, np.int8)
    q = Requant(-7, 3, -128, 127, p32(mult), p32(shift))
    lib.mdy_gemm_s8(p8(x), 37, 11, p8(w), p32(bias), ctypes.byref(q), p8(got))
    np.testing.assert_array_equal(got, want)
    real = (w.astype(np.float64) @ (x + 7.0) + bias) * mult * 2.0 ** (shift - 31.0) + 3
    assert np.abs(np.clip(np.round(real), -128, 127) - want).max() <= 1


def add_attrs(so: float, zo: int, lo: int) -> dict[str, int]:
    """qadd attributes (TFLite's int8 Add, left shift 20) of inputs at scales 0.031 (zero
    point -10) and 0.012 (20) into an output at scale so, zero point zo, clamp [lo, 127]."""
    (sa, za), (sb, zb) = (0.031, -10), (0.012, 20)
    tm = 2 * max(sa, sb)
    ma, sha = im.quantize_multiplier(sa / tm)
    mb, shb = im.quantize_multiplier(sb / tm)
    mo, sho = im.quantize_multiplier(tm / ((1 << 20) * so))
    return {"zp_a": za, "zp_b": zb, "zp_out": zo, "mult_a": ma, "shift_a": sha, "mult_b": mb,
            "shift_b": shb, "mult_out": mo, "shift_out": sho, "left_shift": 20,
            "act_min": lo, "act_max": 127}


def test_add_s8_bit_exact_and_rescaled(lib: ctypes.CDLL) -> None:
    rng = np.random.default_rng(6)
    a, b = rand_i8(rng, (500,)), rand_i8(rng, (500,))
    (sa, za), (sb, zb), (so, zo) = (0.031, -10), (0.012, 20), (0.045, -3)
    attrs = add_attrs(so, zo, -128)
    want, _ = qint8.qadd_forward(Node("a", "qadd", [], [], attrs), [a, b], [])
    got = np.zeros(500, np.int8)
    lib.mdy_add_s8(p8(a), p8(b), 500, ctypes.byref(AddParams(*attrs.values())), p8(got))
    np.testing.assert_array_equal(got, want)
    real = sa * (a - za.__float__()) + sb * (b - float(zb))
    expect = np.clip(np.round(real / so) + zo, -128, 127)
    assert np.abs(expect - want).max() <= 1


@pytest.mark.parametrize("n,so,zo,lo,alias", [
    (500, 0.045, -3, -128, ""),        # the value tables (n >= 256)
    (256, 0.045, -3, -128, "a"),       # the first size with tables; out aliasing a
    (255, 0.045, -3, -128, "b"),       # the last without; out aliasing b
    (1, 0.045, -3, -128, ""),
    (700, 0.02, 11, 11, ""),           # a fused ReLU (clamp at the output zero point)
    (300, 6.0, 0, -128, ""),           # output right shift 25: off mdy_s8_rq's fast case
    (40, 6.0, 0, -128, ""),
    (300, 2e-7, 0, -128, ""),          # right shift 1 (saturating mostly): off it too
])
def test_add_s8_table_and_direct_paths(lib: ctypes.CDLL, n: int, so: float, zo: int, lo: int,
                                        alias: str) -> None:
    """mdy_add_s8's per-value tables (n >= 256) and its direct loop give the oracle's
    bytes, every input value on both sides, out aliasing an input."""
    rng = np.random.default_rng(n)
    a, b = rand_i8(rng, (n,)), rand_i8(rng, (n,))
    a[:min(n, 256)] = np.arange(-128, 128, dtype=np.int8)[:min(n, 256)]
    b[:min(n, 256)] = rng.permutation(np.arange(-128, 128, dtype=np.int8))[:min(n, 256)]
    attrs = add_attrs(so, zo, lo)
    want, _ = qint8.qadd_forward(Node("a", "qadd", [], [], attrs), [a, b], [])
    if so < 1.0 and so > 1e-3:        # the test could see a wrong sum
        assert ((want > lo) & (want < 127)).sum() >= n // 4
    got = {"a": a.copy(), "b": b.copy()}.get(alias, np.full(n, 99, np.int8))
    a_in = got if alias == "a" else a
    b_in = got if alias == "b" else b
    lib.mdy_add_s8(p8(a_in), p8(b_in), n, ctypes.byref(AddParams(*attrs.values())), p8(got))
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("k,stride,pads,include", [((3, 3), (2, 2), (1, 1, 1, 1), 0),
                                                   ((2, 2), (2, 2), (0, 0, 0, 0), 0),
                                                   ((3, 2), (1, 2), (1, 0, 1, 1), 1)])
def test_pools_s8_bit_exact(lib: ctypes.CDLL, k, stride, pads, include) -> None:
    rng = np.random.default_rng(7)
    c, h, w = 3, 9, 8
    oh = (h + pads[0] + pads[2] - k[0]) // stride[0] + 1
    ow = (w + pads[1] + pads[3] - k[1]) // stride[1] + 1
    x = rand_i8(rng, (c, h, w))
    zp = -11
    attrs = {"kernel": k, "strides": stride, "pads": pads, "dilations": (1, 1),
             "out_hw": (oh, ow), "count_include_pad": include, "zp": zp}
    node = Node("p", "qpool", [], [], attrs)
    p = PoolParams(c, h, w, oh, ow, *k, *stride, pads[0], pads[1], include)
    for fn, oracle in (("mdy_maxpool2d_s8", qint8.qmaxpool_forward),
                       ("mdy_avgpool2d_s8", qint8.qavgpool_forward)):
        want, _ = oracle(node, [x], [])
        got = np.zeros((c, oh, ow), np.int8)
        getattr(lib, fn)(p8(x), ctypes.byref(p), zp, p8(got))
        np.testing.assert_array_equal(got, want, err_msg=fn)
    # the average is the float average of (x - zp), rounded (torch as the judge)
    xt = torch.tensor(x.astype(np.float64) - zp).unsqueeze(0)
    avg = F.avg_pool2d(F.pad(xt, (pads[1], pads[3], pads[0], pads[2])), k, stride) if include \
        else None
    if avg is not None:
        want, _ = qint8.qavgpool_forward(node, [x], [])
        assert np.abs(np.clip(np.round(avg[0].numpy()) + zp, -128, 127) - want).max() <= 1
    mx = F.max_pool2d(torch.tensor(x.astype(np.float64)).unsqueeze(0), k, stride,
                      padding=0) if pads == (0, 0, 0, 0) else None
    if mx is not None:
        np.testing.assert_array_equal(mx[0].numpy().astype(np.int8), qint8.qmaxpool_forward(node, [x], [])[0])


def test_global_avgpool_and_clamp_s8(lib: ctypes.CDLL) -> None:
    rng = np.random.default_rng(8)
    x = rand_i8(rng, (5, 7, 3))
    node = Node("g", "qgap", [], [], {"keepdims": True, "zp": 9})
    want, _ = qint8.qgap_forward(node, [x], [])
    got = np.zeros(5, np.int8)
    lib.mdy_global_avgpool_s8(p8(x), 5, 21, 9, p8(got))
    np.testing.assert_array_equal(got, want.reshape(-1))
    mean = (x.astype(np.float64) - 9).reshape(5, -1).mean(axis=1)
    assert np.abs(np.round(mean) + 9 - got).max() <= 1
    flat = x.reshape(-1).copy()
    out = np.zeros_like(flat)
    lib.mdy_clamp_s8(p8(flat), flat.size, -20, 33, p8(out))
    np.testing.assert_array_equal(out, np.clip(flat, -20, 33))
