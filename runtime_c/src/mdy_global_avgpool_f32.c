/*
 * mdy_global_avgpool_f32: out[ch] = mean of the ch-th plane of in.
 *   in [c][hw] (CHW), out [c] overwritten. No scratch.
 */
#include "mdy_internal.h"

void mdy_global_avgpool_f32(const float *in, uint32_t c, uint32_t hw, float *out)
{
    const float inv = hw ? 1.0f / (float)hw : 0.0f;
    for (uint32_t ch = 0; ch < c; ++ch) {
        const float *plane = in + (size_t)ch * hw;
        float acc = 0.0f;
        for (uint32_t i = 0; i < hw; ++i) {
            acc += plane[i];
        }
        out[ch] = acc * inv;
    }
}
