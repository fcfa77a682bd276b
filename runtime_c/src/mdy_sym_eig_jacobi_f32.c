/*
 * mdy_sym_eig_jacobi_f32: eigen-decomposition of a symmetric a [n][n] (row-major,
 *   DESTROYED: it is diagonalised in place) by cyclic Jacobi rotations, at most
 *   max_sweeps sweeps over the (p, q) pairs. vals [n] = eigenvalues sorted descending,
 *   vecs [n][n] row-major with the eigenvector of vals[i] in column i (orthonormal).
 *   Why Jacobi: the matrices are small (a mode's Gram matrix: n_sel, h or w rows), it
 *   needs no scratch beyond the caller's arrays, and its eigenvectors are orthogonal to
 *   float rounding even for clustered eigenvalues. A sweep stops early once the
 *   off-diagonal mass is negligible against the diagonal.
 */
#include <math.h>

#include "mdy_internal.h"

static void rotate(float *a, float *vecs, uint32_t n, uint32_t p, uint32_t q)
{
    const float apq = a[p * n + q];
    const float theta = (a[q * n + q] - a[p * n + p]) / (2.0f * apq);
    const float t = (theta >= 0.0f ? 1.0f : -1.0f) / (fabsf(theta) + sqrtf(theta * theta + 1.0f));
    const float c = 1.0f / sqrtf(t * t + 1.0f), s = t * c;
    for (uint32_t k = 0; k < n; ++k) {          /* A <- A P (columns p, q) */
        const float akp = a[k * n + p], akq = a[k * n + q];
        a[k * n + p] = c * akp - s * akq;
        a[k * n + q] = s * akp + c * akq;
    }
    for (uint32_t k = 0; k < n; ++k) {          /* A <- P^T A (rows p, q) */
        const float apk = a[p * n + k], aqk = a[q * n + k];
        a[p * n + k] = c * apk - s * aqk;
        a[q * n + k] = s * apk + c * aqk;
    }
    a[p * n + q] = 0.0f;
    a[q * n + p] = 0.0f;
    for (uint32_t k = 0; k < n; ++k) {          /* V <- V P */
        const float vkp = vecs[k * n + p], vkq = vecs[k * n + q];
        vecs[k * n + p] = c * vkp - s * vkq;
        vecs[k * n + q] = s * vkp + c * vkq;
    }
}

void mdy_sym_eig_jacobi_f32(float *a, uint32_t n, uint32_t max_sweeps, float *vals, float *vecs)
{
    for (uint32_t i = 0; i < n * n; ++i) {
        vecs[i] = 0.0f;
    }
    for (uint32_t i = 0; i < n; ++i) {
        vecs[i * n + i] = 1.0f;
    }
    for (uint32_t sweep = 0; sweep < max_sweeps; ++sweep) {
        float off = 0.0f, diag = 0.0f;
        for (uint32_t p = 0; p < n; ++p) {
            diag += a[p * n + p] * a[p * n + p];
            for (uint32_t q = p + 1; q < n; ++q) {
                off += a[p * n + q] * a[p * n + q];
            }
        }
        if (off <= 1e-14f * diag || off == 0.0f) {
            break;
        }
        for (uint32_t p = 0; p + 1 < n; ++p) {
            for (uint32_t q = p + 1; q < n; ++q) {
                const float apq = a[p * n + q];
                const float g = 100.0f * fabsf(apq);
                /* negligible against both diagonal entries: rotating changes nothing */
                if (apq == 0.0f || (fabsf(a[p * n + p]) + g == fabsf(a[p * n + p])
                                    && fabsf(a[q * n + q]) + g == fabsf(a[q * n + q]))) {
                    a[p * n + q] = 0.0f;
                    a[q * n + p] = 0.0f;
                    continue;
                }
                rotate(a, vecs, n, p, q);
            }
        }
    }
    for (uint32_t i = 0; i < n; ++i) {
        vals[i] = a[i * n + i];
    }
    for (uint32_t i = 0; i + 1 < n; ++i) {      /* selection sort, descending */
        uint32_t best = i;
        for (uint32_t j = i + 1; j < n; ++j) {
            best = vals[j] > vals[best] ? j : best;
        }
        if (best != i) {
            const float v = vals[i];
            vals[i] = vals[best];
            vals[best] = v;
            for (uint32_t k = 0; k < n; ++k) {
                const float e = vecs[k * n + i];
                vecs[k * n + i] = vecs[k * n + best];
                vecs[k * n + best] = e;
            }
        }
    }
}
