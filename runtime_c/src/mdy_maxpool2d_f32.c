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

/* 2x2 windows, stride 2, no padding, every window inside the input (the CNN pools):
 * no bounds checks, the same compare sequence as the general loop (first maximum wins,
 * a NaN in the first tap stays) -- about 20 instructions per output instead of 100. */
MDY_ALWAYS_INLINE void maxpool_2x2(const float *MDY_RESTRICT in, const mdy_pool_params_t *p,
                                   float *MDY_RESTRICT out, uint8_t *MDY_RESTRICT argmax,
                                   const int WITH_ARGMAX)
{
    const uint32_t in_w = p->in_w, out_h = p->out_h, out_w = p->out_w;
    const size_t in_plane = (size_t)p->in_h * in_w;
    for (uint32_t ch = 0; ch < p->c; ++ch) {
        const float *x = in + ch * in_plane;
        for (uint32_t oh = 0; oh < out_h; ++oh) {
            const float *r0 = x + 2u * oh * in_w;
            const float *r1 = r0 + in_w;
            for (uint32_t ow = 0; ow < out_w; ++ow, r0 += 2, r1 += 2) {
                float best = r0[0];
                uint32_t idx = 0;
                if (r0[1] > best) {
                    best = r0[1];
                    idx = 1;
                }
                if (r1[0] > best) {
                    best = r1[0];
                    idx = 2;
                }
                if (r1[1] > best) {
                    best = r1[1];
                    idx = 3;
                }
                *out++ = best;
                if (WITH_ARGMAX) {
                    *argmax++ = (uint8_t)idx;
                }
            }
        }
    }
}

void mdy_maxpool2d_f32(const float *in, const mdy_pool_params_t *p, float *out,
                       uint8_t *argmax)
{
    if (p->k_h == 2u && p->k_w == 2u && p->stride_h == 2u && p->stride_w == 2u &&
        p->pad_top == 0u && p->pad_left == 0u && 2u * p->out_h <= p->in_h &&
        2u * p->out_w <= p->in_w) {
        if (argmax != NULL) {
            maxpool_2x2(in, p, out, argmax, 1);
        } else {
            maxpool_2x2(in, p, out, NULL, 0);
        }
        return;
    }
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
