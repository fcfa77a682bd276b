/*
 * mdy_avgpool2d_grad_f32: backward of mdy_avgpool2d_f32 (same divisor rule).
 *   dout [c][out_h][out_w], din [c][in_h][in_w] OVERWRITTEN: zero, then each dout
 *   element divided by its window's divisor is added to every real input tap of the
 *   window (overlapping windows accumulate). No scratch.
 */
#include <string.h>

#include "mdy_internal.h"

void mdy_avgpool2d_grad_f32(const float *dout, const mdy_pool_params_t *p, float *din)
{
    const int32_t in_h = p->in_h, in_w = p->in_w;
    const int32_t out_h = p->out_h, out_w = p->out_w;
    const size_t in_plane = (size_t)in_h * in_w;
    const size_t out_plane = (size_t)out_h * out_w;
    const float full_window = (float)((uint32_t)p->k_h * p->k_w);
    memset(din, 0, (size_t)p->c * in_plane * sizeof(float));
    for (uint32_t ch = 0; ch < p->c; ++ch) {
        float *dx = din + ch * in_plane;
        const float *dy = dout + ch * out_plane;
        for (int32_t oh = 0; oh < out_h; ++oh) {
            int32_t kh_lo, kh_hi;
            /* taps kh with 0 <= oh * stride - pad + kh < in_h */
            const int32_t ih0 = oh * p->stride_h - p->pad_top;
            kh_lo = ih0 < 0 ? -ih0 : 0;
            kh_hi = in_h - ih0 < p->k_h ? in_h - ih0 : p->k_h;
            for (int32_t ow = 0; ow < out_w; ++ow) {
                const int32_t iw0 = ow * p->stride_w - p->pad_left;
                const int32_t kw_lo = iw0 < 0 ? -iw0 : 0;
                const int32_t kw_hi = in_w - iw0 < p->k_w ? in_w - iw0 : p->k_w;
                if (kh_hi <= kh_lo || kw_hi <= kw_lo) {
                    continue;
                }
                const float divisor = p->count_include_pad
                                          ? full_window
                                          : (float)((kh_hi - kh_lo) * (kw_hi - kw_lo));
                const float g = dy[(size_t)oh * out_w + ow] / divisor;
                for (int32_t kh = kh_lo; kh < kh_hi; ++kh) {
                    float *row = dx + (ih0 + kh) * in_w + iw0;
                    for (int32_t kw = kw_lo; kw < kw_hi; ++kw) {
                        row[kw] += g;
                    }
                }
            }
        }
    }
}
