/*
 * mdy_hardswish_grad_f32: from the forward INPUT x, torch's derivative
 *   0 for x < -3, x / 3 + 1/2 for -3 <= x <= 3, 1 for x > 3; dx[i] = dy[i] * that.
 * dx may alias dy. No scratch.
 */
#include "mdy_internal.h"

void mdy_hardswish_grad_f32(const float *dy, const float *x, float *dx, uint32_t n)
{
    for (uint32_t i = 0; i < n; ++i) {
        const float v = x[i];
        const float d = v < -3.0f ? 0.0f : (v > 3.0f ? 1.0f : v * (1.0f / 3.0f) + 0.5f);
        dx[i] = dy[i] * d;
    }
}
