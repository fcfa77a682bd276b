/*
 * mdy_conv2d_weight_grad_tucker_f32: the sparse-channel conv weight gradient from a
 *   Tucker block (mdy_tucker_t, h = in_h, w = in_w) instead of saved planes, without
 *   rebuilding them (arXiv 2411.06346's Z-path, looped so nothing grows with out_c):
 *   for every output channel o whose group holds a selected channel, and every tap row kh,
 *       Z1[b][ow]     = sum_oh u2[oh*sh + kh*dh - pt][b] dout[o][oh][ow]
 *   and every tap column kw,
 *       Z2[b][c]      = sum_ow u3[ow*sw + kw*dw - pl][c] Z1[b][ow]
 *       Z3[a][kh][kw] = sum_bc core[a][b][c] Z2[b][c]
 *   then slice_j[o_local][kh][kw] += sum_a u1[j][a] Z3[a][kh][kw] for each selected
 *   channel j of o's group (layout as mdy_conv2d_weight_grad_f32, ACCUMULATED).
 *   Out-of-range rows/columns (padding) contribute 0. Equals the exact weight gradient
 *   of the reconstructed activation. scratch:
 *   mdy_conv2d_weight_grad_tucker_f32_scratch_size(p, k1, k2, k3) bytes.
 */
#include <string.h>

#include "mdy_internal.h"

void mdy_conv2d_weight_grad_tucker_f32(const mdy_tucker_t *t, const uint16_t *channels,
                                       const float *dout, const mdy_conv_params_t *p,
                                       float *dw_slices, void *scratch)
{
    const uint32_t k1 = t->k1, k2 = t->k2, k3 = t->k3;
    const int32_t out_h = p->out_h, out_w = p->out_w;
    const uint32_t kh_n = p->k_h, kw_n = p->k_w, taps = kh_n * kw_n;
    const uint32_t icpg = p->in_c / p->groups, ocpg = p->out_c / p->groups;
    const size_t out_plane = (size_t)out_h * out_w;
    float *z1 = (float *)scratch;                     /* [k2][out_w] */
    float *z2 = z1 + (size_t)k2 * out_w;              /* [k2][k3] */
    float *z3 = z2 + (size_t)k2 * k3;                 /* [k1][kh][kw] */
    if (k1 == 0) {
        return;
    }
    for (uint32_t o = 0; o < p->out_c; ++o) {
        const uint32_t group = o / ocpg;
        uint32_t members = 0;
        for (uint32_t j = 0; j < t->n_sel; ++j) {
            members += (channels[j] / icpg == group) ? 1u : 0u;
        }
        if (members == 0) {
            continue;
        }
        const float *dy = dout + o * out_plane;
        for (uint32_t kh = 0; kh < kh_n; ++kh) {
            const int32_t off_h = (int32_t)(kh * p->dil_h) - p->pad_top;
            int32_t oh_lo, oh_hi;
            mdy_valid_range(off_h, p->stride_h, t->h, out_h, &oh_lo, &oh_hi);
            memset(z1, 0, sizeof(float) * k2 * (size_t)out_w);
            for (int32_t oh = oh_lo; oh < oh_hi; ++oh) {
                const float *u2_row = t->u2 + (size_t)(oh * p->stride_h + off_h) * k2;
                const float *g = dy + oh * out_w;
                for (uint32_t b = 0; b < k2; ++b) {
                    float *z1_b = z1 + (size_t)b * out_w;
                    for (int32_t ow = 0; ow < out_w; ++ow) {
                        z1_b[ow] += u2_row[b] * g[ow];
                    }
                }
            }
            for (uint32_t kw = 0; kw < kw_n; ++kw) {
                const int32_t off_w = (int32_t)(kw * p->dil_w) - p->pad_left;
                int32_t ow_lo, ow_hi;
                mdy_valid_range(off_w, p->stride_w, t->w, out_w, &ow_lo, &ow_hi);
                for (uint32_t b = 0; b < k2; ++b) {
                    for (uint32_t c = 0; c < k3; ++c) {
                        float acc = 0.0f;
                        for (int32_t ow = ow_lo; ow < ow_hi; ++ow) {
                            acc += t->u3[(size_t)(ow * p->stride_w + off_w) * k3 + c]
                                   * z1[(size_t)b * out_w + ow];
                        }
                        z2[b * k3 + c] = acc;
                    }
                }
                for (uint32_t a = 0; a < k1; ++a) {
                    const float *core_a = t->core + (size_t)a * k2 * k3;
                    float acc = 0.0f;
                    for (uint32_t i = 0; i < k2 * k3; ++i) {
                        acc += core_a[i] * z2[i];
                    }
                    z3[a * taps + kh * kw_n + kw] = acc;
                }
            }
        }
        const uint32_t o_local = o - group * ocpg;
        for (uint32_t j = 0; j < t->n_sel; ++j) {
            if (channels[j] / icpg != group) {
                continue;
            }
            float *dw = dw_slices + ((size_t)j * ocpg + o_local) * taps;
            const float *u1_j = t->u1 + (size_t)j * k1;
            for (uint32_t tap = 0; tap < taps; ++tap) {
                float acc = 0.0f;
                for (uint32_t a = 0; a < k1; ++a) {
                    acc += u1_j[a] * z3[a * taps + tap];
                }
                dw[tap] += acc;
            }
        }
    }
}
