/*
 * mdy_lrn_grad_f32: input gradient of mdy_lrn_f32 from its input x (d recomputed):
 *   dx[i] = dy[i] d[i]^-beta
 *         - 2 alpha beta / size * x[i] * sum_{ch = i - hi}^{i + lo} dy[ch] x[ch] d[ch]^(-beta-1)
 * dy, x, dx [c][hw]; dx must not alias dy or x. No scratch (d is recomputed per term:
 * O(c * size^2) per pixel, small for LRN's size of 5).
 */
#include <math.h>

#include "mdy_internal.h"

static float lrn_denominator(const float *x, uint32_t c, uint32_t hw, uint32_t p, uint32_t ch,
                             uint32_t lo, uint32_t hi, float k, float bias)
{
    const uint32_t first = ch > lo ? ch - lo : 0u;
    const uint32_t last = ch + hi < c ? ch + hi : c - 1u;
    float sum = 0.0f;
    for (uint32_t i = first; i <= last; ++i) {
        const float v = x[i * hw + p];
        sum += v * v;
    }
    return bias + k * sum;
}

void mdy_lrn_grad_f32(const float *dy, const float *x, uint32_t c, uint32_t hw, uint32_t size,
                      float alpha, float beta, float bias, float *dx)
{
    const uint32_t lo = (size - 1u) / 2u;
    const uint32_t hi = size - 1u - lo;
    const float k = alpha / (float)size;
    for (uint32_t p = 0; p < hw; ++p) {
        for (uint32_t i = 0; i < c; ++i) {
            const uint32_t first = i > hi ? i - hi : 0u;
            const uint32_t last = i + lo < c ? i + lo : c - 1u;
            float acc = 0.0f;
            for (uint32_t ch = first; ch <= last; ++ch) {
                const float d = lrn_denominator(x, c, hw, p, ch, lo, hi, k, bias);
                acc += dy[ch * hw + p] * x[ch * hw + p] * powf(d, -beta - 1.0f);
            }
            const float di = lrn_denominator(x, c, hw, p, i, lo, hi, k, bias);
            dx[i * hw + p] = dy[i * hw + p] * powf(di, -beta) - 2.0f * k * beta * x[i * hw + p] * acc;
        }
    }
}
