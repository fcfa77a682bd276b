/*
 * mdy_add_f32: out[i] = a[i] + b[i] for i < n (residual add).
 * out may alias a or b (element-wise, read before write). No scratch.
 */
#include "mdy_internal.h"

void mdy_add_f32(const float *a, const float *b, float *out, uint32_t n)
{
    for (uint32_t i = 0; i < n; ++i) {
        out[i] = a[i] + b[i];
    }
}
