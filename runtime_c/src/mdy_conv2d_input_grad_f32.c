/*
 * mdy_conv2d_input_grad_f32: input gradient of mdy_conv2d_f32 (a transposed conv).
 *   dout [out_c][out_h][out_w]: gradient w.r.t. the conv output BEFORE its fused clamp
 *        (apply the clamp mask to dout first);
 *   w    [out_c][in_c / groups][k_h][k_w];
 *   din  [in_c][in_h][in_w] OVERWRITTEN (must not alias dout).
 * Any groups, stride, dilation, padding: each tap scatters a weight times a dout row
 * segment back to the input positions it read; the valid segment is computed once per
 * tap. Input rows/columns no window reads (stride > kernel, bottom crop) get 0.
 * No scratch.
 */
#include <string.h>

#include "mdy_grad_internal.h"

void mdy_conv2d_input_grad_f32(const float *dout, const mdy_conv_params_t *p,
                               const float *w, float *din)
{
    if (mdy_is_pointwise(p)) {
        mdy_conv_pointwise_input_grad_f32(dout, p, w, din);
        return;
    }
    /* tiny maps first (compile-time instances), then for depthwise: 3x3 stride 2 from
     * 2x2 dout blocks (any size), the padded plane (3x3 up to 32 wide, 5x5/7x7 up to
     * 10-12 wide at stride 1, 26-28 at stride 2), the phase path (wider 3x3 stride 1,
     * 5x5/7x7 stride 2), the flipped forward path (wider 5x5/7x7 stride 1) */
    if (mdy_conv_tiny_input_grad_f32(dout, p, w, din)) {
        return;
    }
    if (mdy_conv_depthwise_k3s2_input_grad_f32(dout, p, w, din)) {
        return;
    }
    if (mdy_conv_depthwise_plane_input_grad_f32(dout, p, w, din)) {
        return;
    }
    if (mdy_conv_depthwise_phase_input_grad_f32(dout, p, w, din)) {
        return;
    }
    if (mdy_conv_depthwise_input_grad_f32(dout, p, w, din)) {
        return;
    }
    if (!mdy_conv_mostly_padding(p)) {       /* else: the live taps below */
        if (mdy_conv_cols_input_grad_f32(dout, p, w, din)) {   /* stems; strided convs */
            return;
        }
        if (mdy_conv_kxk_input_grad_f32(dout, p, w, din)) {
            return;
        }
    }
    const int32_t in_w = p->in_w, out_w = p->out_w;
    const int32_t sh = p->stride_h, sw = p->stride_w;
    const uint32_t icpg = p->in_c / p->groups;
    const uint32_t ocpg = p->out_c / p->groups;
    const uint32_t taps = (uint32_t)p->k_h * p->k_w;
    const size_t in_plane = (size_t)p->in_h * in_w;
    const size_t out_plane = (size_t)p->out_h * out_w;
    memset(din, 0, (size_t)p->in_c * in_plane * sizeof(float));
    mdy_live_tap_t tab[MDY_LIVE_TAPS_MAX];
    for (uint32_t k0 = 0; k0 < taps; k0 += MDY_LIVE_TAPS_MAX) {
        const uint32_t n_live = mdy_conv_live_taps(p, k0, tab);
        for (uint32_t o = 0; o < p->out_c; ++o) {
            const float *dy = dout + o * out_plane;
            const uint32_t c0 = (o / ocpg) * icpg;
            for (uint32_t il = 0; il < icpg; ++il) {
                float *dx = din + (c0 + il) * in_plane;
                const float *wk = w + ((size_t)o * icpg + il) * taps;
                for (uint32_t j = 0; j < n_live; ++j) {
                    const mdy_conv_tap_t *t = &tab[j].t;
                    const float wv = wk[tab[j].k];
                    for (int32_t oh = t->oh_lo; oh < t->oh_hi; ++oh) {
                        float *x = dx + oh * sh * in_w + t->in_offset;
                        const float *g = dy + oh * out_w;
                        for (int32_t ow = t->ow_lo; ow < t->ow_hi; ++ow) {
                            x[ow * sw] += wv * g[ow];
                        }
                    }
                }
            }
        }
    }
}
