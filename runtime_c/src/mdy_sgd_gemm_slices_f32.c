/*
 * mdy_sgd_gemm_slices_f32: SGD on the columns of a gemm weight that were trained:
 *   w[o * in_f + c] -= lr * gscale[o] * dw_slices[j * out_f + o], c = channels[j],
 * for j < n_sel, o < out_f. w [out_f][in_f]; gscale [out_f] or NULL (all ones).
 * No scratch.
 */
#include "mdy_internal.h"

void mdy_sgd_gemm_slices_f32(float *w, uint32_t in_f, uint32_t out_f,
                             const uint16_t *channels, uint32_t n_sel,
                             const float *dw_slices, float lr, const float *gscale)
{
    for (uint32_t j = 0; j < n_sel; ++j) {
        const uint32_t c = channels[j];
        const float *slice = dw_slices + (size_t)j * out_f;
        for (uint32_t o = 0; o < out_f; ++o) {
            const float s = gscale ? gscale[o] : 1.0f;
            w[(size_t)o * in_f + c] -= lr * s * slice[o];
        }
    }
}
