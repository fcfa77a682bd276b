/*
 * mdy_gemm_slices_to_dense_f32: dw [out_f][in_f] OVERWRITTEN with zeros except
 *   dw[o * in_f + channels[j]] = dw_slices[j * out_f + o]. No scratch.
 */
#include <string.h>

#include "mdy_internal.h"

void mdy_gemm_slices_to_dense_f32(const float *dw_slices, const uint16_t *channels,
                                  uint32_t n_sel, uint32_t in_f, uint32_t out_f, float *dw)
{
    memset(dw, 0, (size_t)in_f * out_f * sizeof(float));
    for (uint32_t j = 0; j < n_sel; ++j) {
        const uint32_t c = channels[j];
        for (uint32_t o = 0; o < out_f; ++o) {
            dw[(size_t)o * in_f + c] = dw_slices[(size_t)j * out_f + o];
        }
    }
}
