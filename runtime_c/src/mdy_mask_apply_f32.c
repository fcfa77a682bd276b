/*
 * mdy_mask_apply_f32: in place g[i] = (bit i of mask) ? g[i] : 0 for i < n,
 * with the bit order of mdy_clamp_mask_f32 (byte i / 8, bit i % 8). No scratch.
 * One byte load per 8 elements; a masked-off element costs a test and a store of 0,
 * a passing one only the test.
 */
#include "mdy_internal.h"

void mdy_mask_apply_f32(float *g, const uint8_t *mask, uint32_t n)
{
    uint32_t i = 0;
    for (; i + 8u <= n; i += 8u) {
        const uint32_t bits = mask[i >> 3];
        if (bits == 0xFFu) {
            continue;
        }
        MDY_UNROLL
        for (uint32_t b = 0; b < 8u; ++b) {
            if ((bits & (1u << b)) == 0u) {
                g[i + b] = 0.0f;
            }
        }
    }
    for (; i < n; ++i) {
        if (((mask[i >> 3] >> (i & 7u)) & 1u) == 0u) {
            g[i] = 0.0f;
        }
    }
}
