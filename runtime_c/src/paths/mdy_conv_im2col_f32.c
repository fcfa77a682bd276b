/*
 * mdy_conv_im2col_f32 (internal path of mdy_conv2d_f32): a dense (groups == 1) KxK
 * convolution whose output rows are narrower than the KxK path's 4-pixel block (out_w
 * < 4: the 1- and 3-channel stems on 2x2..6x6 maps) and whose output is at most 16
 * pixels. The KxK path runs such rows as 2- and 1-pixel C blocks; here the input is
 * unrolled once into col [in_c * k_h * k_w][out_h * out_w] (zeros for padded taps,
 * gathered from a zero-padded copy of each plane's window area) in a stack buffer of
 * MDY_CONV_STRIP_FLOATS floats, and the layer is the pointwise GEMM
 * out[o][p] = clamp(bias[o] + sum_t w[o][t] col[t][p]) over it: the ONNX weight
 * [O][I][KH][KW] is already the [O][T] matrix with t = (i KH + kh) KW + kw, so the
 * pointwise path's 4 x 4 register blocks (a GEMM on a 1x1 map) run unchanged.
 * Single-channel stems with wider rows (col_strips) run the same way a strip of output
 * rows at a time. Returns 0 (nothing written) when the shape does not qualify.
 */
#include "../mdy_internal.h"

/* the layer as the pointwise conv over col [taps][out_h * out_w] */
static void col_gemm(const float *col, const mdy_conv_params_t *p, uint32_t taps,
                     const float *w, const float *bias, float *out)
{
    mdy_conv_params_t q = *p;
    q.in_c = (uint16_t)taps;
    q.in_h = p->out_h;
    q.in_w = p->out_w;
    q.k_h = q.k_w = 1u;
    q.stride_h = q.stride_w = 1u;
    q.pad_top = q.pad_left = 0u;
    q.dil_h = q.dil_w = 1u;
    mdy_conv_pointwise_f32(col, &q, w, bias, out);
}

/* Single-channel stems with output rows of 4+ pixels, in strips of whole output rows:
 * col [taps][strip rows * out_w] is gathered straight from the plane (zeros outside it,
 * a strided copy inside: one valid column range per kw), then the pointwise GEMM writes
 * the strip's rows of every output plane (its output planes stay out_h * out_w apart).
 * The KxK path's 4 x 4 blocks load each input row once per block but pay a strip copy
 * and C tails for the last 1-3 pixels of a row; here a MAC costs the pointwise block's
 * ~1.7 instructions plus 2 / out_c for the gather. */
#define STRIP_MAX_KW 7

/* n values src[0], src[st], ... to dst (S: the column stride if compile-time, else 0 and
 * st at run time); 4 per iteration */
MDY_ALWAYS_INLINE void copy_cols(float *MDY_RESTRICT dst, const float *MDY_RESTRICT src,
                                 uint32_t n, int32_t st_rt, const int S)
{
    const int32_t st = S ? S : st_rt;
    for (; n >= 4u; n -= 4u, dst += 4, src += 4 * st) {
        const float a = src[0], b = src[st], c = src[2 * st], d = src[3 * st];
        dst[0] = a;
        dst[1] = b;
        dst[2] = c;
        dst[3] = d;
    }
    for (; n != 0u; --n, src += st) {
        *dst++ = *src;
    }
}

