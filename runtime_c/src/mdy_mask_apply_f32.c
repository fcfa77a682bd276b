/*
 * mdy_mask_apply_f32: in place g[i] = (bit i of mask) ? g[i] : 0 for i < n,
 * with the bit order of mdy_clamp_mask_f32 (byte i / 8, bit i % 8). No scratch.
 */
#include "mdy_internal.h"

void mdy_mask_apply_f32(float *g, const uint8_t *mask, uint32_t n)
{
    for (uint32_t i = 0; i < n; ++i) {
        if (((mask[i >> 3] >> (i & 7u)) & 1u) == 0u) {
            g[i] = 0.0f;
        }
    }
}
