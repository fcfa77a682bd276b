/*
 * mdy_conv_s8_depthwise: int8 depthwise convolution (groups == in_c == out_c, kernel up
 * to 7x7, any stride and padding, dilation 1). Per channel, a strip of input rows is
 * copied once into int16 (offset by the input zero point, padding as 0, one spare
 * column), so the window loop has no bounds checks at any map size down to 1x1; each
 * kernel row is ceil(kw/2) SMLADs of a weight pair (w[kw], w[kw+1]) with two adjacent
 * activations (one unaligned word load). Square 3x3/5x5/7x7 kernels with stride_w 1
 * or 2 go to mdy_conv_s8_dw_tiny (tiny maps), mdy_conv_s8_dw3_small (3x3 stride 1 on
 * 5..9 maps) or mdy_conv_s8_dw_strip (int8 strips, zero point folded into the bias) first;
 * this loop serves the other shapes; a 1x1 map with a 1x1 output is one product per
 * channel (mdy_s8_dw_one). Returns 0 (nothing written) for shapes neither
 * handles.
 */
#include "../mdy_s8_internal.h"

#define MDY_S8_DW_MAX_K 7
#define MDY_S8_DW_MAX_PAIRS ((MDY_S8_DW_MAX_K + 1) / 2)

/* `rows` output rows from the padded strip buf [..][pw], two output pixels per step
 * (stride_w 2: the second pixel's first word is the first pixel's second); kh_n, pairs
 * and sw are constants when inlined from the unrolled cases. */
MDY_ALWAYS_INLINE void mdy_s8_dw_rows(const int16_t *buf, uint32_t pw, const int32_t *wp,
                                      int32_t kh_n, int32_t pairs, int32_t sh, int32_t sw,
                                      int32_t rows, int32_t out_w, int32_t b,
                                      const mdy_s8_rq_t *rq, const mdy_s8_requant_t *q,
                                      int8_t *y)
{
    const int32_t lo = q->act_min, hi = q->act_max;
    const mdy_s8_rq_t r = *rq;
    int32_t wr[MDY_S8_DW_MAX_K * MDY_S8_DW_MAX_PAIRS];
    MDY_UNROLL
    for (int32_t i = 0; i < kh_n * pairs; ++i) {
        wr[i] = wp[i];
    }
    for (int32_t row = 0; row < rows; ++row) {
        const int16_t *base = buf + (size_t)row * sh * pw;
        int8_t *yr = y + (size_t)row * out_w;
        int32_t ow = 0;
        for (; ow + 2 <= out_w; ow += 2) {
            const int16_t *x = base + ow * sw;
            int32_t a0 = b, a1 = b;
            MDY_UNROLL
            for (int32_t kh = 0; kh < kh_n; ++kh) {
                MDY_UNROLL
                for (int32_t j = 0; j < pairs; ++j) {
                    a0 = mdy_mac2(a0, wr[kh * pairs + j], x + (size_t)kh * pw + 2 * j);
                    a1 = mdy_mac2(a1, wr[kh * pairs + j], x + sw + (size_t)kh * pw + 2 * j);
                }
            }
            const int8_t y0 = mdy_s8_finish(a0, &r, lo, hi);
            const int8_t y1 = mdy_s8_finish(a1, &r, lo, hi);
            yr[ow] = y0;
            yr[ow + 1] = y1;
        }
        if (ow < out_w) {
            const int16_t *x = base + ow * sw;
            int32_t a0 = b;
            MDY_UNROLL
            for (int32_t kh = 0; kh < kh_n; ++kh) {
                MDY_UNROLL
                for (int32_t j = 0; j < pairs; ++j) {
                    a0 = mdy_mac2(a0, wr[kh * pairs + j], x + (size_t)kh * pw + 2 * j);
                }
            }
            yr[ow] = mdy_s8_finish(a0, &r, lo, hi);
        }
    }
}

/* Input rows [ih0, ih0 + n) x columns [-pad_left, -pad_left + pw) of one plane, minus
 * zp, 0 outside the plane. Only the in-plane cells are written: the caller zeroed the
 * buffer once and, with a single strip per channel, padding cells stay zero across
 * channels; with several strips (rezero) rows outside the plane are cleared again. */
static void mdy_s8_dw_fill(int16_t *buf, uint32_t pw, const int8_t *plane, int32_t in_h,
                           int32_t in_w, int32_t ih0, int32_t n, int32_t pad_left, int32_t zp,
                           int rezero)
{
    const int32_t lo = pad_left < (int32_t)pw ? pad_left : (int32_t)pw;
    const int32_t hi = pad_left + in_w < (int32_t)pw ? pad_left + in_w : (int32_t)pw;
    for (int32_t r = 0; r < n; ++r) {
        int16_t *dst = buf + (size_t)r * pw;
        const int32_t ih = ih0 + r;
        if (ih < 0 || ih >= in_h) {
            if (rezero) {
                memset(dst, 0, pw * sizeof(int16_t));
            }
            continue;
        }
        const int8_t *src = plane + (size_t)ih * in_w - pad_left;
        for (int32_t i = lo; i < hi; ++i) {
            dst[i] = (int16_t)(src[i] - zp);
        }
    }
}

/* Every channel: its weight pairs, then strip by strip the padded rows and the
 * windows. KH/KW/SW are constants in the unrolled instances below. */
