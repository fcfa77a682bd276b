/*
 * mdy_tucker_core_f32: t->core [k1][k2][k3] = A x1 u1^T x2 u2^T x3 u3^T (OVERWRITES),
 *   A[j][y][x] = act[channels[j] * h * w + y * w + x]. One channel plane at a time:
 *       T [h][k3]  = plane u3,   P [k2][k3] = u2^T T,   core[a] += u1[j][a] P,
 *   so the scratch is independent of n_sel. Does nothing but zero the core when the
 *   block is empty. scratch: mdy_tucker_core_f32_scratch_size(h, k2, k3) bytes.
 */
#include <string.h>

#include "mdy_internal.h"

void mdy_tucker_core_f32(const float *act, const uint16_t *channels, const mdy_tucker_t *t,
                         void *scratch)
{
    const uint32_t h = t->h, w = t->w, k1 = t->k1, k2 = t->k2, k3 = t->k3;
    float *rows_by_k3 = (float *)scratch;                 /* T [h][k3] */
    float *small = rows_by_k3 + (size_t)h * k3;           /* P [k2][k3] */
    memset(t->core, 0, sizeof(float) * k1 * k2 * k3);
    for (uint32_t j = 0; j < t->n_sel && k1 != 0; ++j) {
        const float *plane = act + (size_t)channels[j] * h * w;
        for (uint32_t y = 0; y < h; ++y) {
            for (uint32_t c = 0; c < k3; ++c) {
                float acc = 0.0f;
                for (uint32_t x = 0; x < w; ++x) {
                    acc += plane[y * w + x] * t->u3[x * k3 + c];
                }
                rows_by_k3[y * k3 + c] = acc;
            }
        }
        for (uint32_t b = 0; b < k2; ++b) {
            for (uint32_t c = 0; c < k3; ++c) {
                float acc = 0.0f;
                for (uint32_t y = 0; y < h; ++y) {
                    acc += t->u2[y * k2 + b] * rows_by_k3[y * k3 + c];
                }
                small[b * k3 + c] = acc;
            }
        }
        for (uint32_t a = 0; a < k1; ++a) {
            const float weight = t->u1[j * k1 + a];
            float *core_a = t->core + (size_t)a * k2 * k3;
            for (uint32_t i = 0; i < k2 * k3; ++i) {
                core_a[i] += weight * small[i];
            }
        }
    }
}
