/*
 * mdy_sgd_dense_f32: x[i] -= lr * gscale[i] * g[i] for i < n (a bias, or any dense
 * parameter). gscale [n] or NULL (all ones). No scratch.
 */
#include "mdy_internal.h"

void mdy_sgd_dense_f32(float *x, const float *g, uint32_t n, float lr, const float *gscale)
{
    for (uint32_t i = 0; i < n; ++i) {
        const float s = gscale ? gscale[i] : 1.0f;
        x[i] -= lr * s * g[i];
    }
}
