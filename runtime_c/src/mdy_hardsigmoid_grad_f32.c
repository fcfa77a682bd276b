/*
 * mdy_hardsigmoid_grad_f32: dx[i] = dy[i] * alpha where 0 < alpha * x[i] + beta < 1,
 * else 0 (from the forward INPUT x; torch's convention at the kinks). dx may alias dy.
 */
#include "mdy_internal.h"

void mdy_hardsigmoid_grad_f32(const float *dy, const float *x, float *dx, uint32_t n,
                              float alpha, float beta)
{
    for (uint32_t i = 0; i < n; ++i) {
        const float v = alpha * x[i] + beta;
        dx[i] = (v > 0.0f && v < 1.0f) ? dy[i] * alpha : 0.0f;
    }
}
