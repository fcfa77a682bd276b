/*
 * mdy_maxpool2d_s8: int8 max pooling of one sample (the scale and zero point are kept).
 *   in [c][in_h][in_w], out [c][out_h][out_w] overwritten. Padding never wins (padded
 *   taps are skipped); a window with no real tap writes zp (real 0). No scratch.
 */
#include "mdy_internal.h"

void mdy_maxpool2d_s8(const int8_t *in, const mdy_pool_params_t *p, int32_t zp, int8_t *out)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, out_h = p->out_h, out_w = p->out_w;
    const size_t in_plane = (size_t)in_h * in_w;
    const size_t out_plane = (size_t)out_h * out_w;
    for (uint32_t ch = 0; ch < p->c; ++ch) {
        const int8_t *x = in + ch * in_plane;
        for (int32_t oh = 0; oh < out_h; ++oh) {
            const int32_t ih0 = oh * p->stride_h - p->pad_top;
            for (int32_t ow = 0; ow < out_w; ++ow) {
                const int32_t iw0 = ow * p->stride_w - p->pad_left;
                int32_t best = -129;
                for (int32_t kh = 0; kh < p->k_h; ++kh) {
                    const int32_t ih = ih0 + kh;
                    if (ih < 0 || ih >= in_h) {
                        continue;
                    }
                    for (int32_t kw = 0; kw < p->k_w; ++kw) {
                        const int32_t iw = iw0 + kw;
                        if (iw >= 0 && iw < in_w && x[ih * in_w + iw] > best) {
                            best = x[ih * in_w + iw];
                        }
                    }
                }
                out[ch * out_plane + (size_t)oh * out_w + ow] = (int8_t)(best < -128 ? zp : best);
            }
        }
    }
}
