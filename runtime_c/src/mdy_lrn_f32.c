/*
 * mdy_lrn_f32: ONNX LRN across channels. x, y [c][hw]:
 *   d = bias + alpha / size * sum_{i = ch - lo}^{ch + hi} x[i]^2, lo = (size-1)/2,
 *   hi = size-1-lo (clipped to the channels); y = x * d^-beta.
 * y must not alias x. No scratch.
 */
#include <math.h>

#include "mdy_internal.h"

void mdy_lrn_f32(const float *x, uint32_t c, uint32_t hw, uint32_t size, float alpha,
                 float beta, float bias, float *y)
{
    const uint32_t lo = (size - 1u) / 2u;
    const uint32_t hi = size - 1u - lo;
    const float k = alpha / (float)size;
    for (uint32_t ch = 0; ch < c; ++ch) {
        const uint32_t first = ch > lo ? ch - lo : 0u;
        const uint32_t last = ch + hi < c ? ch + hi : c - 1u;
        for (uint32_t p = 0; p < hw; ++p) {
            float sum = 0.0f;
            for (uint32_t i = first; i <= last; ++i) {
                const float v = x[i * hw + p];
                sum += v * v;
            }
            y[ch * hw + p] = x[ch * hw + p] * powf(bias + k * sum, -beta);
        }
    }
}
