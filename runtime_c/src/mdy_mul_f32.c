/*
 * mdy_mul_f32: out[i] = a[i] * b[i] for i < n (out may alias a or b). Also the input
 * gradient of a same-shape product: d a = dy * b. No scratch.
 */
#include "mdy_internal.h"

void mdy_mul_f32(const float *a, const float *b, float *out, uint32_t n)
{
    for (uint32_t i = 0; i < n; ++i) {
        out[i] = a[i] * b[i];
    }
}
