/*
 * mdy_gemm_input_grad_f32: din[i] = sum_o w[o * in_f + i] * dout[o] (W^T dout).
 *   dout [out_f], w [out_f][in_f], din [in_f] OVERWRITTEN (must not alias dout).
 * Walks W row by row (contiguous) accumulating into din. No scratch.
 * Four output rows per pass: din[i] += w0[i] g0 + w1[i] g1 + w2[i] g2 + w3[i] g3, so
 * each din element is loaded and stored once per 4 MACs.
 */
#include <string.h>

#include "mdy_internal.h"

void mdy_gemm_input_grad_f32(const float *dout, const float *w, uint32_t in_f,
                             uint32_t out_f, float *din)
{
    memset(din, 0, (size_t)in_f * sizeof(float));
    uint32_t o = 0;
    for (; o + 4u <= out_f; o += 4u) {
        const float g0 = dout[o], g1 = dout[o + 1u], g2 = dout[o + 2u], g3 = dout[o + 3u];
        const float *MDY_RESTRICT r0 = w + (size_t)o * in_f;
        const float *MDY_RESTRICT r1 = r0 + in_f;
        const float *MDY_RESTRICT r2 = r1 + in_f;
        const float *MDY_RESTRICT r3 = r2 + in_f;
        float *MDY_RESTRICT d = din;
        for (uint32_t i = 0; i < in_f; ++i) {
            float acc = d[i];
            acc += r0[i] * g0;
            acc += r1[i] * g1;
            acc += r2[i] * g2;
            acc += r3[i] * g3;
            d[i] = acc;
        }
    }
    for (; o < out_f; ++o) {
        const float g = dout[o];
        const float *row = w + (size_t)o * in_f;
        for (uint32_t i = 0; i < in_f; ++i) {
            din[i] += row[i] * g;
        }
    }
}
