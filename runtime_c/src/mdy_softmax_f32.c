/*
 * mdy_softmax_f32: x, y [n][groups]: for each g < groups, y[.][g] = softmax of
 * x[0..n)[g] (values `groups` apart: channel-wise per pixel of a [c][hw] tensor, or
 * groups = 1 for one softmax over n values). Max-subtracted. y may alias x. No scratch.
 */
#include <math.h>

#include "mdy_internal.h"

void mdy_softmax_f32(const float *x, uint32_t n, uint32_t groups, float *y)
{
    for (uint32_t g = 0; g < groups; ++g) {
        float max_v = x[g];
        for (uint32_t i = 1; i < n; ++i) {
            max_v = x[i * groups + g] > max_v ? x[i * groups + g] : max_v;
        }
        float sum = 0.0f;
        for (uint32_t i = 0; i < n; ++i) {
            const float e = expf(x[i * groups + g] - max_v);
            y[i * groups + g] = e;
            sum += e;
        }
        const float inv = 1.0f / sum;
        for (uint32_t i = 0; i < n; ++i) {
            y[i * groups + g] *= inv;
        }
    }
}
