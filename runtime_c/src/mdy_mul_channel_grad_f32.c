/*
 * mdy_mul_channel_grad_f32: gradient of out = x * s[ch] w.r.t. the per-channel s:
 * ds[ch] = sum_i dy[ch][i] * x[ch][i] (overwritten). dy, x [c][hw]. No scratch.
 */
#include "mdy_internal.h"

void mdy_mul_channel_grad_f32(const float *dy, const float *x, float *ds, uint32_t c, uint32_t hw)
{
    for (uint32_t ch = 0; ch < c; ++ch) {
        float acc = 0.0f;
        for (uint32_t i = ch * hw; i < (ch + 1u) * hw; ++i) {
            acc += dy[i] * x[i];
        }
        ds[ch] = acc;
    }
}
