/*
 * mdy_orthonormal_start_f32: the deterministic start of a subspace iteration,
 *   u [rows][k] (k <= rows) = mdy_orthonormalize_f32 of
 *   v[r][c] = (h >> 8) * 2^-24 - 0.5,  h = hash(r, c, seed) (below; exact in float32),
 * a pseudo-random matrix (not orthogonal to any fixed subspace in practice) that the
 * reference executor reproduces bit for bit before its own orthonormalisation
 * (codegen/compression.py: orthonormal_start). No scratch.
 */
#include "mdy_internal.h"

static uint32_t start_hash(uint32_t row, uint32_t col, uint32_t seed)
{
    uint32_t h = (row * 73856093u) ^ (col * 19349663u) ^ ((seed + 1u) * 83492791u);
    h ^= h >> 13;
    h *= 0x5bd1e995u;
    h ^= h >> 15;
    return h;
}

void mdy_orthonormal_start_f32(float *u, uint32_t rows, uint32_t k, uint32_t seed)
{
    for (uint32_t r = 0; r < rows; ++r) {
        for (uint32_t c = 0; c < k; ++c) {
            u[r * k + c] = (float)(start_hash(r, c, seed) >> 8) * (1.0f / 16777216.0f) - 0.5f;
        }
    }
    mdy_orthonormalize_f32(u, rows, k);
}
