/*
 * mdy_sigmoid_grad_f32: dx[i] = dy[i] * y[i] * (1 - y[i]), from the forward OUTPUT y.
 * dx may alias dy. No scratch.
 */
#include "mdy_internal.h"

void mdy_sigmoid_grad_f32(const float *dy, const float *y, float *dx, uint32_t n)
{
    for (uint32_t i = 0; i < n; ++i) {
        dx[i] = dy[i] * y[i] * (1.0f - y[i]);
    }
}
