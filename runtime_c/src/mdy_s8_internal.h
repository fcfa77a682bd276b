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
 * time). Layers whose dot product is longer (more than MDY_S8_COL_ELEMS values per output)
 * take the generic loop. */
#define MDY_S8_COL_ELEMS 1024

#if defined(__GNUC__)
#define MDY_NOINLINE __attribute__((noinline))
#else
#define MDY_NOINLINE
#endif

/* -O0: the portable twins (the DSP paths carry inline assembly; see mdy_internal.h) */
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__OPTIMIZE__)
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

/* The word of four int8 inputs xv as the pairs (x0 - zp, x2 - zp), (x1 - zp, x3 - zp);
 * nz = (-zp, -zp). */
MDY_ALWAYS_INLINE void mdy_s8_widen4(int32_t nz, uint32_t xv, int32_t *xe, int32_t *xo)
{
    uint32_t e, o;
    __asm__("sxtab16 %0, %2, %3\n\t"
            "sxtab16 %1, %2, %3, ror #8"
            : "=&r"(e), "=r"(o)
            : "r"(nz), "r"(xv));
    *xe = (int32_t)e;
    *xo = (int32_t)o;
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

/* Halfword-pair helpers of the depthwise strips (mdy_conv_s8_dw_strip.c): int8 bytes
 * b0..b3 of a word, SXTB16 = (b0, b2), SXTB16 ror 8 = (b1, b3); SMLAD and the
 * single-product SMLAxy (x: which half of the first operand, y: of the second). */
#ifdef MDY_S8_DSP
MDY_ALWAYS_INLINE int32_t mdy_s8_ldw(const int8_t *p) { return (int32_t)mdy_ld32(p); }
MDY_ALWAYS_INLINE int32_t mdy_s8_sx02(int32_t w) { return (int32_t)__sxtb16((uint32_t)w); }
MDY_ALWAYS_INLINE int32_t mdy_s8_sx13(int32_t w) { return (int32_t)mdy_sxtb16_ror8((uint32_t)w); }
MDY_ALWAYS_INLINE int32_t mdy_s8_smlad(int32_t a, int32_t b, int32_t acc) { return __smlad(a, b, acc); }
MDY_ALWAYS_INLINE int32_t mdy_s8_smlabb(int32_t a, int32_t b, int32_t acc) { return __smlabb(a, b, acc); }
MDY_ALWAYS_INLINE int32_t mdy_s8_smlabt(int32_t a, int32_t b, int32_t acc) { return __smlabt(a, b, acc); }
MDY_ALWAYS_INLINE int32_t mdy_s8_smlatb(int32_t a, int32_t b, int32_t acc) { return __smlatb(a, b, acc); }
MDY_ALWAYS_INLINE int32_t mdy_s8_smlatt(int32_t a, int32_t b, int32_t acc) { return __smlatt(a, b, acc); }
MDY_ALWAYS_INLINE int32_t mdy_s8_ssub16(int32_t a, int32_t b) { return (int32_t)__ssub16(a, b); }
#else
MDY_ALWAYS_INLINE int32_t mdy_s8_ldw(const int8_t *p)
{
    const uint8_t *u = (const uint8_t *)p;
    return (int32_t)((uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24);
}
MDY_ALWAYS_INLINE int32_t mdy_s8_lo16(int32_t v) { return (int16_t)(uint16_t)((uint32_t)v & 0xFFFFu); }
MDY_ALWAYS_INLINE int32_t mdy_s8_hi16(int32_t v) { return (int16_t)(uint16_t)((uint32_t)v >> 16); }
MDY_ALWAYS_INLINE int32_t mdy_s8_byte(int32_t w, int i) { return (int8_t)(uint8_t)((uint32_t)w >> (8 * i)); }
MDY_ALWAYS_INLINE int32_t mdy_s8_sx02(int32_t w)
{
    return (int32_t)(((uint32_t)mdy_s8_byte(w, 2) << 16) | ((uint32_t)mdy_s8_byte(w, 0) & 0xFFFFu));
}
MDY_ALWAYS_INLINE int32_t mdy_s8_sx13(int32_t w)
{
    return (int32_t)(((uint32_t)mdy_s8_byte(w, 3) << 16) | ((uint32_t)mdy_s8_byte(w, 1) & 0xFFFFu));
}
MDY_ALWAYS_INLINE int32_t mdy_s8_smlad(int32_t a, int32_t b, int32_t acc)
{
    return acc + mdy_s8_lo16(a) * mdy_s8_lo16(b) + mdy_s8_hi16(a) * mdy_s8_hi16(b);
}
MDY_ALWAYS_INLINE int32_t mdy_s8_smlabb(int32_t a, int32_t b, int32_t acc)
{
    return acc + mdy_s8_lo16(a) * mdy_s8_lo16(b);
}
MDY_ALWAYS_INLINE int32_t mdy_s8_smlabt(int32_t a, int32_t b, int32_t acc)
{
    return acc + mdy_s8_lo16(a) * mdy_s8_hi16(b);
}
MDY_ALWAYS_INLINE int32_t mdy_s8_smlatb(int32_t a, int32_t b, int32_t acc)
{
    return acc + mdy_s8_hi16(a) * mdy_s8_lo16(b);
}
MDY_ALWAYS_INLINE int32_t mdy_s8_smlatt(int32_t a, int32_t b, int32_t acc)
{
    return acc + mdy_s8_hi16(a) * mdy_s8_hi16(b);
}
MDY_ALWAYS_INLINE int32_t mdy_s8_ssub16(int32_t a, int32_t b)
{
    const uint32_t lo = (uint32_t)(mdy_s8_lo16(a) - mdy_s8_lo16(b)) & 0xFFFFu;
    return (int32_t)(((uint32_t)(mdy_s8_hi16(a) - mdy_s8_hi16(b)) << 16) | lo);
}
#endif

/* Four results of mdy_s8_rq (any int32) as int8 bytes v0 v1 v2 v3 of one word, clamped
 * to [lo, hi] (lo4/hi4: the bounds repeated in each byte, mdy_s8_rep4): SSAT to int8,
 * packed by BFI, then one byte-wise max and min (SSUB8 sets GE, SEL picks): 11
 * instructions for four outputs instead of 24. */
MDY_ALWAYS_INLINE uint32_t mdy_s8_rep4(int32_t v)
{
    return ((uint32_t)v & 0xFFu) * 0x01010101u;
}

#ifdef MDY_S8_DSP
MDY_ALWAYS_INLINE uint32_t mdy_s8_pack4(int32_t v0, int32_t v1, int32_t v2, int32_t v3,
                                        uint32_t lo4, uint32_t hi4)
{
    uint32_t v = (uint32_t)__ssat(v0, 8), t;
    __asm__("bfi %0, %2, #8, #8\n\t"
            "bfi %0, %3, #16, #8\n\t"
            "bfi %0, %4, #24, #8\n\t"
            "ssub8 %1, %0, %5\n\t"
            "sel %0, %0, %5\n\t"
            "ssub8 %1, %0, %6\n\t"
            "sel %0, %6, %0"
            : "+r"(v), "=&r"(t)
            : "r"((uint32_t)__ssat(v1, 8)), "r"((uint32_t)__ssat(v2, 8)),
              "r"((uint32_t)__ssat(v3, 8)), "r"(lo4), "r"(hi4)
            : "cc");
    return v;
}

/* The same by PKHBT/UXTB16 with fewer live registers (3x3 stride-2 quads, where the BFI
 * form made GCC spill: 4.50 vs 4.30 instr/MAC at 32x32). */
MDY_ALWAYS_INLINE uint32_t mdy_s8_pack4_pk(int32_t v0, int32_t v1, int32_t v2, int32_t v3,
                                           uint32_t lo4, uint32_t hi4)
{
    const uint32_t p02 = ((uint32_t)__ssat(v0, 8) & 0xFFFFu) | ((uint32_t)__ssat(v2, 8) << 16);
    const uint32_t p13 = ((uint32_t)__ssat(v1, 8) & 0xFFFFu) | ((uint32_t)__ssat(v3, 8) << 16);
    uint32_t v = __uxtb16(p02) | (__uxtb16(p13) << 8), t;
    __asm__("ssub8 %1, %0, %2\n\t"
            "sel %0, %0, %2\n\t"
            "ssub8 %1, %0, %3\n\t"
            "sel %0, %3, %0"
            : "+r"(v), "=&r"(t)
            : "r"(lo4), "r"(hi4)
            : "cc");
    return v;
}
#else
MDY_ALWAYS_INLINE uint32_t mdy_s8_pack4(int32_t v0, int32_t v1, int32_t v2, int32_t v3,
                                        uint32_t lo4, uint32_t hi4)
{
    const int32_t lo = (int8_t)(lo4 & 0xFFu), hi = (int8_t)(hi4 & 0xFFu);
    const int32_t v[4] = {v0, v1, v2, v3};
    uint32_t r = 0;
    for (int i = 0; i < 4; ++i) {
        const int32_t c = v[i] < lo ? lo : (v[i] > hi ? hi : v[i]);
        r |= ((uint32_t)c & 0xFFu) << (8 * i);
    }
    return r;
}
#endif

/* Two results of mdy_s8_rq as int8 at y[0], y[1], clamped to [lo, hi] (lo4/hi4 as for
 * mdy_s8_pack4): SSAT, BFI, SSUB8/SEL max and min, one STRH (8 instructions for two
 * outputs instead of 14). */

#ifdef MDY_S8_DSP
/* the two clamped bytes in bits 0..15 */
MDY_ALWAYS_INLINE uint32_t mdy_s8_clamp2(int32_t v0, int32_t v1, uint32_t lo4, uint32_t hi4)
{
    uint32_t v = (uint32_t)__ssat(v0, 8), t;
    __asm__("bfi %0, %2, #8, #8\n\t"
            "ssub8 %1, %0, %3\n\t"
            "sel %0, %0, %3\n\t"
            "ssub8 %1, %0, %4\n\t"
            "sel %0, %4, %0"
            : "+r"(v), "=&r"(t)
            : "r"((uint32_t)__ssat(v1, 8)), "r"(lo4), "r"(hi4)
            : "cc");
    return v;
}

MDY_ALWAYS_INLINE void mdy_s8_st2h(int8_t *y, uint32_t v)
{
    const uint16_t h = (uint16_t)v;
    memcpy(y, &h, 2); /* one STRH */
}
#else
MDY_ALWAYS_INLINE uint32_t mdy_s8_clamp2(int32_t v0, int32_t v1, uint32_t lo4, uint32_t hi4)
{
    const int32_t lo = (int8_t)(lo4 & 0xFFu), hi = (int8_t)(hi4 & 0xFFu);
    const int32_t c0 = v0 < lo ? lo : (v0 > hi ? hi : v0);
    const int32_t c1 = v1 < lo ? lo : (v1 > hi ? hi : v1);
    return ((uint32_t)c0 & 0xFFu) | (((uint32_t)c1 & 0xFFu) << 8);
}

MDY_ALWAYS_INLINE void mdy_s8_st2h(int8_t *y, uint32_t v)
{
    y[0] = (int8_t)(uint8_t)v;
    y[1] = (int8_t)(uint8_t)(v >> 8);
}
#endif

MDY_ALWAYS_INLINE void mdy_s8_st2(int8_t *y, int32_t v0, int32_t v1, uint32_t lo4, uint32_t hi4)
{
    mdy_s8_st2h(y, mdy_s8_clamp2(v0, v1, lo4, hi4));
}

#ifndef MDY_S8_DSP
#define mdy_s8_pack4_pk mdy_s8_pack4
#endif

/* the word as four bytes at any address (one STR on the M4) */
MDY_ALWAYS_INLINE void mdy_s8_st4(int8_t *y, uint32_t v)
{
#ifdef MDY_S8_DSP
    memcpy(y, &v, 4);
#else
    for (int i = 0; i < 4; ++i) {
        y[i] = (int8_t)(uint8_t)(v >> (8 * i));
    }
#endif
}

/* The halfword pair (lo, hi) as one word (little-endian halfword order, as SMLAD). */
MDY_ALWAYS_INLINE int32_t mdy_pair(int32_t lo, int32_t hi)
{
    return (int32_t)(((uint32_t)hi << 16) | ((uint32_t)lo & 0xFFFFu));
}

/* gemmlowp's MultiplyByQuantizedMultiplier plus the output zero point, bit-exact with
 * mdy_requantize_s32(acc, mult, shift) + zp but inlined, the per-channel work hoisted
 * into mdy_s8_rq_make. Fast case: mult >= 0 and right shift r = -shift in [2, 23]
 * (every channel of a sane calibration; others call mdy_requantize_s32). Derivation:
 * SaturatingRoundingDoublingHighMul(a, m) = trunc((a*m + nudge) / 2^31), nudge = +-2^30,
 * equals H = floor((a*m + 2^30) / 2^31) for both signs; RoundingDivideByPOT(H, r) (half
 * away from zero) = floor((H + 2^(r-1) - [H < 0]) / 2^r), and with m >= 0, [H < 0] may
 * be taken as [a < 0] (a < 0 with H >= 0 gives H = 0, where both round to 0). Nested
 * floors of integer shifts collapse, so with s = a >> 31 (0 or -1):
 *   result + zp = floor((a*m + 2^30 + s*2^31 + (2*zp + 1) * 2^(30+r)) / 2^(31+r))
 * = the high word of the 64-bit a*m + (k + s) * 2^32 + (0x40000000 | sign bit of a),
 * shifted right by r - 1, k = (2*zp + 1) << (r - 2): one SMLAL and four ALU ops. No
 * overflow: |a*m| < 2^62, |k| < 2^29 for r <= 23. */
typedef struct {
    int32_t mult, k, sh; /* fast case: k as above, sh = r - 1 */
    int32_t shift, zp;   /* the slow case */
    int32_t slow;        /* 1: mdy_requantize_s32 */
} mdy_s8_rq_t;

MDY_ALWAYS_INLINE mdy_s8_rq_t mdy_s8_rq_make(int32_t mult, int32_t shift, int32_t zp)
{
    mdy_s8_rq_t r;
    const uint32_t r2 = (uint32_t)(-2 - shift); /* r - 2; huge when r < 2 */
    r.mult = mult;
    r.shift = shift;
    r.zp = zp;
    /* one unsigned compare: a negative mult makes the left side all ones */
    r.slow = (r2 | (uint32_t)(mult >> 31)) > 21u;
    r.k = (int32_t)((uint32_t)(2 * zp + 1) << (r2 & 31u)); /* used only when fast */
    r.sh = (int32_t)r2 + 1;
    return r;
}

/* The fast case only (r->slow == 0). */
MDY_ALWAYS_INLINE int32_t mdy_s8_rq_fast(int32_t acc, int32_t mult, int32_t k, int32_t sh)
{
    const uint32_t lo = ((uint32_t)acc & 0x80000000u) | 0x40000000u;
    const int32_t hi = k + (acc >> 31);
    const int64_t x = (int64_t)(((uint64_t)(uint32_t)hi << 32) | lo) + (int64_t)acc * mult;
    return (int32_t)(x >> 32) >> sh;
}

/* The low word of mdy_s8_rq_fast's 64-bit addend in Thumb-2, for the assembly kernels:
 * LO = (the sign bit of ACC) | 2^30; then SMLAL LO, HI, ACC, MULT with HI = k + (ACC >> 31)
 * and HI >> sh is the requantized value plus the zero point. */
#define MDY_S8_ASM_RQ_LO(LO, ACC)                                                            \
    "and " LO ", " ACC ", #0x80000000\n\t"                                                   \
    "orr " LO ", " LO ", #0x40000000\n\t"

#if defined(__GNUC__)
#define MDY_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define MDY_UNLIKELY(x) (x)
#endif

MDY_ALWAYS_INLINE int32_t mdy_s8_rq(int32_t acc, const mdy_s8_rq_t *r)
{
    if (MDY_UNLIKELY(r->slow)) {
        return mdy_requantize_s32(acc, r->mult, r->shift) + r->zp;
    }
    return mdy_s8_rq_fast(acc, r->mult, r->k, r->sh);
}

/* requant (without zero point), as mdy_requantize_s32 */
MDY_ALWAYS_INLINE int32_t mdy_s8_requant(int32_t acc, int32_t mult, int32_t shift)
{
    const mdy_s8_rq_t r = mdy_s8_rq_make(mult, shift, 0);
    return mdy_s8_rq(acc, &r);
}

MDY_ALWAYS_INLINE int8_t mdy_s8_clamp(int32_t v, int32_t lo, int32_t hi)
{
    v = v < lo ? lo : (v > hi ? hi : v);
    return (int8_t)v;
}

/* requant + output zero point (in r) + the activation clamp, as int8. */
MDY_ALWAYS_INLINE int8_t mdy_s8_finish(int32_t acc, const mdy_s8_rq_t *r, int32_t lo, int32_t hi)
{
    return mdy_s8_clamp(mdy_s8_rq(acc, r), lo, hi);
}

/* The 2 channels x 2 pixels step of the packed-column GEMM (mdy_s8_dot_rows and the
 * im2col strips): a[r][j] = bias_r + w_r . column j of the 2-column block c
 * (mdy_s8_pack: the packed groups, then the k % 4 tail of each column). */
typedef struct {
    int32_t a00, a01, a10, a11;
} mdy_s8_acc2x2_t;

/* one packed group: four weights of each channel against four values of each column */
MDY_ALWAYS_INLINE void mdy_s8_mac2x2(mdy_s8_acc2x2_t *a, const int8_t *w0, const int8_t *w1,
                                     const int16_t *c)
{
    const mdy_w4_t u = mdy_w4(w0), v = mdy_w4(w1);
    a->a00 = mdy_mac4(a->a00, u, c);
    a->a01 = mdy_mac4(a->a01, u, c + 4);
    a->a10 = mdy_mac4(a->a10, v, c);
    a->a11 = mdy_mac4(a->a11, v, c + 4);
}

/* one tail value: weights w0, w1 against the columns' values x0, x1 */
MDY_ALWAYS_INLINE void mdy_s8_mac2x2_one(mdy_s8_acc2x2_t *a, int32_t w0, int32_t w1, int32_t x0,
                                         int32_t x1)
{
    a->a00 += w0 * x0;
    a->a01 += w0 * x1;
    a->a10 += w1 * x0;
    a->a11 += w1 * x1;
}

/* The loops as plain loops (the im2col strips write them unrolled for a constant k). */
MDY_ALWAYS_INLINE mdy_s8_acc2x2_t mdy_s8_dot2x2(const int16_t *MDY_RESTRICT c,
                                                const int8_t *MDY_RESTRICT w0,
                                                const int8_t *MDY_RESTRICT w1, uint32_t k,
                                                int32_t b0, int32_t b1)
{
    const uint32_t k4 = k & ~3u, kt = k - k4;
    mdy_s8_acc2x2_t a = {b0, b0, b1, b1};
    for (uint32_t i = 0; i < k4; i += 4u, c += 8) {
        mdy_s8_mac2x2(&a, w0 + i, w1 + i, c);
    }
    for (uint32_t i = k4; i < k; ++i) {
        mdy_s8_mac2x2_one(&a, w0[i], w1[i], c[i - k4], c[kt + i - k4]);
    }
    return a;
}

/* a's four sums requantized (both channels on mdy_s8_rq_fast), clamped (lo4/hi4:
 * mdy_s8_rep4) and stored as one halfword per channel at y and y + stride. */
MDY_ALWAYS_INLINE void mdy_s8_st2x2(int8_t *y, size_t stride, mdy_s8_acc2x2_t a,
                                    const mdy_s8_rq_t *r0, const mdy_s8_rq_t *r1,
                                    uint32_t lo4, uint32_t hi4)
{
    const uint32_t v0 = mdy_s8_clamp2(mdy_s8_rq_fast(a.a00, r0->mult, r0->k, r0->sh),
                                      mdy_s8_rq_fast(a.a01, r0->mult, r0->k, r0->sh), lo4, hi4);
    const uint32_t v1 = mdy_s8_clamp2(mdy_s8_rq_fast(a.a10, r1->mult, r1->k, r1->sh),
                                      mdy_s8_rq_fast(a.a11, r1->mult, r1->k, r1->sh), lo4, hi4);
    mdy_s8_st2h(y, v0);
    mdy_s8_st2h(y + stride, v1);
}

/* Fast paths of mdy_conv2d_s8; 0 = shape not handled, nothing written. */
int mdy_conv_s8_im2col(const int8_t *in, const mdy_conv_params_t *p, const mdy_s8_requant_t *q,
                       const int8_t *w, const int32_t *bias, int8_t *out);
int mdy_conv_s8_depthwise(const int8_t *in, const mdy_conv_params_t *p,
                          const mdy_s8_requant_t *q, const int8_t *w, const int32_t *bias,
                          int8_t *out);
int mdy_conv_s8_dw_tiny(const int8_t *in, const mdy_conv_params_t *p,
                        const mdy_s8_requant_t *q, const int8_t *w, const int32_t *bias,
                        int8_t *out);
int mdy_conv_s8_dw3_small(const int8_t *in, const mdy_conv_params_t *p,
                          const mdy_s8_requant_t *q, const int8_t *w, const int32_t *bias,
                          int8_t *out);
int mdy_conv_s8_dw_strip(const int8_t *in, const mdy_conv_params_t *p,
                         const mdy_s8_requant_t *q, const int8_t *w, const int32_t *bias,
                         int8_t *out);
int mdy_conv_s8_dw3s2(const int8_t *in, const mdy_conv_params_t *p, const mdy_s8_requant_t *q,
                      const int8_t *w, const int32_t *bias, int8_t *out);
/* 3x3 convolutions with 1 or 3 input channels, groups 1, dilation 1 (stems) */
int mdy_conv_s8_stem(const int8_t *in, const mdy_conv_params_t *p, const mdy_s8_requant_t *q,
                     const int8_t *w, const int32_t *bias, int8_t *out);
/* its 1-input-channel case (mdy_conv_s8_stem1.c) */
int mdy_conv_s8_stem1(const int8_t *in, const mdy_conv_params_t *p, const mdy_s8_requant_t *q,
                      const int8_t *w, const int32_t *bias, int8_t *out);

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
