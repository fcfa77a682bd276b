"""Bit-exact integer arithmetic of the int8 kernels, in numpy (the reference executor's
and the kernel tests' oracle for runtime_c/src/mdy_*_s8.c).

Fixed-point requantization is gemmlowp's / TFLite Micro's / CMSIS-NN's:
``MultiplyByQuantizedMultiplier(x, m, shift)`` = rounding right shift of the saturating
rounding doubling high product of ``x << max(shift, 0)`` and the Q31 multiplier ``m``.
The one deviation: the left shift saturates to int32 instead of overflowing (undefined
in C; it only matters for multipliers >= 1, which a sane calibration rarely gives).
float -> int8 uses float32 ``x * (1 / scale)`` rounded half away from zero (``roundf``),
int8 -> float uses float32 ``(q - zp) * scale``: both are single IEEE float32
operations, so numpy and the C agree to the bit.
"""
from __future__ import annotations

import math

import numpy as np

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def quantize_multiplier(real: float) -> tuple[int, int]:
    """real multiplier -> (Q31 multiplier, shift) with real ~= m * 2**(shift - 31)
    (TFLite's QuantizeMultiplier: frexp, round half away from zero)."""
    if real <= 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = int(math.floor(q * (1 << 31) + 0.5))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if shift > 30:          # saturate: multipliers this large mean a broken calibration
        return INT32_MAX, 30
    return q_fixed, shift


def _trunc_div_pow2(v: np.ndarray, bits: int) -> np.ndarray:
    """C integer division of int64 by 2**bits (rounds toward zero)."""
    return np.where(v >= 0, v >> bits, -((-v) >> bits))


def srdhm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """SaturatingRoundingDoublingHighMul of int32 values (as int64 arrays)."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    out = _trunc_div_pow2(ab + nudge, 31)
    return np.where((a == INT32_MIN) & (b == INT32_MIN), INT32_MAX, out)


def rounding_divide_by_pot(x: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.int64)
    e = np.asarray(exponent, np.int64)
    mask = (np.int64(1) << e) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> e) + (remainder > threshold)


def requantize(acc: np.ndarray, mult: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """MultiplyByQuantizedMultiplier elementwise (mult/shift broadcast), int64 result."""
    shift = np.asarray(shift, np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    x = np.clip(np.asarray(acc, np.int64) << left, INT32_MIN, INT32_MAX)
    return rounding_divide_by_pot(srdhm(x, mult), right)


def round_half_away(v: np.ndarray) -> np.ndarray:
    """roundf of float32 values (exact: done in float64, which holds every float32)."""
    v = np.asarray(v, np.float64)
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def quantize_f32(x: np.ndarray, scale: float, zp: int) -> np.ndarray:
    """float -> int8 as mdy_quantize_s8: clamp(roundf(x * (1/scale)) + zp)."""
    inv = np.float32(1.0) / np.float32(scale)
    prod = np.asarray(x, np.float32) * inv                    # one float32 multiply
    q = round_half_away(prod) + zp
    return np.clip(q, -128, 127).astype(np.int8)


def dequantize_f32(q: np.ndarray, scale: float, zp: int) -> np.ndarray:
    """int8 -> float32 as mdy_dequantize_s8: (float)(q - zp) * scale."""
    diff = (np.asarray(q, np.int32) - np.int32(zp)).astype(np.float32)
    return diff * np.float32(scale)


def rounding_divide(total: np.ndarray, count: np.ndarray) -> np.ndarray:
    """(total +- count/2) / count with C truncation: rounding half away from zero, the
    average of TFLite's int8 pooling."""
    total = np.asarray(total, np.int64)
    count = np.asarray(count, np.int64)
    num = np.where(total >= 0, total + count // 2, total - count // 2)
    q = np.abs(num) // np.maximum(count, 1)
    return np.where(count > 0, np.sign(num) * q, 0)


def quantize_act_range(lo: float, hi: float) -> tuple[float, int]:
    """Asymmetric int8 parameters (float32 scale, zero point) covering [lo, hi] and 0."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = float(np.float32((hi - lo) / 255.0)) if hi > lo else 1.0
    if scale <= 0.0 or not math.isfinite(scale):
        scale = 1.0
    zp = int(np.clip(round_half_away(np.float64(-128.0 - lo / scale)), -128, 127))
    return scale, zp


def quantize_weights_per_channel(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 per output channel (axis 0): (int8 weights, float32 scales)."""
    flat = np.asarray(w, np.float64).reshape(w.shape[0], -1)
    amax = np.abs(flat).max(axis=1) if flat.size else np.zeros(w.shape[0])
    scales = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
    q = np.clip(round_half_away(flat / scales.astype(np.float64)[:, None]), -127, 127)
    return q.astype(np.int8).reshape(w.shape), scales


def clamp_range(act: tuple[float, float] | None, scale: float, zp: int) -> tuple[int, int]:
    """A fused clamp (lo, hi) in the quantized domain of (scale, zp), within int8."""
    lo, hi = act if act is not None else (-math.inf, math.inf)
    qlo = -128 if not math.isfinite(lo) else int(max(-128, zp + round_half_away(lo / scale)))
    qhi = 127 if not math.isfinite(hi) else int(min(127, zp + round_half_away(hi / scale)))
    return qlo, max(qlo, qhi)


#: in_f range of mdy_gemm_s8_rq's fast path (MDY_GEMM_S8_RQ_MIN/MAX_IN_F, kernels_s8.h):
#: the int8 gemms the compiler gives a prepared requantization table
RQ_TABLE_IN_F = (4, 12)


def takes_rq_table(op: str, in_f: int) -> bool:
    """An int8 layer the compiler gives a prepared requantization table (mdy_gemm_s8_rq):
    a Gemm of RQ_TABLE_IN_F inputs; 16 flash bytes per output channel instead of 12."""
    return op == "gemm" and RQ_TABLE_IN_F[0] <= in_f <= RQ_TABLE_IN_F[1]


#: flag in the last row's sh (MDY_GEMM_S8_RQ_LAST): the kernel's row loop ends on it
RQ_TABLE_LAST = 0x100


def gemm_rq_table(bias: np.ndarray, mult: np.ndarray, shift: np.ndarray,
                  out_zp: int) -> np.ndarray | None:
    """mdy_gemm_s8_prepare in numpy: [out_f][4] int32 rows {bias, mult, k, sh} with
    r = -shift, k = (2 out_zp + 1) << (r - 2), sh = r - 1 (the last row's sh | the flag);
    None when a channel is off the table's requantization (mult < 0 or r outside [2, 23])."""
    mult = np.asarray(mult, np.int64)
    r = -np.asarray(shift, np.int64)
    if mult.size == 0 or (mult < 0).any() or (r < 2).any() or (r > 23).any():
        return None
    k = (2 * int(out_zp) + 1) * (np.int64(1) << (r - 2))
    sh = r - 1
    sh[-1] |= RQ_TABLE_LAST
    return np.stack([np.asarray(bias, np.int64), mult, k, sh], axis=1).astype(np.int32)


def rq_table_parts(table: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bias, mult, shift) of a gemm_rq_table: its inverse."""
    t = np.asarray(table, np.int64)
    return t[:, 0], t[:, 1], -((t[:, 3] & 0xFF) + 1)
