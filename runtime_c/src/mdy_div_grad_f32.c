/*
 * mdy_div_grad_f32: gradient of y = x / s w.r.t. the divisor, from the output y:
 * ds = -dy * y / s, element-wise (channel = 0: ds [c][hw]) or summed over each
 * channel's hw values (channel = 1: s, ds [c]). ds is overwritten. No scratch.
 */
#include "mdy_internal.h"

void mdy_div_grad_f32(const float *dy, const float *y, const float *s, float *ds, uint32_t c,
                      uint32_t hw, uint32_t channel)
{
    for (uint32_t ch = 0; ch < c; ++ch) {
        float acc = 0.0f;
        for (uint32_t i = ch * hw; i < (ch + 1u) * hw; ++i) {
            if (channel) {
                acc -= dy[i] * y[i] / s[ch];
            } else {
                ds[i] = -dy[i] * y[i] / s[i];
            }
        }
        if (channel) {
            ds[ch] = acc;
        }
    }
}
