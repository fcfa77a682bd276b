/*
 * mdy_gemm_weight_grad_tucker_f32: gemm weight-gradient slices from a (n_sel, 1, 1)
 *   Tucker block (h = w = 1, so k2 = k3 = 1 and u2, u3 are +-1):
 *       saved[j] = sum_a u1[j][a] core[a] * u2[0] * u3[0]
 *       dw_slices[j * out_f + o] += saved[j] * dout[o]   (ACCUMULATED)
 *   The vector is tiny, so it is rebuilt one entry at a time. No scratch.
 */
#include "mdy_internal.h"

void mdy_gemm_weight_grad_tucker_f32(const mdy_tucker_t *t, const float *dout, uint32_t out_f,
                                     float *dw_slices)
{
    if (t->k1 == 0) {
        return;
    }
    const float spatial = t->u2[0] * t->u3[0];
    for (uint32_t j = 0; j < t->n_sel; ++j) {
        float saved = 0.0f;
        for (uint32_t a = 0; a < t->k1; ++a) {
            saved += t->u1[j * t->k1 + a] * t->core[a];
        }
        saved *= spatial;
        float *slice = dw_slices + (size_t)j * out_f;
        for (uint32_t o = 0; o < out_f; ++o) {
            slice[o] += saved * dout[o];
        }
    }
}
