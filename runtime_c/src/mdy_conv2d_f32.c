/*
 * mdy_conv2d_f32: out = clamp(conv2d(in, w) + bias) for one sample.
 *
 *   in   [in_c][in_h][in_w]                       (CHW, contiguous)
 *   w    [out_c][in_c / groups][k_h][k_w]         (ONNX order)
 *   bias [out_c] or NULL
 *   out  [out_c][out_h][out_w], overwritten; must not alias `in`.
 * Padding: pad_top/pad_left explicit, bottom/right implied by out_h/out_w; positions
 * outside the input read as zero. No scratch.
 *
 * Dispatch (all paths give the same result up to float summation order):
 *   - pointwise: 1x1, stride 1, no padding, same spatial size (any groups):
 *     a dot product per output element over the input channels;
 *   - depthwise: groups == in_c == out_c, square 3/5/7 kernel, stride 1 or 2,
 *     dilation 1: the window loop is specialised per kernel size so the compiler
 *     unrolls it, bounds checks only on the border;
 *   - im2col: dense, output rows narrower than 4 pixels, at most 16 output pixels
 *     (stems on tiny maps): the pointwise GEMM over an im2col copy;
 *   - KxK: the strip-buffered register-blocked path (dilated windows on maps smaller
 *     than the window included: its runtime window skips the taps that read padding);
 *   - generic: any groups, stride, dilation, padding.
 */
#include "mdy_internal.h"

/* One depthwise output pixel with bounds checks (border of the plane). */
static float depthwise_border_pixel(const float *plane, const float *wk, int32_t k,
                                    int32_t ih0, int32_t iw0, int32_t in_h, int32_t in_w)
{
    float acc = 0.0f;
    for (int32_t kh = 0; kh < k; ++kh) {
        const int32_t ih = ih0 + kh;
        if (ih < 0 || ih >= in_h) {
            continue;
        }
        for (int32_t kw = 0; kw < k; ++kw) {
            const int32_t iw = iw0 + kw;
            if (iw >= 0 && iw < in_w) {
                acc += wk[kh * k + kw] * plane[ih * in_w + iw];
            }
        }
    }
    return acc;
}

/* K and S are compile-time constants at every call site: always_inline lets the
 * compiler unroll the K x K interior window completely. */
MDY_ALWAYS_INLINE void conv_depthwise_ks(const float *in, const mdy_conv_params_t *p,
                                         const float *w, const float *bias, float *out,
                                         const int32_t K, const int32_t S)
{
    const int32_t in_h = p->in_h, in_w = p->in_w;
    const int32_t out_h = p->out_h, out_w = p->out_w;
    const int32_t pt = p->pad_top, pl = p->pad_left;
    int32_t oh_lo, oh_hi, ow_lo, ow_hi;
    /* Interior: the first AND the last tap of the window are inside the input. */
    mdy_valid_range(-pt, S, in_h, out_h, &oh_lo, &oh_hi);
    {
        int32_t lo2, hi2;
        mdy_valid_range(K - 1 - pt, S, in_h, out_h, &lo2, &hi2);
        oh_lo = oh_lo > lo2 ? oh_lo : lo2;
        oh_hi = oh_hi < hi2 ? oh_hi : hi2;
        mdy_valid_range(-pl, S, in_w, out_w, &ow_lo, &ow_hi);
        mdy_valid_range(K - 1 - pl, S, in_w, out_w, &lo2, &hi2);
        ow_lo = ow_lo > lo2 ? ow_lo : lo2;
        ow_hi = ow_hi < hi2 ? ow_hi : hi2;
    }
    if (oh_hi < oh_lo) {
        oh_hi = oh_lo;
    }
    if (ow_hi < ow_lo) {
        ow_hi = ow_lo;
    }
    for (uint32_t c = 0; c < p->in_c; ++c) {
        const float *plane = in + (size_t)c * in_h * in_w;
        const float *wk = w + (size_t)c * K * K;
        /* A local copy: the output stores cannot alias it, so the compiler may keep the
         * (3x3: all) weights in FPU registers across the row instead of reloading. */
        float wl[7 * 7];
        MDY_UNROLL
        for (int32_t t = 0; t < K * K; ++t) {
            wl[t] = wk[t];
        }
        const float b = bias ? bias[c] : 0.0f;
        float *out_plane = out + (size_t)c * out_h * out_w;
        for (int32_t oh = 0; oh < out_h; ++oh) {
            const int32_t ih0 = oh * S - pt;
            float *out_row = out_plane + oh * out_w;
            const int32_t interior_row = (oh >= oh_lo && oh < oh_hi);
            const int32_t run_lo = interior_row ? ow_lo : out_w;
            const int32_t run_hi = interior_row ? ow_hi : out_w;
            for (int32_t ow = 0; ow < out_w; ++ow) {
                if (ow == run_lo) {
                    /* interior run: whole window inside the input, fully unrolled */
                    const float *x = plane + ih0 * in_w + ow * S - pl;
                    for (; ow < run_hi; ++ow, x += S) {
                        float acc = b;
                        MDY_UNROLL
                        for (int32_t kh = 0; kh < K; ++kh) {
                            MDY_UNROLL
                            for (int32_t kw = 0; kw < K; ++kw) {
                                acc += wl[kh * K + kw] * x[kh * in_w + kw];
                            }
                        }
                        out_row[ow] = mdy_clampf(acc, p->act_min, p->act_max);
                    }
                    if (ow >= out_w) {
                        break;
                    }
                }
                const float acc =
                    depthwise_border_pixel(plane, wk, K, ih0, ow * S - pl, in_h, in_w);
                out_row[ow] = mdy_clampf(acc + b, p->act_min, p->act_max);
            }
        }
    }
}

