/*
 * mdy_gemm_s8: int8 fully connected layer of one sample.
 *   x [in_f] int8, w [out_f][in_f] int8 (symmetric per row), bias [out_f] int32 or NULL.
 *   out[o] = clamp(mdy_requantize_s32(bias[o] + sum_f (x[f] - in_zp) w[o][f], mult[o],
 *            shift[o]) + out_zp, act_min, act_max). No scratch.
 */
#include "mdy_internal.h"

void mdy_gemm_s8(const int8_t *x, uint32_t in_f, uint32_t out_f, const int8_t *w,
                 const int32_t *bias, const mdy_s8_requant_t *q, int8_t *out)
{
    for (uint32_t o = 0; o < out_f; ++o) {
        const int8_t *row = w + (size_t)o * in_f;
        int32_t acc = bias ? bias[o] : 0;
        for (uint32_t f = 0; f < in_f; ++f) {
            acc += ((int32_t)x[f] - q->in_zp) * (int32_t)row[f];
        }
        int32_t v = mdy_requantize_s32(acc, q->mult[o], q->shift[o]) + q->out_zp;
        v = v < q->act_min ? q->act_min : (v > q->act_max ? q->act_max : v);
        out[o] = (int8_t)v;
    }
}
