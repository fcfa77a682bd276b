/*
 * mdy_avgpool2d_f32: average pooling of one sample.
 *   in [c][in_h][in_w], out [c][out_h][out_w] overwritten.
 * Divisor: count_include_pad != 0 -> k_h * k_w (padded taps count as zeros; the implied
 * bottom/right padding always covers the last window); otherwise the number of real
 * input taps in the window (a window with none writes 0). No scratch.
 */
#include "mdy_internal.h"

void mdy_avgpool2d_f32(const float *in, const mdy_pool_params_t *p, float *out)
{
    const int32_t in_h = p->in_h, in_w = p->in_w;
    const int32_t out_h = p->out_h, out_w = p->out_w;
    const size_t in_plane = (size_t)in_h * in_w;
    const size_t out_plane = (size_t)out_h * out_w;
    const float full_window = (float)((uint32_t)p->k_h * p->k_w);
    for (uint32_t ch = 0; ch < p->c; ++ch) {
        const float *x = in + ch * in_plane;
        for (int32_t oh = 0; oh < out_h; ++oh) {
            const int32_t ih0 = oh * p->stride_h - p->pad_top;
            for (int32_t ow = 0; ow < out_w; ++ow) {
                const int32_t iw0 = ow * p->stride_w - p->pad_left;
                float acc = 0.0f;
                uint32_t taps = 0;
                for (int32_t kh = 0; kh < p->k_h; ++kh) {
                    const int32_t ih = ih0 + kh;
                    if (ih < 0 || ih >= in_h) {
                        continue;
                    }
                    for (int32_t kw = 0; kw < p->k_w; ++kw) {
                        const int32_t iw = iw0 + kw;
                        if (iw >= 0 && iw < in_w) {
                            acc += x[ih * in_w + iw];
                            ++taps;
                        }
                    }
                }
                const float divisor = p->count_include_pad ? full_window : (float)taps;
                out[ch * out_plane + (size_t)oh * out_w + ow] =
                    divisor > 0.0f ? acc / divisor : 0.0f;
            }
        }
    }
}