static void conv_depthwise(const float *in, const mdy_conv_params_t *p, const float *w,
                           const float *bias, float *out)
{
    const int32_t k = p->k_h;
    const int32_t s = p->stride_h;
    if (k == 3) {
        if (s == 1) {
            conv_depthwise_ks(in, p, w, bias, out, 3, 1);
        } else {
            conv_depthwise_ks(in, p, w, bias, out, 3, 2);
        }
    } else if (k == 5) {
        if (s == 1) {
            conv_depthwise_ks(in, p, w, bias, out, 5, 1);
        } else {
            conv_depthwise_ks(in, p, w, bias, out, 5, 2);
        }
    } else {
        if (s == 1) {
            conv_depthwise_ks(in, p, w, bias, out, 7, 1);
        } else {
            conv_depthwise_ks(in, p, w, bias, out, 7, 2);
        }
    }
}

/* Generic path: for each (output channel, input channel, tap) add the weight times a
 * shifted input row segment to the output plane; the valid segment is computed once per
 * tap, so the inner loop has no bounds checks. */
static void conv_generic(const float *in, const mdy_conv_params_t *p, const float *w,
                         const float *bias, float *out)
{
    const int32_t in_w = p->in_w, out_w = p->out_w;
    const int32_t sh = p->stride_h, sw = p->stride_w;
    const uint32_t icpg = p->in_c / p->groups;
    const uint32_t ocpg = p->out_c / p->groups;
    const uint32_t taps = (uint32_t)p->k_h * p->k_w;
    const size_t in_plane = (size_t)p->in_h * in_w;
    const size_t out_plane_len = (size_t)p->out_h * out_w;
    for (uint32_t o = 0; o < p->out_c; ++o) {
        const float b = bias ? bias[o] : 0.0f;
        for (size_t i = 0; i < out_plane_len; ++i) {
            out[o * out_plane_len + i] = b;
        }
    }
    mdy_live_tap_t tab[MDY_LIVE_TAPS_MAX];
    for (uint32_t k0 = 0; k0 < taps; k0 += MDY_LIVE_TAPS_MAX) {
        const uint32_t n_live = mdy_conv_live_taps(p, k0, tab);
        for (uint32_t o = 0; o < p->out_c; ++o) {
            float *out_plane = out + o * out_plane_len;
            const uint32_t c0 = (o / ocpg) * icpg;
            for (uint32_t il = 0; il < icpg; ++il) {
                const float *plane = in + (c0 + il) * in_plane;
                const float *wk = w + ((size_t)o * icpg + il) * taps;
                for (uint32_t j = 0; j < n_live; ++j) {
                    const mdy_conv_tap_t *t = &tab[j].t;
                    const float wv = wk[tab[j].k];
                    for (int32_t oh = t->oh_lo; oh < t->oh_hi; ++oh) {
                        const float *x = plane + oh * sh * in_w + t->in_offset;
                        float *y = out_plane + oh * out_w;
                        for (int32_t ow = t->ow_lo; ow < t->ow_hi; ++ow) {
                            y[ow] += wv * x[ow * sw];
                        }
                    }
                }
            }
        }
    }
    for (size_t i = 0; i < (size_t)p->out_c * out_plane_len; ++i) {
        out[i] = mdy_clampf(out[i], p->act_min, p->act_max);
    }
}

static int is_fast_depthwise(const mdy_conv_params_t *p)
{
    const uint16_t k = p->k_h;
    return p->groups == p->in_c && p->in_c == p->out_c && k == p->k_w &&
           (k == 3 || k == 5 || k == 7) && p->stride_h == p->stride_w &&
           (p->stride_h == 1 || p->stride_h == 2) && p->dil_h == 1 && p->dil_w == 1;
}

void mdy_conv2d_f32(const float *in, const mdy_conv_params_t *p, const float *w,
                    const float *bias, float *out)
{
    if (mdy_is_pointwise(p)) {
        mdy_conv_pointwise_f32(in, p, w, bias, out);
    } else if (is_fast_depthwise(p)) {
        if (!mdy_conv_depthwise_f32(in, p, w, bias, out)) {
            conv_depthwise(in, p, w, bias, out);
        }
    } else if (!mdy_conv_im2col_f32(in, p, w, bias, out) &&
               !mdy_conv_kxk_f32(in, p, w, bias, out)) {
        conv_generic(in, p, w, bias, out);
    }
}
