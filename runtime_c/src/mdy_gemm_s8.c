/*
 * mdy_gemm_s8: int8 fully connected layer of one sample.
 *   x [in_f] int8, w [out_f][in_f] int8 (symmetric per row), bias [out_f] int32 or NULL.
 *   out[o] = clamp(mdy_requantize_s32(bias[o] + sum_f (x[f] - in_zp) w[o][f], mult[o],
 *            shift[o]) + out_zp, act_min, act_max). No scratch.
 * x - in_zp is packed once into int16 (mdy_s8_internal.h) and every row goes through
 * the SMLAD micro-kernel, two rows per pass; in_f beyond the stack buffer takes the
 * plain loop.
 */
#include "mdy_s8_internal.h"

void mdy_gemm_s8(const int8_t *x, uint32_t in_f, uint32_t out_f, const int8_t *w,
                 const int32_t *bias, const mdy_s8_requant_t *q, int8_t *out)
{
    if (in_f <= MDY_S8_COL_ELEMS) {
        /* one packed column (mdy_s8_pack's layout), straight from x */
        int16_t col[MDY_S8_COL_ELEMS];
        const int32_t zp = q->in_zp;
        const uint32_t k4 = in_f & ~3u;
        for (uint32_t f = 0; f < k4; f += 4u) {
            col[f] = (int16_t)(x[f] - zp);
            col[f + 1u] = (int16_t)(x[f + 2u] - zp);
            col[f + 2u] = (int16_t)(x[f + 1u] - zp);
            col[f + 3u] = (int16_t)(x[f + 3u] - zp);
        }
        for (uint32_t f = k4; f < in_f; ++f) {
            col[f] = (int16_t)(x[f] - zp);
        }
        mdy_s8_dot_rows(col, 1u, in_f, w, out_f, bias, q, q->mult, q->shift, out, 1u);
        return;
    }
    for (uint32_t o = 0; o < out_f; ++o) {
        const int8_t *row = w + (size_t)o * in_f;
        int32_t acc = bias ? bias[o] : 0;
        for (uint32_t f = 0; f < in_f; ++f) {
            acc += ((int32_t)x[f] - q->in_zp) * (int32_t)row[f];
        }
        int32_t v = mdy_s8_requant(acc, q->mult[o], q->shift[o]) + q->out_zp;
        v = v < q->act_min ? q->act_min : (v > q->act_max ? q->act_max : v);
        out[o] = (int8_t)v;
    }
}
