/*
 * mdy_leaky_relu_f32: y[i] = x[i] if x[i] > 0 else alpha * x[i]. y may alias x.
 */
#include "mdy_internal.h"

void mdy_leaky_relu_f32(const float *x, float *y, uint32_t n, float alpha)
{
    for (uint32_t i = 0; i < n; ++i) {
        y[i] = x[i] > 0.0f ? x[i] : alpha * x[i];
    }
}
