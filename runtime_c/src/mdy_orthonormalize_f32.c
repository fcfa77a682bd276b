/*
 * mdy_orthonormalize_f32: in-place modified Gram-Schmidt of the k columns of
 *   u [rows][k] (row-major, k <= rows): column c <- the normalised part of column c
 *   orthogonal to columns 0..c-1, orthogonalised twice ("twice is enough": float32 MGS
 *   alone loses orthogonality when the columns are nearly parallel, as they are after
 *   a power step). A column that keeps at most 1e-3 of its norm (rank-deficient block,
 *   dead channels) or is zero is replaced by the first unit vector e_r whose residual
 *   has squared norm > 0.5 / rows (one always exists while c < rows), so the output is
 *   always orthonormal and deterministic. The reference executor runs the same
 *   algorithm (codegen/compression.py: orthonormalize). No scratch.
 */
#include <math.h>

#include "mdy_internal.h"

#define MDY_MGS_KEEP 1e-3f

static void remove_previous(float *u, uint32_t rows, uint32_t k, uint32_t col)
{
    for (uint32_t pass = 0; pass < 2u; ++pass) {
        for (uint32_t prev = 0; prev < col; ++prev) {
            float dot = 0.0f;
            for (uint32_t r = 0; r < rows; ++r) {
                dot += u[r * k + prev] * u[r * k + col];
            }
            for (uint32_t r = 0; r < rows; ++r) {
                u[r * k + col] -= dot * u[r * k + prev];
            }
        }
    }
}

static float column_norm(const float *u, uint32_t rows, uint32_t k, uint32_t col)
{
    float sq = 0.0f;
    for (uint32_t r = 0; r < rows; ++r) {
        sq += u[r * k + col] * u[r * k + col];
    }
    return sqrtf(sq);
}

void mdy_orthonormalize_f32(float *u, uint32_t rows, uint32_t k)
{
    for (uint32_t col = 0; col < k; ++col) {
        const float before = column_norm(u, rows, k, col);
        remove_previous(u, rows, k, col);
        float norm = column_norm(u, rows, k, col);
        if (before == 0.0f || norm <= MDY_MGS_KEEP * before) {
            for (uint32_t unit = 0; unit < rows; ++unit) {
                for (uint32_t r = 0; r < rows; ++r) {
                    u[r * k + col] = (r == unit) ? 1.0f : 0.0f;
                }
                remove_previous(u, rows, k, col);
                norm = column_norm(u, rows, k, col);
                if (norm * norm > 0.5f / (float)rows) {
                    break;
                }
            }
        }
        const float inv = 1.0f / norm;
        for (uint32_t r = 0; r < rows; ++r) {
            u[r * k + col] *= inv;
        }
    }
}
