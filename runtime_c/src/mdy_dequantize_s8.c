/*
 * mdy_dequantize_s8: int8 -> float32 where the int8 region hands its activation to the
 * first trainable (float) layer. out[i] = (float)(q[i] - zp) * scale.
 */
#include "mdy_internal.h"

void mdy_dequantize_s8(const int8_t *q, uint32_t n, float scale, int32_t zp, float *out)
{
    for (uint32_t i = 0; i < n; ++i) {
        out[i] = (float)((int32_t)q[i] - zp) * scale;
    }
}
