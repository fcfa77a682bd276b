/*
 * mdy_channel_affine_grad_f32: input gradient of mdy_channel_affine_f32,
 *   dx[ch][i] = dy[ch][i] * scale[ch]. dy, dx [c][hw]; dx OVERWRITTEN, may alias dy.
 * No scratch.
 */
#include "mdy_internal.h"

void mdy_channel_affine_grad_f32(const float *dy, uint32_t c, uint32_t hw,
                                 const float *scale, float *dx)
{
    for (uint32_t ch = 0; ch < c; ++ch) {
        const float s = scale[ch];
        const float *src = dy + (size_t)ch * hw;
        float *dst = dx + (size_t)ch * hw;
        for (uint32_t i = 0; i < hw; ++i) {
            dst[i] = src[i] * s;
        }
    }
}
