/*
 * mdy_sigmoid_f32: y[i] = 1 / (1 + exp(-x[i])) for i < n. y may alias x. No scratch.
 * Written so that expf never overflows (exp of a non-positive argument only).
 */
#include <math.h>

#include "mdy_internal.h"

void mdy_sigmoid_f32(const float *x, float *y, uint32_t n)
{
    for (uint32_t i = 0; i < n; ++i) {
        const float v = x[i];
        if (v >= 0.0f) {
            y[i] = 1.0f / (1.0f + expf(-v));
        } else {
            const float e = expf(v);
            y[i] = e / (1.0f + e);
        }
    }
}
