/*
 * mdy_global_avgpool_s8: per-channel mean over hw of an int8 [c][hw] activation, scale
 * and zero point kept: out[c] = clamp(zp + round(sum (in - zp) / hw)), rounding half
 * away from zero as mdy_avgpool2d_s8. No scratch.
 */
#include "mdy_internal.h"

void mdy_global_avgpool_s8(const int8_t *in, uint32_t c, uint32_t hw, int32_t zp, int8_t *out)
{
    const int32_t count = (int32_t)hw;
    for (uint32_t ch = 0; ch < c; ++ch) {
        const int8_t *x = in + (size_t)ch * hw;
        int32_t sum = 0;
        for (uint32_t i = 0; i < hw; ++i) {
            sum += (int32_t)x[i] - zp;
        }
        int32_t v = zp;
        if (count > 0) {
            v += (sum >= 0 ? sum + count / 2 : sum - count / 2) / count;
        }
        out[ch] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
    }
}
