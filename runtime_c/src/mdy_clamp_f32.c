/*
 * mdy_clamp_f32: in place x[i] = min(max(x[i], lo), hi) for i < n.
 * ReLU is lo = 0, hi = +INF; ReLU6 is lo = 0, hi = 6. No scratch.
 */
#include "mdy_internal.h"

void mdy_clamp_f32(float *x, uint32_t n, float lo, float hi)
{
    for (uint32_t i = 0; i < n; ++i) {
        x[i] = mdy_clampf(x[i], lo, hi);
    }
}
