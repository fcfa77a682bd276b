/*
 * mdy_gemm_f32: out[o] = clamp(sum_i w[o * in_f + i] * in[i] + bias[o]).
 *   in [in_f], w [out_f][in_f] (row-major, y = W x + b), bias [out_f] or NULL,
 *   out [out_f] overwritten (must not alias in). No scratch.
 */
#include "mdy_internal.h"

void mdy_gemm_f32(const float *in, uint32_t in_f, uint32_t out_f, const float *w,
                  const float *bias, float act_min, float act_max, float *out)
{
    for (uint32_t o = 0; o < out_f; ++o) {
        const float *row = w + (size_t)o * in_f;
        float acc = bias ? bias[o] : 0.0f;
        for (uint32_t i = 0; i < in_f; ++i) {
            acc += row[i] * in[i];
        }
        out[o] = mdy_clampf(acc, act_min, act_max);
    }
}
