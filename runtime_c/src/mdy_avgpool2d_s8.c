/*
 * mdy_avgpool2d_s8: int8 average pooling of one sample (scale and zero point kept).
 *   in [c][in_h][in_w], out [c][out_h][out_w] overwritten.
 *   out = clamp(zp + round(sum (in - zp) / count)), rounding half away from zero
 *   ((sum +- count/2) / count in C, as TFLite's int8 pooling). count: k_h * k_w if
 *   count_include_pad (padded taps are real 0), else the real taps (none: writes zp).
 */
#include "mdy_internal.h"

void mdy_avgpool2d_s8(const int8_t *in, const mdy_pool_params_t *p, int32_t zp, int8_t *out)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, out_h = p->out_h, out_w = p->out_w;
    const size_t in_plane = (size_t)in_h * in_w;
    const size_t out_plane = (size_t)out_h * out_w;
    const int32_t full = (int32_t)p->k_h * p->k_w;
    for (uint32_t ch = 0; ch < p->c; ++ch) {
        const int8_t *x = in + ch * in_plane;
        for (int32_t oh = 0; oh < out_h; ++oh) {
            const int32_t ih0 = oh * p->stride_h - p->pad_top;
            for (int32_t ow = 0; ow < out_w; ++ow) {
                const int32_t iw0 = ow * p->stride_w - p->pad_left;
                int32_t sum = 0, taps = 0;
                for (int32_t kh = 0; kh < p->k_h; ++kh) {
                    const int32_t ih = ih0 + kh;
                    if (ih < 0 || ih >= in_h) {
                        continue;
                    }
                    for (int32_t kw = 0; kw < p->k_w; ++kw) {
                        const int32_t iw = iw0 + kw;
                        if (iw >= 0 && iw < in_w) {
                            sum += (int32_t)x[ih * in_w + iw] - zp;
                            ++taps;
                        }
                    }
                }
                const int32_t count = p->count_include_pad ? full : taps;
                int32_t v = zp;
                if (count > 0) {
                    v += (sum >= 0 ? sum + count / 2 : sum - count / 2) / count;
                }
                v = v < -128 ? -128 : (v > 127 ? 127 : v);
                out[ch * out_plane + (size_t)oh * out_w + ow] = (int8_t)v;
            }
        }
    }
}
