/*
 * mdy_global_avgpool_grad_f32: din[ch][i] = dout[ch] / hw.
 *   dout [c], din [c][hw] OVERWRITTEN. No scratch.
 */
#include "mdy_internal.h"

void mdy_global_avgpool_grad_f32(const float *dout, uint32_t c, uint32_t hw, float *din)
{
    const float inv = hw ? 1.0f / (float)hw : 0.0f;
    for (uint32_t ch = 0; ch < c; ++ch) {
        const float g = dout[ch] * inv;
        float *dx = din + (size_t)ch * hw;
        for (uint32_t i = 0; i < hw; ++i) {
            dx[i] = g;
        }
    }
}
