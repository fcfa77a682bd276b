/*
 * mdy_prelu_f32: x, y [c][hw]; y = x where x > 0, else slope[ch] * x (one slope per
 * channel; a shared slope is expanded by the compiler). y may alias x. No scratch.
 */
#include "mdy_internal.h"

void mdy_prelu_f32(const float *x, const float *slope, float *y, uint32_t c, uint32_t hw)
{
    for (uint32_t ch = 0; ch < c; ++ch) {
        const float s = slope[ch];
        const float *xc = x + ch * hw;
        float *yc = y + ch * hw;
        for (uint32_t i = 0; i < hw; ++i) {
            yc[i] = xc[i] > 0.0f ? xc[i] : s * xc[i];
        }
    }
}
