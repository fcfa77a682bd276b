/*
 * mdy_tanh_f32: y[i] = tanh(x[i]) for i < n. y may alias x. No scratch.
 */
#include <math.h>

#include "mdy_internal.h"

void mdy_tanh_f32(const float *x, float *y, uint32_t n)
{
    for (uint32_t i = 0; i < n; ++i) {
        y[i] = tanhf(x[i]);
    }
}
