/*
 * mdy_hardswish_f32: y[i] = x[i] * min(max(x[i] / 6 + 1/2, 0), 1) (ONNX HardSwish,
 * torch's hardswish). y may alias x. No scratch.
 */
#include "mdy_internal.h"

void mdy_hardswish_f32(const float *x, float *y, uint32_t n)
{
    for (uint32_t i = 0; i < n; ++i) {
        const float v = x[i];
        y[i] = v * mdy_clampf(v * (1.0f / 6.0f) + 0.5f, 0.0f, 1.0f);
    }
}
