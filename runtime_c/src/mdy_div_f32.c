/*
 * mdy_div_f32: x, out [c][hw]; out = x / s with s [c][hw] (channel = 0) or one value
 * per channel, s [c] (channel = 1). Also the gradient w.r.t. x (x = dy).
 * out may alias x. No scratch.
 */
#include "mdy_internal.h"

void mdy_div_f32(const float *x, const float *s, float *out, uint32_t c, uint32_t hw,
                 uint32_t channel)
{
    for (uint32_t ch = 0; ch < c; ++ch) {
        for (uint32_t i = ch * hw; i < (ch + 1u) * hw; ++i) {
            out[i] = x[i] / (channel ? s[ch] : s[i]);
        }
    }
}
