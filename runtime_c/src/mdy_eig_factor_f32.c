/*
 * mdy_eig_factor_f32: the data-dependent Tucker factor of one mode of a block (svd and
 *   hosvd on the device, no general SVD routine): the Gram matrix of the mode unfolding
 *   G = A_(m) A_(m)^T (rows x rows; rows = n_sel, h or w for m = 0, 1, 2), its
 *   eigen-decomposition (mdy_sym_eig_jacobi_f32), the rank
 *       K = smallest K with (sum of the top-K eigenvalues) / (sum of all) >= eps
 *   (negative rounding eigenvalues count as 0; K = 0 for an all-zero block) -- the
 *   reference's explained-variance rule on the squared singular values -- and
 *   factor [rows][K] = the top-K eigenvectors (the leading left singular vectors).
 *   Returns K. scratch: mdy_eig_factor_f32_scratch_size(rows) bytes.
 */
#include "mdy_internal.h"

/* G += f f^T for the fibres f of the unfolding (one per column of A_(m)) */
static void gram(const float *act, const uint16_t *channels, const mdy_tucker_t *t,
                 uint32_t mode, float *g)
{
    const uint32_t h = t->h, w = t->w, plane = h * w;
    if (mode == 0) {
        for (uint32_t i = 0; i < t->n_sel; ++i) {
            const float *pi = act + (size_t)channels[i] * plane;
            for (uint32_t k = i; k < t->n_sel; ++k) {
                const float *pk = act + (size_t)channels[k] * plane;
                float acc = 0.0f;
                for (uint32_t e = 0; e < plane; ++e) {
                    acc += pi[e] * pk[e];
                }
                g[i * t->n_sel + k] = acc;
            }
        }
        return;
    }
    /* mode 1: rows are y, fibres run over (j, x); mode 2: rows are x, over (j, y) */
    const uint32_t rows = mode == 1 ? h : w, len = mode == 1 ? w : h;
    const uint32_t row_step = mode == 1 ? w : 1u, elem_step = mode == 1 ? 1u : w;
    for (uint32_t i = 0; i < rows; ++i) {
        for (uint32_t k = i; k < rows; ++k) {
            float acc = 0.0f;
            for (uint32_t j = 0; j < t->n_sel; ++j) {
                const float *pl = act + (size_t)channels[j] * plane;
                for (uint32_t e = 0; e < len; ++e) {
                    acc += pl[i * row_step + e * elem_step] * pl[k * row_step + e * elem_step];
                }
            }
            g[i * rows + k] = acc;
        }
    }
}

uint32_t mdy_eig_factor_f32(const float *act, const uint16_t *channels, const mdy_tucker_t *t,
                            uint32_t mode, float eps, uint32_t max_sweeps, float *factor,
                            void *scratch)
{
    const uint32_t dims[3] = { t->n_sel, t->h, t->w };
    const uint32_t rows = dims[mode];
    float *g = (float *)scratch;                 /* [rows][rows] */
    float *vecs = g + (size_t)rows * rows;       /* [rows][rows] */
    float *vals = vecs + (size_t)rows * rows;    /* [rows] */
    if (rows == 0) {
        return 0;
    }
    gram(act, channels, t, mode, g);
    for (uint32_t i = 0; i < rows; ++i) {        /* mirror the upper triangle */
        for (uint32_t k = 0; k < i; ++k) {
            g[i * rows + k] = g[k * rows + i];
        }
    }
    mdy_sym_eig_jacobi_f32(g, rows, max_sweeps, vals, vecs);
    /* float only (no soft-double on the M4F): the partial sums run in the same order as
     * the total, so with eps = 1 the last one equals it exactly */
    float total = 0.0f;
    for (uint32_t i = 0; i < rows; ++i) {
        total += vals[i] > 0.0f ? vals[i] : 0.0f;
    }
    if (total <= 0.0f) {
        return 0;
    }
    uint32_t rank = rows;
    float energy = 0.0f;
    for (uint32_t i = 0; i < rows; ++i) {
        energy += vals[i] > 0.0f ? vals[i] : 0.0f;
        if (energy >= eps * total) {
            rank = i + 1;
            break;
        }
    }
    for (uint32_t r = 0; r < rows; ++r) {
        for (uint32_t a = 0; a < rank; ++a) {
            factor[r * rank + a] = vecs[r * rows + a];
        }
    }
    return rank;
}
