/*
 * mdy_quantize_s8: float32 -> asymmetric int8 where the network input enters the int8
 * region. out[i] = clamp(roundf(x[i] * inv_scale) + zp, -128, 127); one float32 multiply
 * and roundf (half away from zero), so the numpy oracle matches to the bit.
 */
#include <math.h>

#include "mdy_internal.h"

void mdy_quantize_s8(const float *x, uint32_t n, float inv_scale, int32_t zp, int8_t *out)
{
    for (uint32_t i = 0; i < n; ++i) {
        float r = roundf(x[i] * inv_scale);
        /* keep the float -> int conversion defined; anything this far is clamped anyway */
        r = mdy_clampf(r, -1024.0f, 1024.0f);
        int32_t q = (int32_t)r + zp;
        q = q < -128 ? -128 : (q > 127 ? 127 : q);
        out[i] = (int8_t)q;
    }
}