/* col [k_h k_w][rows][out_w] of output rows oh0.. (column stride S as copy_cols) */
MDY_ALWAYS_INLINE void gather_strip(float *MDY_RESTRICT dst, const float *in,
                                    const mdy_conv_params_t *p, const int32_t *ow_lo,
                                    const int32_t *ow_hi, uint32_t oh0, uint32_t rows,
                                    const int S)
{
    const uint32_t out_w = p->out_w, k_h = p->k_h, k_w = p->k_w;
    const int32_t sh = p->stride_h, sw = p->stride_w, in_h = p->in_h, in_w = p->in_w;
    const int32_t pt = p->pad_top, pl = p->pad_left;
    for (uint32_t kh = 0; kh < k_h; ++kh) {
        for (uint32_t kw = 0; kw < k_w; ++kw) {
            const uint32_t lo = (uint32_t)ow_lo[kw], hi = (uint32_t)ow_hi[kw];
            const int32_t col0 = (int32_t)lo * (S ? S : sw) + (int32_t)kw - pl;
            for (uint32_t r = 0; r < rows; ++r, dst += out_w) {
                const int32_t ih = (int32_t)(oh0 + r) * sh + (int32_t)kh - pt;
                /* the zeros as volatile stores: a few each, where GCC calls memset */
                volatile float *z = dst;
                uint32_t ow = 0;
                if (ih >= 0 && ih < in_h) {
                    for (; ow < lo; ++ow) {
                        z[ow] = 0.0f;
                    }
                    copy_cols(dst + lo, in + ih * in_w + col0, hi - lo, sw, S);
                    ow = hi;
                }
                for (; ow < out_w; ++ow) {
                    z[ow] = 0.0f;
                }
            }
        }
    }
}

static int col_strips(const float *in, const mdy_conv_params_t *p, const float *w,
                      const float *bias, float *out)
{
    const uint32_t out_h = p->out_h, out_w = p->out_w, k_w = p->k_w;
    const uint32_t taps = (uint32_t)p->k_h * k_w;
    const uint32_t strip = MDY_CONV_STRIP_FLOATS / (taps * out_w);
    if (strip == 0u) {
        return 0;
    }
    int32_t ow_lo[STRIP_MAX_KW], ow_hi[STRIP_MAX_KW];
    for (uint32_t kw = 0; kw < k_w; ++kw) {
        mdy_valid_range((int32_t)kw - (int32_t)p->pad_left, p->stride_w, p->in_w,
                        (int32_t)out_w, &ow_lo[kw], &ow_hi[kw]);
    }
    float col[MDY_CONV_STRIP_FLOATS];
    mdy_conv_params_t q = *p;
    q.in_c = (uint16_t)taps;
    q.in_w = (uint16_t)out_w;
    q.k_h = q.k_w = 1u;
    q.stride_h = q.stride_w = 1u;
    q.pad_top = q.pad_left = 0u;
    for (uint32_t oh0 = 0; oh0 < out_h; oh0 += strip) {
        const uint32_t rows = out_h - oh0 < strip ? out_h - oh0 : strip;
        if (p->stride_w == 1u) {
            gather_strip(col, in, p, ow_lo, ow_hi, oh0, rows, 1);
        } else if (p->stride_w == 2u) {
            gather_strip(col, in, p, ow_lo, ow_hi, oh0, rows, 2);
        } else {
            gather_strip(col, in, p, ow_lo, ow_hi, oh0, rows, 0);
        }
        q.in_h = (uint16_t)rows;
        mdy_conv_pointwise_f32(col, &q, w, bias, out + oh0 * out_w);
    }
    return 1;
}

