/*
 * mdy_gemm_weight_grad_rows_f32: weight-gradient ROWS of the listed output features of
 * mdy_gemm_f32 (NEq-style neurons), from the whole input vector.
 *   in [in_f], outs [n_out] output indices (any order, no duplicates), dout [out_f],
 *   dw_rows [n_out][in_f] ACCUMULATED: dw_rows[j * in_f + i] += dout[outs[j]] * in[i].
 * Four rows at a time share each loaded input value. No scratch.
 */
#include "mdy_internal.h"

void mdy_gemm_weight_grad_rows_f32(const float *in, uint32_t in_f, const uint16_t *outs,
                                   uint32_t n_out, const float *dout, float *dw_rows)
{
    uint32_t j = 0;
    for (; j + 3 < n_out; j += 4) {
        const float g0 = dout[outs[j]], g1 = dout[outs[j + 1]];
        const float g2 = dout[outs[j + 2]], g3 = dout[outs[j + 3]];
        float *r0 = dw_rows + (size_t)j * in_f;
        float *r1 = r0 + in_f, *r2 = r1 + in_f, *r3 = r2 + in_f;
        for (uint32_t i = 0; i < in_f; ++i) {
            const float x = in[i];
            r0[i] += g0 * x;
            r1[i] += g1 * x;
            r2[i] += g2 * x;
            r3[i] += g3 * x;
        }
    }
    for (; j < n_out; ++j) {
        const float g = dout[outs[j]];
        float *r = dw_rows + (size_t)j * in_f;
        for (uint32_t i = 0; i < in_f; ++i) {
            r[i] += g * in[i];
        }
    }
}
