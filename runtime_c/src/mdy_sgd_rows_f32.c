/*
 * mdy_sgd_rows_f32: SGD on the listed rows of a weight stored [rows][row_len] (a conv
 * weight [O][I/g][KH][KW] or a gemm weight [O][I]: row o is output channel o):
 *   w[outs[j]][i] -= lr * gscale[outs[j]] * dw_rows[j][i],  gscale NULL = 1.
 * No scratch.
 */
#include "mdy_internal.h"

void mdy_sgd_rows_f32(float *w, uint32_t row_len, const uint16_t *outs, uint32_t n_out,
                      const float *dw_rows, float lr, const float *gscale)
{
    for (uint32_t j = 0; j < n_out; ++j) {
        const float step = lr * (gscale ? gscale[outs[j]] : 1.0f);
        float *row = w + (size_t)outs[j] * row_len;
        const float *g = dw_rows + (size_t)j * row_len;
        for (uint32_t i = 0; i < row_len; ++i) {
            row[i] -= step * g[i];
        }
    }
}