MDY_ALWAYS_INLINE void mdy_s8_dw_body(const int8_t *in, const mdy_conv_params_t *p,
                                      const mdy_s8_requant_t *q, const int8_t *w,
                                      const int32_t *bias, int8_t *out, int16_t *buf,
                                      uint32_t pw, int32_t strip, int rezero, int32_t KH,
                                      int32_t KW, int32_t SW)
{
    const int32_t pairs = (KW + 1) / 2;
    const int32_t out_h = p->out_h, out_w = p->out_w, sh = p->stride_h;
    const size_t in_plane = (size_t)p->in_h * p->in_w, out_plane = (size_t)out_h * out_w;
    int32_t wp[MDY_S8_DW_MAX_K * MDY_S8_DW_MAX_PAIRS];
    for (int32_t c = 0; c < p->out_c; ++c) {
        const int8_t *wc = w + (size_t)c * KH * KW;
        MDY_UNROLL
        for (int32_t kh = 0; kh < KH; ++kh) {
            MDY_UNROLL
            for (int32_t j = 0; j < pairs; ++j) {
                const int32_t kw = 2 * j;
                wp[kh * pairs + j] = mdy_pair(wc[kh * KW + kw], kw + 1 < KW ? wc[kh * KW + kw + 1] : 0);
            }
        }
        const int32_t b = bias ? bias[c] : 0;
        const mdy_s8_rq_t rq = mdy_s8_rq_make(q->mult[c], q->shift[c], q->out_zp);
        for (int32_t oh0 = 0; oh0 < out_h; oh0 += strip) {
            const int32_t rows = out_h - oh0 < strip ? out_h - oh0 : strip;
            mdy_s8_dw_fill(buf, pw, in + (size_t)c * in_plane, p->in_h, p->in_w,
                           oh0 * sh - p->pad_top, (rows - 1) * sh + KH, p->pad_left, q->in_zp,
                           rezero);
            mdy_s8_dw_rows(buf, pw, wp, KH, pairs, sh, SW, rows, out_w, b, &rq, q,
                           out + (size_t)c * out_plane + (size_t)oh0 * out_w);
        }
    }
}

MDY_NOINLINE static void mdy_s8_dw_any(const int8_t *in, const mdy_conv_params_t *p,
                                       const mdy_s8_requant_t *q, const int8_t *w,
                                       const int32_t *bias, int8_t *out, int16_t *buf,
                                       uint32_t pw, int32_t strip, int rezero)
{
    mdy_s8_dw_body(in, p, q, w, bias, out, buf, pw, strip, rezero, p->k_h, p->k_w,
                   p->stride_w);
}

/* A 1x1 map to a 1x1 output (the last blocks of a 32x32 MobileNet): the window meets
 * the one pixel at tap (pad_top, pad_left) or not at all, so each channel is one
 * product (the strip path spent ~250 instructions a channel on this shape). */
static void mdy_s8_dw_one(const int8_t *in, const mdy_conv_params_t *p,
                          const mdy_s8_requant_t *q, const int8_t *w, const int32_t *bias,
                          int8_t *out)
{
    const int32_t kk = p->k_h * p->k_w;
    const int32_t hit = p->pad_top < p->k_h && p->pad_left < p->k_w;
    const int32_t tap = hit ? p->pad_top * p->k_w + p->pad_left : 0;
    const int32_t zp = q->in_zp, lo = q->act_min, hi = q->act_max;
    for (int32_t c = 0; c < p->out_c; ++c) {
        int32_t acc = bias ? bias[c] : 0;
        if (hit) {
            acc += ((int32_t)in[c] - zp) * w[(size_t)c * kk + tap];
        }
        const mdy_s8_rq_t rq = mdy_s8_rq_make(q->mult[c], q->shift[c], q->out_zp);
        out[c] = mdy_s8_finish(acc, &rq, lo, hi);
    }
}

int mdy_conv_s8_depthwise(const int8_t *in, const mdy_conv_params_t *p,
                          const mdy_s8_requant_t *q, const int8_t *w, const int32_t *bias,
                          int8_t *out)
{
    if (p->in_h == 1 && p->in_w == 1 && p->out_h == 1 && p->out_w == 1 && p->dil_h == 1 &&
        p->dil_w == 1) {
        mdy_s8_dw_one(in, p, q, w, bias, out);
        return 1;
    }
    if ((p->stride_w == 2 && p->k_h == 3 && p->out_w != 2 &&
         mdy_conv_s8_dw3s2(in, p, q, w, bias, out)) ||
        mdy_conv_s8_dw_tiny(in, p, q, w, bias, out) ||
        mdy_conv_s8_dw3_small(in, p, q, w, bias, out) ||
        mdy_conv_s8_dw_strip(in, p, q, w, bias, out)) {
        return 1;
    }
    const int32_t k_h = p->k_h, k_w = p->k_w;
    if (p->dil_h != 1 || p->dil_w != 1 || k_h > MDY_S8_DW_MAX_K || k_w > MDY_S8_DW_MAX_K) {
        return 0;
    }
    const int32_t pairs = (k_w + 1) / 2;
    const int32_t out_h = p->out_h, out_w = p->out_w;
    const int32_t sh = p->stride_h, sw = p->stride_w;
    /* the last window of a row reads 2*pairs columns from (out_w-1)*sw */
    const uint32_t pw = (uint32_t)((out_w - 1) * sw + 2 * pairs);
    const int32_t cap = (int32_t)(MDY_S8_COL_ELEMS / pw); /* input rows per strip */
    if (cap < k_h) {
        return 0;
    }
    const int32_t strip = (cap - k_h) / sh + 1; /* output rows per strip */
    int16_t buf[MDY_S8_COL_ELEMS];
    /* the strip region only: a call on a 2x2 map must not pay for 2 KiB */
    const int32_t strip_rows = ((strip < out_h ? strip : out_h) - 1) * sh + k_h;
    memset(buf, 0, (size_t)strip_rows * pw * sizeof(int16_t));
    mdy_s8_dw_any(in, p, q, w, bias, out, buf, pw, strip, strip < out_h);
    return 1;
}
