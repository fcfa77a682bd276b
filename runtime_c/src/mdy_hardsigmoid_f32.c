/*
 * mdy_hardsigmoid_f32: y[i] = min(max(alpha * x[i] + beta, 0), 1) (ONNX HardSigmoid;
 * torch's hardsigmoid is alpha = 1/6, beta = 1/2). y may alias x. No scratch.
 */
#include "mdy_internal.h"

void mdy_hardsigmoid_f32(const float *x, float *y, uint32_t n, float alpha, float beta)
{
    for (uint32_t i = 0; i < n; ++i) {
        y[i] = mdy_clampf(alpha * x[i] + beta, 0.0f, 1.0f);
    }
}
