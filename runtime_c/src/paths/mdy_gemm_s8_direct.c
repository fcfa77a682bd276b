/*
 * mdy_gemm_s8_direct: mdy_gemm_s8 for few output rows (mdy_gemm_s8.c picks it), no
 * packing pass and no in_f limit. The input is widened in the loop, one word of four
 * int8 at a time: SXTAB16 with the pair (-in_zp, -in_zp) gives (x0 - zp, x2 - zp) and,
 * rotated by 8, (x1 - zp, x3 - zp), exact in int16 (|x - zp| <= 255). That is 3
 * instructions per four inputs, shared by a block of rows; each row adds one weight
 * load, two SXTB16 and two SMLAD. Blocks of 4 rows, then 2, then 1. Every product and
 * partial sum is exact in int32, so the result is bit-exact with the generic loop.
 * Results are computed before any store: int8 stores may alias the requant parameters.
 */
#include "../mdy_s8_internal.h"

#ifdef MDY_S8_DSP
/* (x0 + nz.lo, x2 + nz.hi) and (x1 + nz.lo, x3 + nz.hi) of the four int8 in v */
MDY_ALWAYS_INLINE int32_t mdy_gd_x02(int32_t nz, int32_t v)
{
    return (int32_t)__sxtab16((uint32_t)nz, (uint32_t)v);
}
MDY_ALWAYS_INLINE int32_t mdy_gd_x13(int32_t nz, int32_t v)
{
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(nz), "r"(v));
    return (int32_t)r;
}
#else
MDY_ALWAYS_INLINE int32_t mdy_gd_x02(int32_t nz, int32_t v)
{
    return mdy_pair(mdy_s8_lo16(nz) + mdy_s8_byte(v, 0), mdy_s8_hi16(nz) + mdy_s8_byte(v, 2));
}
MDY_ALWAYS_INLINE int32_t mdy_gd_x13(int32_t nz, int32_t v)
{
    return mdy_pair(mdy_s8_lo16(nz) + mdy_s8_byte(v, 1), mdy_s8_hi16(nz) + mdy_s8_byte(v, 3));
}
#endif

/* a + four weights at w . the widened pairs (xe, xo) */
#define MDY_GD_ROW(a, w)                                                                    \
    do {                                                                                    \
        const int32_t wv_ = mdy_s8_ldw(w);                                                  \
        (a) = mdy_s8_smlad(mdy_s8_sx02(wv_), xe, (a));                                      \
        (a) = mdy_s8_smlad(mdy_s8_sx13(wv_), xo, (a));                                      \
    } while (0)

#if defined(__GNUC__) && !defined(__clang__)
#define MDY_GD_UNROLL _Pragma("GCC unroll 4")
#else
#define MDY_GD_UNROLL
#endif

/* R (1, 2 or 4) rows from w, outputs at out[0..R): requant + zero point + clamp after
 * all R results are computed. */
MDY_ALWAYS_INLINE void mdy_gd_rows(const int8_t *x, uint32_t k, const int8_t *w, uint32_t R,
                                   const int32_t *bias, const int32_t *mult,
                                   const int32_t *shift, const mdy_s8_requant_t *q, int8_t *out)
{
    const uint32_t k4 = k & ~3u;
    const int32_t zp = q->in_zp, nz = mdy_pair(-zp, -zp);
    const int8_t *wr[4];
    int32_t a[4];
    MDY_GD_UNROLL
    for (uint32_t j = 0; j < R; ++j) {
        wr[j] = w + j * k;
        a[j] = bias ? bias[j] : 0;
    }
    for (uint32_t i = 0; i < k4; i += 4u) {
        const int32_t xv = mdy_s8_ldw(x + i);
        const int32_t xe = mdy_gd_x02(nz, xv), xo = mdy_gd_x13(nz, xv);
        MDY_GD_UNROLL
        for (uint32_t j = 0; j < R; ++j) {
            MDY_GD_ROW(a[j], wr[j] + i);
        }
    }
    for (uint32_t i = k4; i < k; ++i) {
        const int32_t xi = x[i] - zp;
        MDY_GD_UNROLL
        for (uint32_t j = 0; j < R; ++j) {
            a[j] += wr[j][i] * xi;
        }
    }
    const int32_t out_zp = q->out_zp, lo = q->act_min, hi = q->act_max;
    mdy_s8_rq_t r[4];
    int32_t slow = 0;
    MDY_GD_UNROLL
    for (uint32_t j = 0; j < R; ++j) {
        r[j] = mdy_s8_rq_make(mult[j], shift[j], out_zp);
        slow |= r[j].slow;
    }
    if (!MDY_UNLIKELY(slow)) {
        const uint32_t lo4 = mdy_s8_rep4(lo), hi4 = mdy_s8_rep4(hi);
        int32_t v[4];
        MDY_GD_UNROLL
        for (uint32_t j = 0; j < R; ++j) {
            v[j] = mdy_s8_rq_fast(a[j], r[j].mult, r[j].k, r[j].sh);
        }
        if (R == 4u) {
            mdy_s8_st4(out, mdy_s8_pack4(v[0], v[1], v[2], v[3], lo4, hi4));
        } else if (R == 2u) {
            mdy_s8_st2(out, v[0], v[1], lo4, hi4);
        } else {
            out[0] = mdy_s8_clamp(v[0], lo, hi);
        }
        return;
    }
    int8_t y[4];
    MDY_GD_UNROLL
    for (uint32_t j = 0; j < R; ++j) {
        y[j] = mdy_s8_finish(a[j], &r[j], lo, hi);
    }
    MDY_GD_UNROLL
    for (uint32_t j = 0; j < R; ++j) {
        out[j] = y[j];
    }
}

void mdy_gemm_s8_direct(const int8_t *x, uint32_t in_f, uint32_t out_f, const int8_t *w,
                        const int32_t *bias, const mdy_s8_requant_t *q, int8_t *out)
{
    uint32_t o = 0;
    for (; o + 4u <= out_f; o += 4u) {
        mdy_gd_rows(x, in_f, w + (size_t)o * in_f, 4u, bias ? bias + o : bias, q->mult + o,
                    q->shift + o, q, out + o);
    }
    if (o + 2u <= out_f) {
        mdy_gd_rows(x, in_f, w + (size_t)o * in_f, 2u, bias ? bias + o : bias, q->mult + o,
                    q->shift + o, q, out + o);
        o += 2u;
    }
    if (o < out_f) {
        mdy_gd_rows(x, in_f, w + (size_t)o * in_f, 1u, bias ? bias + o : bias, q->mult + o,
                    q->shift + o, q, out + o);
    }
}
