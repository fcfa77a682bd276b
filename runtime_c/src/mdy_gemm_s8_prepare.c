/*
 * mdy_gemm_s8_prepare: the per-channel requantization table of mdy_gemm_s8_rq, made
 * once per layer (the compiler writes the same table as a constant: the rq_table of
 * codegen/int8_math.py). Row o is four int32:
 *   { bias[o] (0 when bias is NULL), mult[o], k[o], sh[o] }
 * with r = -shift[o] the right shift, k = (2 * out_zp + 1) << (r - 2) and sh = r - 1
 * (mdy_s8_rq_make's fast case, mdy_s8_internal.h), and bit 8 of the last row's sh set:
 * the row loop ends on it (a register shift reads only the low byte). A channel off
 * that case (mult < 0, or r outside [2, 23]) has no table: returns 0 and the caller
 * keeps mdy_gemm_s8.
 */
#include "mdy_s8_internal.h"

int mdy_gemm_s8_prepare(const int32_t *bias, const int32_t *mult, const int32_t *shift,
                        int32_t out_zp, uint32_t out_f, int32_t *rq)
{
    if (out_f == 0u) {
        return 0;
    }
    for (uint32_t o = 0; o < out_f; ++o) {
        if (mdy_s8_rq_make(mult[o], shift[o], out_zp).slow) {
            return 0;
        }
    }
    for (uint32_t o = 0; o < out_f; ++o) {
        const mdy_s8_rq_t r = mdy_s8_rq_make(mult[o], shift[o], out_zp);
        int32_t *row = rq + 4u * o;
        row[0] = bias ? bias[o] : 0;
        row[1] = r.mult;
        row[2] = r.k;
        row[3] = r.sh | (o + 1u == out_f ? MDY_GEMM_S8_RQ_LAST : 0);
    }
    return 1;
}
