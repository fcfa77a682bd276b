/*
 * mdy_clamp_mask_f32: 1-bit mask of where a clamp passes the gradient, computed from
 * the clamp's OUTPUT y: bit i = (lo < y[i] < hi). mask has (n + 7) / 8 bytes, OVERWRITTEN;
 * bit i lives in byte i / 8 at bit position i % 8 (LSB first), unused high bits of the
 * last byte are 0. A ReLU output of exactly 0 (or ReLU6 output of exactly 6) therefore
 * blocks the gradient, the subgradient convention of PyTorch. No scratch.
 */
#include "mdy_internal.h"

void mdy_clamp_mask_f32(const float *y, uint32_t n, float lo, float hi, uint8_t *mask)
{
    uint32_t i = 0;
    for (uint32_t byte = 0; byte < (n + 7u) / 8u; ++byte) {
        uint32_t bits = 0;
        for (uint32_t b = 0; b < 8u && i < n; ++b, ++i) {
            if (y[i] > lo && y[i] < hi) {
                bits |= 1u << b;
            }
        }
        mask[byte] = (uint8_t)bits;
    }
}
