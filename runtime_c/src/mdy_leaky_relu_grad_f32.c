/*
 * mdy_leaky_relu_grad_f32: dx[i] = dy[i] if x[i] > 0 else alpha * dy[i] (from the
 * forward INPUT x). dx may alias dy. No scratch.
 */
#include "mdy_internal.h"

void mdy_leaky_relu_grad_f32(const float *dy, const float *x, float *dx, uint32_t n, float alpha)
{
    for (uint32_t i = 0; i < n; ++i) {
        dx[i] = x[i] > 0.0f ? dy[i] : alpha * dy[i];
    }
}
