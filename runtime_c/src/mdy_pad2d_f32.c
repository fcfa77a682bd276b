/*
 * mdy_pad2d_f32: zero padding of the two spatial axes. x [c][h][w] ->
 * y [c][h + top + bottom][w + left + right], x in the interior, zeros around it.
 * y must not alias x. No scratch.
 */
#include <string.h>

#include "mdy_internal.h"

void mdy_pad2d_f32(const float *x, uint32_t c, uint32_t h, uint32_t w, uint32_t top,
                   uint32_t left, uint32_t bottom, uint32_t right, float *y)
{
    const uint32_t oh = h + top + bottom;
    const uint32_t ow = w + left + right;
    memset(y, 0, sizeof(float) * c * oh * ow);
    for (uint32_t ch = 0; ch < c; ++ch) {
        for (uint32_t i = 0; i < h; ++i) {
            memcpy(y + (ch * oh + top + i) * ow + left, x + (ch * h + i) * w, sizeof(float) * w);
        }
    }
}