int mdy_conv_im2col_f32(const float *in, const mdy_conv_params_t *p, const float *w,
                        const float *bias, float *out)
{
    const uint32_t n_pix = (uint32_t)p->out_h * p->out_w;
    const uint32_t taps = (uint32_t)p->in_c * p->k_h * p->k_w;
    if (p->groups == 1u && p->in_c == 1u && p->out_w >= 4u && p->k_w <= STRIP_MAX_KW &&
        p->dil_h == 1u && p->dil_w == 1u) {
        return col_strips(in, p, w, bias, out);
    }
    if (p->groups != 1u || p->out_w >= 4u || n_pix > 16u ||
        taps * n_pix > MDY_CONV_STRIP_FLOATS || taps > 0xFFFFu) {
        return 0;
    }
    /* each channel's zero-padded window area (rows x pw) after col, then a gather with
     * one offset per tap and per pixel: no bounds checks per value */
    const uint32_t rows =
        (uint32_t)(p->out_h - 1) * p->stride_h + (uint32_t)(p->k_h - 1) * p->dil_h + 1u;
    const uint32_t pw =
        (uint32_t)(p->out_w - 1) * p->stride_w + (uint32_t)(p->k_w - 1) * p->dil_w + 1u;
    if (taps * n_pix + p->in_c * rows * pw > MDY_CONV_STRIP_FLOATS) {
        return 0;
    }
    float col[MDY_CONV_STRIP_FLOATS];
    if (n_pix == 1u) {
        /* one output pixel (stride-2 stems on 2x2): col is the window; zeros, then only
         * the taps inside the plane (a contiguous range of kw for every kh) */
        const int32_t ih0 = -(int32_t)p->pad_top, iw0 = -(int32_t)p->pad_left;
        const int32_t ih_n = p->in_h, iw_n = p->in_w, dh = p->dil_h, dwv = p->dil_w;
        const int32_t k_h = p->k_h, k_w = p->k_w;
        const uint32_t in_c = p->in_c;
        const size_t plane_n = (size_t)p->in_h * p->in_w;
        int32_t kw_lo = k_w, kw_hi = 0;
        for (int32_t kw = 0; kw < k_w; ++kw) {
            const int32_t iw = iw0 + kw * dwv;
            if (iw >= 0 && iw < iw_n) {
                kw_lo = kw < kw_lo ? kw : kw_lo;
                kw_hi = kw + 1;
            }
        }
        for (uint32_t t = 0; t < taps; ++t) {
            ((volatile float *)col)[t] = 0.0f;   /* a few stores, not a memset call */
        }
        for (uint32_t i = 0; i < in_c; ++i) {
            const float *plane = in + i * plane_n;
            float *d = col + i * (uint32_t)(k_h * k_w);
            for (int32_t kh = 0; kh < k_h; ++kh, d += k_w) {
                const int32_t ih = ih0 + kh * dh;
                if (ih < 0 || ih >= ih_n) {
                    continue;
                }
                for (int32_t kw = kw_lo; kw < kw_hi; ++kw) {
                    d[kw] = plane[ih * iw_n + iw0 + kw * dwv];
                }
            }
        }
        col_gemm(col, p, taps, w, bias, out);
        return 1;
    }
    float *pad = col + taps * n_pix;
    const size_t in_plane = (size_t)p->in_h * p->in_w;
    for (uint32_t i = 0; i < p->in_c; ++i) {
        mdy_copy_padded_rows(pad + i * rows * pw, in + i * in_plane, p->in_h, p->in_w,
                             -(int32_t)p->pad_top, rows, -(int32_t)p->pad_left, pw);
    }
    /* locals: the stores through dst may alias *p for the compiler */
    const uint32_t out_h = p->out_h, out_w = p->out_w, in_c = p->in_c;
    const uint32_t k_h = p->k_h, k_w = p->k_w;
    const uint32_t row_step = p->stride_h * pw, col_step = p->stride_w;
    const uint32_t tap_h = p->dil_h * pw, tap_w = p->dil_w;
    uint32_t pix_off[16];
    for (uint32_t oh = 0, n = 0; oh < out_h; ++oh) {
        for (uint32_t ow = 0; ow < out_w; ++ow, ++n) {
            pix_off[n] = oh * row_step + ow * col_step;
        }
    }
    float *dst = col;
    for (uint32_t i = 0; i < in_c; ++i) {
        const float *src_c = pad + i * rows * pw;
        for (uint32_t kh = 0; kh < k_h; ++kh) {
            const float *src = src_c + kh * tap_h;
            if (n_pix == 4u) {
                /* 2x2 outputs (the common case): the pixel offsets stay in registers */
                const uint32_t o0 = pix_off[0], o1 = pix_off[1];
                const uint32_t o2 = pix_off[2], o3 = pix_off[3];
                for (uint32_t kw = 0; kw < k_w; ++kw, src += tap_w, dst += 4) {
                    const float a = src[o0], b = src[o1], c = src[o2], d = src[o3];
                    dst[0] = a;
                    dst[1] = b;
                    dst[2] = c;
                    dst[3] = d;
                }
                continue;
            }
            for (uint32_t kw = 0; kw < k_w; ++kw, src += tap_w, dst += n_pix) {
                for (uint32_t n = 0; n < n_pix; ++n) {
                    dst[n] = src[pix_off[n]];
                }
            }
        }
    }
    col_gemm(col, p, taps, w, bias, out);
    return 1;
}
