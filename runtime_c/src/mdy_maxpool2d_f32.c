/*
 * mdy_maxpool2d_f32: max pooling of one sample.
 *   in [c][in_h][in_w], out [c][out_h][out_w] overwritten.
 *   argmax [c][out_h][out_w] (uint8) or NULL: index kh * k_w + kw inside the window of
 *   the maximum, for mdy_maxpool2d_grad_f32. Ties go to the FIRST maximum in row-major
 *   window order (as PyTorch). Padding never wins: padded taps are skipped, not read as
 *   -INF or 0. A window with no real input tap writes out = 0 and argmax = 255 (the
 *   backward pass ignores it), so k_h * k_w must be <= 255. No scratch.
 */
#include "mdy_internal.h"

void mdy_maxpool2d_f32(const float *in, const mdy_pool_params_t *p, float *out,
                       uint8_t *argmax)
{
    const int32_t in_h = p->in_h, in_w = p->in_w;
    const int32_t out_h = p->out_h, out_w = p->out_w;
    const size_t in_plane = (size_t)in_h * in_w;
    const size_t out_plane = (size_t)out_h * out_w;
    for (uint32_t ch = 0; ch < p->c; ++ch) {
        const float *x = in + ch * in_plane;
        for (int32_t oh = 0; oh < out_h; ++oh) {
            const int32_t ih0 = oh * p->stride_h - p->pad_top;
            for (int32_t ow = 0; ow < out_w; ++ow) {
                const int32_t iw0 = ow * p->stride_w - p->pad_left;
                float best = 0.0f;
                uint32_t best_idx = MDY_ARGMAX_NONE;
                for (int32_t kh = 0; kh < p->k_h; ++kh) {
                    const int32_t ih = ih0 + kh;
                    if (ih < 0 || ih >= in_h) {
                        continue;
                    }
                    for (int32_t kw = 0; kw < p->k_w; ++kw) {
                        const int32_t iw = iw0 + kw;
                        if (iw < 0 || iw >= in_w) {
                            continue;
                        }
                        const float v = x[ih * in_w + iw];
                        if (best_idx == MDY_ARGMAX_NONE || v > best) {
                            best = v;
                            best_idx = (uint32_t)(kh * p->k_w + kw);
                        }
                    }
                }
                const size_t o = ch * out_plane + (size_t)oh * out_w + ow;
                out[o] = best;
                if (argmax != NULL) {
                    argmax[o] = (uint8_t)best_idx;
                }
            }
        }
    }
}
