/*
 * Private helpers of the int8 kernels (mdy_conv2d_s8, mdy_gemm_s8): the dual 16-bit
 * MAC of the Cortex-M DSP extension with a portable twin, an inlined requantization and
 * the internal fast paths under src/paths/. Not part of the public ABI.
 *
 * Packed int16 operands (CMSIS-NN's read_and_pad_reordered idea): four int8 weights
 * w0..w3 are one 32-bit load; SXTB16 gives the halfword pair (w0, w2) and SXTB16 of the
 * word rotated by 8 gives (w1, w3). The activation side is stored as int16 already
 * offset by the input zero point, in the matching order: per group of four values
 * v0..v3 the halfwords are v0, v2, v1, v3 (mdy_s8_pack), so SMLAD((w0,w2),(v0,v2)) +
 * SMLAD((w1,w3),(v1,v3)) is the 4-term dot product. Every product and partial sum is
 * exact in int32 (|v| <= 255, |w| <= 128), hence bit-exact with the numpy oracle.
 */
#ifndef MEDYATE_S8_INTERNAL_H
#define MEDYATE_S8_INTERNAL_H

#include <string.h>

#include "mdy_internal.h"

/* int16 elements of the stack column buffers of the fast paths (2 KiB in all, the
 * size of mdy_conv2d_s8's generic accumulator row, which is never live at the same
 * time). Layers whose dot product is longer take the generic loop. */
#define MDY_S8_COL_ELEMS 1024

#if defined(__GNUC__)
#define MDY_NOINLINE __attribute__((noinline))
#else
#define MDY_NOINLINE
#endif

#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
#include <arm_acle.h>
#define MDY_S8_DSP 1

MDY_ALWAYS_INLINE uint32_t mdy_ld32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4); /* one LDR: unaligned word loads are fine on ARMv7E-M */
    return v;
}

/* (w1, w3) of four int8 weights: SXTB16 with its rotate folded in (GCC keeps a
 * separate ROR for __sxtb16(__ror(x, 8))). */
MDY_ALWAYS_INLINE uint32_t mdy_sxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

/* Four int8 weights ready for two SMLADs: (w0, w2) and (w1, w3). */
typedef struct {
    int32_t even, odd;
} mdy_w4_t;

MDY_ALWAYS_INLINE mdy_w4_t mdy_w4(const int8_t *w)
{
    const uint32_t v = mdy_ld32(w);
    const mdy_w4_t r = {(int32_t)__sxtb16(v), (int32_t)mdy_sxtb16_ror8(v)};
    return r;
}

/* acc + the 4-term dot product of w with one group of a packed column. */
MDY_ALWAYS_INLINE int32_t mdy_mac4(int32_t acc, mdy_w4_t w, const int16_t *c)
{
    acc = __smlad(w.even, (int32_t)mdy_ld32(c), acc);
    return __smlad(w.odd, (int32_t)mdy_ld32(c + 2), acc);
}

/* acc + lo(pair) * x[0] + hi(pair) * x[1]: two adjacent int16 values at any address. */
MDY_ALWAYS_INLINE int32_t mdy_mac2(int32_t acc, int32_t pair, const int16_t *x)
{
    return __smlad(pair, (int32_t)mdy_ld32(x), acc);
}
#else
/* Portable twins (host, cores without the DSP extension): same data layout, so the
 * host tests check the packing the DSP build relies on. */
typedef struct {
    int32_t w0, w1, w2, w3;
} mdy_w4_t;

MDY_ALWAYS_INLINE mdy_w4_t mdy_w4(const int8_t *w)
{
    const mdy_w4_t r = {w[0], w[1], w[2], w[3]};
    return r;
}

MDY_ALWAYS_INLINE int32_t mdy_mac4(int32_t acc, mdy_w4_t w, const int16_t *c)
{
    return acc + w.w0 * c[0] + w.w2 * c[1] + w.w1 * c[2] + w.w3 * c[3];
}

MDY_ALWAYS_INLINE int32_t mdy_mac2(int32_t acc, int32_t pair, const int16_t *x)
{
    return acc + (int32_t)(int16_t)(pair & 0xFFFF) * x[0] + (pair >> 16) * x[1];
}
#endif

