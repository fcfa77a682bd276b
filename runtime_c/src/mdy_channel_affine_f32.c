/*
 * mdy_channel_affine_f32: frozen per-channel affine (a BatchNormalization that could not
 * be folded into a conv): out[ch][i] = x[ch][i] * scale[ch] + shift[ch].
 *   x, out [c][hw] (CHW); scale, shift [c]. out may alias x. No scratch.
 */
#include "mdy_internal.h"

void mdy_channel_affine_f32(const float *x, uint32_t c, uint32_t hw, const float *scale,
                            const float *shift, float *out)
{
    for (uint32_t ch = 0; ch < c; ++ch) {
        const float s = scale[ch];
        const float t = shift[ch];
        const float *src = x + (size_t)ch * hw;
        float *dst = out + (size_t)ch * hw;
        for (uint32_t i = 0; i < hw; ++i) {
            dst[i] = src[i] * s + t;
        }
    }
}
