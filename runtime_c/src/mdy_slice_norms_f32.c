/*
 * mdy_slice_norms_f32: norms[j] += || slices[j * slice_len .. (j + 1) * slice_len) ||_2
 * for j < n_sel (the per-channel gradient norm the device reports each epoch).
 *   slices [n_sel][slice_len], norms [n_sel] ACCUMULATED. No scratch.
 */
#include <math.h>

#include "mdy_internal.h"

void mdy_slice_norms_f32(const float *slices, uint32_t n_sel, uint32_t slice_len,
                         float *norms)
{
    for (uint32_t j = 0; j < n_sel; ++j) {
        const float *s = slices + (size_t)j * slice_len;
        float sum_sq = 0.0f;
        for (uint32_t i = 0; i < slice_len; ++i) {
            sum_sq += s[i] * s[i];
        }
        norms[j] += sqrtf(sum_sq);
    }
}