/* The halfword pair (lo, hi) as one word (little-endian halfword order, as SMLAD). */
MDY_ALWAYS_INLINE int32_t mdy_pair(int32_t lo, int32_t hi)
{
    return (int32_t)(((uint32_t)hi << 16) | ((uint32_t)lo & 0xFFFFu));
}

/* gemmlowp's MultiplyByQuantizedMultiplier, bit-exact with mdy_requantize_s32 but
 * inlined, with the per-channel work hoisted (mdy_s8_rq_make once per channel).
 * Fast case shift <= 0 and mult != INT32_MIN (every multiplier below 1.0, as
 * quantize_multiplier makes them): SaturatingRoundingDoublingHighMul(a, m) =
 * trunc((a*m + nudge) / 2^31), nudge = +-2^30, equals floor((a*m + 2^30) / 2^31) for
 * both signs (SMULL, add, shift), then gemmlowp's RoundingDivideByPOT. Other channels
 * call mdy_requantize_s32. */
typedef struct {
    int32_t mult, shift;
    int32_t right, mask, half; /* RoundingDivideByPOT by `right`: mask, mask >> 1 */
    int32_t slow;              /* 1: left shift or mult == INT32_MIN: the full routine */
} mdy_s8_rq_t;

MDY_ALWAYS_INLINE mdy_s8_rq_t mdy_s8_rq_make(int32_t mult, int32_t shift)
{
    mdy_s8_rq_t r;
    r.mult = mult;
    r.shift = shift;
    r.slow = shift > 0 || mult == INT32_MIN;
    r.right = shift > 0 ? 0 : -shift;
    r.mask = (int32_t)((1u << r.right) - 1u);
    r.half = r.mask >> 1;
    return r;
}

MDY_ALWAYS_INLINE int32_t mdy_s8_rq(int32_t acc, const mdy_s8_rq_t *r)
{
    if (r->slow) {
        return mdy_requantize_s32(acc, r->mult, r->shift);
    }
    const int32_t high = (int32_t)(((int64_t)acc * r->mult + ((int64_t)1 << 30)) >> 31);
    const int32_t threshold = r->half + (int32_t)((uint32_t)high >> 31);
    return (high >> r->right) + ((high & r->mask) > threshold ? 1 : 0);
}

MDY_ALWAYS_INLINE int32_t mdy_s8_requant(int32_t acc, int32_t mult, int32_t shift)
{
    const mdy_s8_rq_t r = mdy_s8_rq_make(mult, shift);
    return mdy_s8_rq(acc, &r);
}

/* requant + output zero point + the activation clamp, as int8. */
MDY_ALWAYS_INLINE int8_t mdy_s8_finish(int32_t acc, const mdy_s8_rq_t *r, int32_t out_zp,
                                       int32_t lo, int32_t hi)
{
    int32_t v = mdy_s8_rq(acc, r) + out_zp;
    v = v < lo ? lo : (v > hi ? hi : v);
    return (int8_t)v;
}

/* Fast paths of mdy_conv2d_s8; 0 = shape not handled, nothing written. */
int mdy_conv_s8_im2col(const int8_t *in, const mdy_conv_params_t *p, const mdy_s8_requant_t *q,
                       const int8_t *w, const int32_t *bias, int8_t *out);
int mdy_conv_s8_depthwise(const int8_t *in, const mdy_conv_params_t *p,
                          const mdy_s8_requant_t *q, const int8_t *w, const int32_t *bias,
                          int8_t *out);

/* Packed column block (mdy_s8_pack) of n_col (1 or 2) columns of k values each:
 * group g of four values of column j at blk + 8g + 4j (n_col 2) or blk + 4g (n_col 1),
 * in the SMLAD order v0 v2 v1 v3; then the k % 4 tail values of column j in natural
 * order at blk + n_col * (k & ~3) + j * (k % 4). */
void mdy_s8_pack(const int16_t *nat, uint32_t j, uint32_t n_col, uint32_t k, int16_t *blk);

/* out[o * out_stride + j] = requant(bias[o] + w[o] . column j) for o in [0, n_out) and
 * the n_col columns of the packed block blk. */
void mdy_s8_dot_rows(const int16_t *blk, uint32_t n_col, uint32_t k, const int8_t *w,
                     uint32_t n_out, const int32_t *bias, const mdy_s8_requant_t *q,
                     const int32_t *mult, const int32_t *shift, int8_t *out, size_t out_stride);

#endif /* MEDYATE_S8_INTERNAL_H */
