/*
 * mdy_gather_planes_f32: the saved activation of a sparse-channel layer.
 *   saved[j * plane + i] = in[channels[j] * plane + i] for j < n_sel, i < plane.
 * channels may be in any order (list order is kept); n_sel may be 0. No scratch.
 */
#include <string.h>

#include "mdy_internal.h"

void mdy_gather_planes_f32(const float *in, uint32_t plane, const uint16_t *channels,
                           uint32_t n_sel, float *saved)
{
    for (uint32_t j = 0; j < n_sel; ++j) {
        memcpy(saved + (size_t)j * plane, in + (size_t)channels[j] * plane,
               (size_t)plane * sizeof(float));
    }
}
