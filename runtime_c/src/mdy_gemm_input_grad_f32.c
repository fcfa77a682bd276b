/*
 * mdy_gemm_input_grad_f32: din[i] = sum_o w[o * in_f + i] * dout[o] (W^T dout).
 *   dout [out_f], w [out_f][in_f], din [in_f] OVERWRITTEN (must not alias dout).
 * Walks W row by row (contiguous) accumulating into din. No scratch.
 */
#include <string.h>

#include "mdy_internal.h"

void mdy_gemm_input_grad_f32(const float *dout, const float *w, uint32_t in_f,
                             uint32_t out_f, float *din)
{
    memset(din, 0, (size_t)in_f * sizeof(float));
    for (uint32_t o = 0; o < out_f; ++o) {
        const float g = dout[o];
        const float *row = w + (size_t)o * in_f;
        for (uint32_t i = 0; i < in_f; ++i) {
            din[i] += row[i] * g;
        }
    }
}
