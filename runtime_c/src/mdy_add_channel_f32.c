/*
 * mdy_add_channel_f32: x, out [c][hw], s [c]: out[ch][i] = x[ch][i] + s[ch].
 * out may alias x. No scratch.
 */
#include "mdy_internal.h"

void mdy_add_channel_f32(const float *x, const float *s, float *out, uint32_t c, uint32_t hw)
{
    for (uint32_t ch = 0; ch < c; ++ch) {
        const float v = s[ch];
        for (uint32_t i = ch * hw; i < (ch + 1u) * hw; ++i) {
            out[i] = x[i] + v;
        }
    }
}
