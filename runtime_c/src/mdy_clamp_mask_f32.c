/*
 * mdy_clamp_mask_f32: 1-bit mask of where a clamp passes the gradient, computed from
 * the clamp's OUTPUT y: bit i = (lo < y[i] < hi). mask has (n + 7) / 8 bytes, OVERWRITTEN;
 * bit i lives in byte i / 8 at bit position i % 8 (LSB first), unused high bits of the
 * last byte are 0. A ReLU output of exactly 0 (or ReLU6 output of exactly 6) therefore
 * blocks the gradient, the subgradient convention of PyTorch. No scratch.
 *
 * Fast path for 0 <= lo < hi (ReLU, ReLU6): for such bounds, lo < y < hi holds exactly
 * when the IEEE bit pattern of y, read as an unsigned integer, lies strictly between
 * those of lo and hi (negative y and -0 have the sign bit set and fall above hi; NaN
 * patterns lie above +INF): one integer compare per element, a whole byte built in
 * registers and stored once (no per-bit read-modify-write of memory).
 */
#include <string.h>

#include "mdy_internal.h"

MDY_ALWAYS_INLINE uint32_t float_bits(float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

void mdy_clamp_mask_f32(const float *y, uint32_t n, float lo, float hi, uint8_t *mask)
{
    uint32_t i = 0;
    if (lo >= 0.0f && hi > lo) {
        const uint32_t first = float_bits(lo) + 1u;           /* smallest pattern > lo */
        const uint32_t range = float_bits(hi) - first;        /* patterns in (lo, hi) */
        for (; i + 8u <= n; i += 8u) {
            uint32_t bits = 0;
            MDY_UNROLL
            for (uint32_t b = 0; b < 8u; ++b) {
                bits |= (uint32_t)(float_bits(y[i + b]) - first < range) << b;
            }
            mask[i >> 3] = (uint8_t)bits;
        }
    }
    while (i < n) {
        uint32_t bits = 0;
        const uint32_t byte = i >> 3;
        for (uint32_t b = 0; b < 8u && i < n; ++b, ++i) {
            if (y[i] > lo && y[i] < hi) {
                bits |= 1u << b;
            }
        }
        mask[byte] = (uint8_t)bits;
    }
}
