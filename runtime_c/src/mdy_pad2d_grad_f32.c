/*
 * mdy_pad2d_grad_f32: gradient of mdy_pad2d_f32: the interior of
 * dy [c][h + top + bottom][w + left + right] copied to dx [c][h][w]. dx must not
 * alias dy. No scratch.
 */
#include <string.h>

#include "mdy_internal.h"

void mdy_pad2d_grad_f32(const float *dy, uint32_t c, uint32_t h, uint32_t w, uint32_t top,
                        uint32_t left, uint32_t bottom, uint32_t right, float *dx)
{
    const uint32_t oh = h + top + bottom;
    const uint32_t ow = w + left + right;
    for (uint32_t ch = 0; ch < c; ++ch) {
        for (uint32_t i = 0; i < h; ++i) {
            memcpy(dx + (ch * h + i) * w, dy + (ch * oh + top + i) * ow + left, sizeof(float) * w);
        }
    }
}
