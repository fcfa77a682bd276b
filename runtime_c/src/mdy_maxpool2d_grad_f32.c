/*
 * mdy_maxpool2d_grad_f32: backward of mdy_maxpool2d_f32.
 *   dout, argmax [c][out_h][out_w] (argmax as written by the forward pass),
 *   din [c][in_h][in_w] OVERWRITTEN: zero, then every dout element is added at the input
 *   position its argmax names; overlapping windows accumulate. argmax 255 (a window of
 *   padding only) contributes nothing. No scratch.
 */
#include <string.h>

#include "mdy_internal.h"

void mdy_maxpool2d_grad_f32(const float *dout, const uint8_t *argmax,
                            const mdy_pool_params_t *p, float *din)
{
    const int32_t in_w = p->in_w;
    const size_t in_plane = (size_t)p->in_h * in_w;
    const size_t out_plane = (size_t)p->out_h * p->out_w;
    memset(din, 0, (size_t)p->c * in_plane * sizeof(float));
    for (uint32_t ch = 0; ch < p->c; ++ch) {
        float *dx = din + ch * in_plane;
        const float *dy = dout + ch * out_plane;
        const uint8_t *am = argmax + ch * out_plane;
        for (int32_t oh = 0; oh < p->out_h; ++oh) {
            for (int32_t ow = 0; ow < p->out_w; ++ow) {
                const size_t o = (size_t)oh * p->out_w + ow;
                if (am[o] == MDY_ARGMAX_NONE) {
                    continue;
                }
                const int32_t kh = am[o] / p->k_w;
                const int32_t kw = am[o] % p->k_w;
                const int32_t ih = oh * p->stride_h - p->pad_top + kh;
                const int32_t iw = ow * p->stride_w - p->pad_left + kw;
                dx[ih * in_w + iw] += dy[o];
            }
        }
    }
}
