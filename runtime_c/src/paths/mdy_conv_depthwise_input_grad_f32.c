/*
 * mdy_conv_depthwise_input_grad_f32 (internal path of mdy_conv2d_input_grad_f32):
 * depthwise (groups == in_c == out_c), square 3/5/7 window, stride 1, no dilation,
 * pad_top/pad_left <= K - 1. With stride 1 the input gradient of a channel is the
 * forward depthwise conv of its dout plane with the window flipped and the padding
 * mirrored (K - 1 - pad), so it runs on the strip-buffered forward path: no bounds
 * checks, any map size. Returns 0 (nothing written) when the shape does not qualify
 * or the rows do not fit the strip buffer; the caller then runs the generic path.
 */
#include <math.h>

#include "../mdy_internal.h"

int mdy_conv_depthwise_input_grad_f32(const float *dout, const mdy_conv_params_t *p,
                                      const float *w, float *din)
{
    const uint32_t k = p->k_h;
    if (!(p->groups == p->in_c && p->in_c == p->out_c && k == p->k_w &&
          (k == 3u || k == 5u || k == 7u) && p->stride_h == 1u && p->stride_w == 1u &&
          p->dil_h == 1u && p->dil_w == 1u && p->pad_top < k && p->pad_left < k)) {
        return 0;
    }
    mdy_conv_params_t q = *p;
    q.in_c = q.out_c = q.groups = 1u;
    q.in_h = p->out_h;
    q.in_w = p->out_w;
    q.out_h = p->in_h;
    q.out_w = p->in_w;
    q.pad_top = (uint16_t)(k - 1u - p->pad_top);
    q.pad_left = (uint16_t)(k - 1u - p->pad_left);
    q.act_min = -INFINITY;
    q.act_max = INFINITY;
    const uint32_t taps = k * k;
    const size_t in_plane = (size_t)p->in_h * p->in_w;
    const size_t out_plane = (size_t)p->out_h * p->out_w;
    float flipped[49];
    for (uint32_t c = 0; c < p->in_c; ++c) {
        const float *wk = w + (size_t)c * taps;
        for (uint32_t t = 0; t < taps; ++t) {
            flipped[t] = wk[taps - 1u - t];
        }
        if (!mdy_conv_depthwise_f32(dout + c * out_plane, &q, flipped, NULL, din + c * in_plane)) {
            return 0;   /* same shape for every channel: fails on the first or never */
        }
    }
    return 1;
}
