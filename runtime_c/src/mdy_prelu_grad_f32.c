/*
 * mdy_prelu_grad_f32: dy, x, dx [c][hw]; dx = dy where x > 0, else slope[ch] * dy
 * (the slope itself is frozen). dx may alias dy. No scratch.
 */
#include "mdy_internal.h"

void mdy_prelu_grad_f32(const float *dy, const float *x, const float *slope, float *dx,
                        uint32_t c, uint32_t hw)
{
    for (uint32_t ch = 0; ch < c; ++ch) {
        const float s = slope[ch];
        for (uint32_t i = ch * hw; i < (ch + 1u) * hw; ++i) {
            dx[i] = x[i] > 0.0f ? dy[i] : s * dy[i];
        }
    }
}
