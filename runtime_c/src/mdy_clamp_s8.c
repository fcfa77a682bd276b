/*
 * mdy_clamp_s8: out[i] = clamp(in[i], lo, hi), a standalone ReLU/ReLU6 in the quantized
 * domain (the output keeps the input's scale and zero point). n elements.
 */
#include "mdy_internal.h"

void mdy_clamp_s8(const int8_t *in, uint32_t n, int32_t lo, int32_t hi, int8_t *out)
{
    for (uint32_t i = 0; i < n; ++i) {
        const int32_t v = in[i];
        out[i] = (int8_t)(v < lo ? lo : (v > hi ? hi : v));
    }
}
