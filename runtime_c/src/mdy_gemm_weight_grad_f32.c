/*
 * mdy_gemm_weight_grad_f32: weight-gradient slices of the listed input features.
 *   saved [n_sel]: saved[j] = in[channels[j]] (gathered in the forward pass),
 *   dout [out_f], dw_slices [n_sel][out_f] ACCUMULATED:
 *   dw_slices[j * out_f + o] += saved[j] * dout[o]. No scratch.
 */
#include "mdy_internal.h"

void mdy_gemm_weight_grad_f32(const float *saved, uint32_t n_sel, const float *dout,
                              uint32_t out_f, float *dw_slices)
{
    for (uint32_t j = 0; j < n_sel; ++j) {
        const float x = saved[j];
        float *slice = dw_slices + (size_t)j * out_f;
        for (uint32_t o = 0; o < out_f; ++o) {
            slice[o] += x * dout[o];
        }
    }
}
