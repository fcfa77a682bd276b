/*
 * mdy_subspace_iter_f32: `iterations` warm-started orthogonal (subspace) iterations of
 *   one mode of a Tucker block (see mdy_tucker_t in kernels.h):
 *       U <- orth(A_(m) A_(m)^T U),  m = mode (0 channel, 1 height, 2 width),
 *   U = t->u1 [n_sel][k1], t->u2 [h][k2] or t->u3 [w][k3], updated in place; A is read
 *   from act through the channel list. Streams over the fibres f of the unfolding (the
 *   columns of A_(m)): tmp = U^T f (k floats), P += f tmp^T, so no (rest x k) product
 *   is materialised. Then mdy_orthonormalize_f32(P). Converges to the leading k left
 *   singular vectors at rate (s_{k+1}/s_k)^2 per iteration. Does nothing when k = 0.
 *   scratch: mdy_subspace_iter_f32_scratch_size(rows, k) bytes = (rows * k + k) floats.
 */
#include <string.h>

#include "mdy_internal.h"

void mdy_subspace_iter_f32(const float *act, const uint16_t *channels, const mdy_tucker_t *t,
                           uint32_t mode, uint32_t iterations, void *scratch)
{
    const uint32_t dims[3] = { t->n_sel, t->h, t->w };
    const uint32_t ranks[3] = { t->k1, t->k2, t->k3 };
    float *const factors[3] = { t->u1, t->u2, t->u3 };
    const uint32_t rows = dims[mode], k = ranks[mode];
    float *u = factors[mode];
    float *product = (float *)scratch;          /* [rows][k] */
    float *tmp = product + (size_t)rows * k;    /* [k] */
    const uint32_t plane = t->h * t->w;
    /* the fibre along `mode` at the two other indices (a, b): element r at
     * act[base + r * step] for the spatial modes, act[channels[r] * plane + base] for
     * the channel mode */
    const uint32_t outer = mode == 0 ? t->h : t->n_sel;
    const uint32_t inner = mode == 2 ? t->h : t->w;
    if (k == 0 || rows == 0) {
        return;
    }
    for (uint32_t it = 0; it < iterations; ++it) {
        memset(product, 0, sizeof(float) * rows * k);
        for (uint32_t a = 0; a < outer; ++a) {
            for (uint32_t b = 0; b < inner; ++b) {
                const float *fibre;
                uint32_t step;
                if (mode == 0) {
                    fibre = act + a * t->w + b;           /* + channels[r] * plane */
                    step = 0;
                } else if (mode == 1) {
                    fibre = act + (uint32_t)channels[a] * plane + b;
                    step = t->w;
                } else {
                    fibre = act + (uint32_t)channels[a] * plane + b * t->w;
                    step = 1;
                }
                memset(tmp, 0, sizeof(float) * k);
                for (uint32_t r = 0; r < rows; ++r) {
                    const float v = mode == 0 ? fibre[(uint32_t)channels[r] * plane] : fibre[r * step];
                    const float *ur = u + r * k;
                    for (uint32_t c = 0; c < k; ++c) {
                        tmp[c] += v * ur[c];
                    }
                }
                for (uint32_t r = 0; r < rows; ++r) {
                    const float v = mode == 0 ? fibre[(uint32_t)channels[r] * plane] : fibre[r * step];
                    float *pr = product + r * k;
                    for (uint32_t c = 0; c < k; ++c) {
                        pr[c] += v * tmp[c];
                    }
                }
            }
        }
        memcpy(u, product, sizeof(float) * rows * k);
        mdy_orthonormalize_f32(u, rows, k);
    }
}
