/*
 * mdy_conv2d_weight_grad_f32: sparse-channel weight gradient of mdy_conv2d_f32.
 *   saved     [n_sel][in_h][in_w]: plane j = input channel channels[j] (as written by
 *             mdy_gather_planes_f32 in the forward pass);
 *   channels  [n_sel] input channel indices, any order, no duplicates (n_sel may be 0);
 *   dout      [out_c][out_h][out_w], gradient before the fused clamp;
 *   dw_slices [n_sel][out_c / groups][k_h][k_w] ACCUMULATED: slice j holds
 *             dW[o][c % icpg][kh][kw] for the output channels o of c's group, o_local
 *             = o - group * (out_c / groups), with icpg = in_c / groups.
 *   dW[o][c%icpg][kh][kw] += sum_{oh,ow} x_c[oh*sh + kh*dh - pt][ow*sw + kw*dw - pl]
 *                                        * dout[o][oh][ow]   (out-of-range x = 0).
 * No scratch.
 */
#include "mdy_grad_internal.h"

void mdy_conv2d_weight_grad_f32(const float *saved, const uint16_t *channels,
                                uint32_t n_sel, const float *dout,
                                const mdy_conv_params_t *p, float *dw_slices)
{
    if (mdy_is_pointwise(p)) {
        mdy_conv_pointwise_weight_grad_f32(saved, channels, n_sel, dout, p, dw_slices);
        return;
    }
    if (mdy_conv_tiny_weight_grad_f32(saved, channels, n_sel, dout, p, dw_slices)) {
        return;
    }
    if (mdy_conv_depthwise_weight_grad_f32(saved, channels, n_sel, dout, p, dw_slices)) {
        return;
    }
    if (!mdy_conv_mostly_padding(p) &&      /* else: the live taps below */
        mdy_conv_kxk_weight_grad_f32(saved, channels, n_sel, dout, p, dw_slices)) {
        return;
    }
    const int32_t in_w = p->in_w, out_w = p->out_w;
    const int32_t sh = p->stride_h, sw = p->stride_w;
    const uint32_t icpg = p->in_c / p->groups;
    const uint32_t ocpg = p->out_c / p->groups;
    const size_t in_plane = (size_t)p->in_h * in_w;
    const size_t out_plane = (size_t)p->out_h * out_w;
    const uint32_t taps = (uint32_t)p->k_h * p->k_w;
    const size_t slice_len = ocpg * taps;
    mdy_live_tap_t tab[MDY_LIVE_TAPS_MAX];
    for (uint32_t k0 = 0; k0 < taps; k0 += MDY_LIVE_TAPS_MAX) {
        const uint32_t n_live = mdy_conv_live_taps(p, k0, tab);
        for (uint32_t j = 0; j < n_sel; ++j) {
            const float *x = saved + j * in_plane;
            const uint32_t o0 = (channels[j] / icpg) * ocpg;
            float *slice = dw_slices + j * slice_len;
            for (uint32_t ol = 0; ol < ocpg; ++ol) {
                const float *dy = dout + (o0 + ol) * out_plane;
                float *dw = slice + ol * taps;
                for (uint32_t q = 0; q < n_live; ++q) {
                    const mdy_conv_tap_t *t = &tab[q].t;
                    float acc = 0.0f;
                    for (int32_t oh = t->oh_lo; oh < t->oh_hi; ++oh) {
                        const float *xr = x + oh * sh * in_w + t->in_offset;
                        const float *g = dy + oh * out_w;
                        for (int32_t ow = t->ow_lo; ow < t->ow_hi; ++ow) {
                            acc += xr[ow * sw] * g[ow];
                        }
                    }
                    dw[tab[q].k] += acc;
                }
            }
        }
    }
}
