/*
 * mdy_conv_kxk_f32 (internal path of mdy_conv2d_f32): any kernel size, stride,
 * dilation, padding and groups, register-blocked.
 *
 * Output rows are processed in strips. For each strip and input channel, the input
 * rows the strip reads are copied once, zero-padded, into a small stack buffer
 * (MDY_CONV_STRIP_FLOATS); the copy is shared by every output channel of the group,
 * and the inner loops then need no bounds checks at any map size (2x2 maps with
 * padding included). Inner block: 4 output channels x 4 output pixels of one row
 * (16 accumulators in FPU registers) over all K x K taps of that input channel; the
 * partial sums go through `out` once per input channel, not once per tap.
 * Returns 0 (does nothing) when one output row's input rows do not fit the buffer;
 * the caller then runs the generic path. No scratch beyond the fixed stack buffer.
 */
#include "../mdy_internal.h"

typedef struct {
    const float *buf;       /* strip buffer: row r, column c at buf[r * pw + c] */
    uint32_t pw;            /* padded row length */
    const float *w;         /* w + (o * icpg + il) * taps: first weight of output o */
    uint32_t w_stride;      /* icpg * taps: between consecutive output channels */
    float *out;             /* out + o * out_plane + oh * out_w */
    uint32_t out_plane;
    int32_t kh_n, kw_n, sh, sw, dh, dw;
} kxk_args_t;

/* OB output channels x PB pixels starting at output column ow of row r0 (strip-local
 * input row of the window's first tap). KH/KW > 0: compile-time window (unrolled). */
MDY_ALWAYS_INLINE void kxk_block(const kxk_args_t *a, uint32_t r0, int32_t ow,
                                 const int OB, const int PB, const int KH, const int KW)
{
    const int32_t kh_n = KH ? KH : a->kh_n;
    const int32_t kw_n = KW ? KW : a->kw_n;
    const int32_t sw = a->sw;
    const int32_t dh = KH ? 1 : a->dh;
    const int32_t dw = KW ? 1 : a->dw;
    float acc[4][4];
    MDY_UNROLL
    for (int o = 0; o < OB; ++o) {
        MDY_UNROLL
        for (int q = 0; q < PB; ++q) {
            acc[o][q] = a->out[(size_t)o * a->out_plane + (uint32_t)(ow + q)];
        }
    }
    const float *wt = a->w;
    MDY_UNROLL
    for (int32_t kh = 0; kh < kh_n; ++kh) {
        const float *xr = a->buf + (r0 + (uint32_t)(kh * dh)) * a->pw + ow * sw;
        MDY_UNROLL
        for (int32_t kw = 0; kw < kw_n; ++kw, ++wt) {
            float xv[4];
            MDY_UNROLL
            for (int q = 0; q < PB; ++q) {
                xv[q] = xr[kw * dw + q * sw];
            }
            MDY_UNROLL
            for (int o = 0; o < OB; ++o) {
                const float wv = wt[(size_t)o * a->w_stride];
                MDY_UNROLL
                for (int q = 0; q < PB; ++q) {
                    acc[o][q] += wv * xv[q];
                }
            }
        }
    }
    MDY_UNROLL
    for (int o = 0; o < OB; ++o) {
        MDY_UNROLL
        for (int q = 0; q < PB; ++q) {
            a->out[(size_t)o * a->out_plane + (uint32_t)(ow + q)] = acc[o][q];
        }
    }
}

MDY_ALWAYS_INLINE void kxk_row(const kxk_args_t *a, uint32_t r0, int32_t out_w,
                               const int OB, const int KH, const int KW)
{
    int32_t ow = 0;
    for (; ow + 4 <= out_w; ow += 4) {
        kxk_block(a, r0, ow, OB, 4, KH, KW);
    }
    if (ow + 2 <= out_w) {
        kxk_block(a, r0, ow, OB, 2, KH, KW);
        ow += 2;
    }
    if (ow < out_w) {
        kxk_block(a, r0, ow, OB, 1, KH, KW);
    }
}

MDY_ALWAYS_INLINE void kxk_rows(kxk_args_t *a, uint32_t rows, int32_t out_w, const int OB,
                                const int KH, const int KW)
{
    float *out0 = a->out;
    for (uint32_t r = 0; r < rows; ++r) {
        a->out = out0 + (size_t)r * (uint32_t)out_w;
        kxk_row(a, r * (uint32_t)a->sh, out_w, OB, KH, KW);
    }
    a->out = out0;
}

/* One strip x one input channel, every output channel of the group. */
MDY_ALWAYS_INLINE void kxk_channel(kxk_args_t *a, const float *w, float *out_strip,
                                   uint32_t o_begin, uint32_t o_end, uint32_t rows,
                                   int32_t out_w, const int KH, const int KW)
{
    uint32_t o = o_begin;
    for (; o + 4u <= o_end; o += 4u) {
        a->w = w + (size_t)o * a->w_stride;
        a->out = out_strip + (size_t)o * a->out_plane;
        kxk_rows(a, rows, out_w, 4, KH, KW);
    }
    for (; o + 2u <= o_end; o += 2u) {
        a->w = w + (size_t)o * a->w_stride;
        a->out = out_strip + (size_t)o * a->out_plane;
        kxk_rows(a, rows, out_w, 2, KH, KW);
    }
    if (o < o_end) {
        a->w = w + (size_t)o * a->w_stride;
        a->out = out_strip + (size_t)o * a->out_plane;
        kxk_rows(a, rows, out_w, 1, KH, KW);
    }
}

int mdy_conv_kxk_f32(const float *in, const mdy_conv_params_t *p, const float *w,
                     const float *bias, float *out)
{
    const int32_t in_h = p->in_h, in_w = p->in_w;
    const int32_t out_h = p->out_h, out_w = p->out_w;
    const int32_t kh_n = p->k_h, kw_n = p->k_w;
    const int32_t sh = p->stride_h, sw = p->stride_w, dh = p->dil_h, dw = p->dil_w;
    const uint32_t pw = (uint32_t)((out_w - 1) * sw + (kw_n - 1) * dw + 1);
    const uint32_t span_h = (uint32_t)((kh_n - 1) * dh + 1);
    if (span_h * pw > MDY_CONV_STRIP_FLOATS) {
        return 0;
    }
    /* output rows per strip: (rows - 1) * sh + span_h input rows must fit */
    uint32_t strip = (MDY_CONV_STRIP_FLOATS / pw - span_h) / (uint32_t)sh + 1u;
    if (strip > (uint32_t)out_h) {
        strip = (uint32_t)out_h;
    }
    const uint32_t icpg = p->in_c / p->groups;
    const uint32_t ocpg = p->out_c / p->groups;
    const uint32_t taps = (uint32_t)(kh_n * kw_n);
    const uint32_t out_plane = (uint32_t)(out_h * out_w);
    const size_t in_plane = (size_t)in_h * in_w;
    float buf[MDY_CONV_STRIP_FLOATS];

    for (uint32_t o = 0; o < p->out_c; ++o) {
        const float b = bias ? bias[o] : 0.0f;
        float *y = out + (size_t)o * out_plane;
        for (uint32_t i = 0; i < out_plane; ++i) {
            y[i] = b;
        }
    }
    kxk_args_t a;
    a.buf = buf;
    a.pw = pw;
    a.w_stride = icpg * taps;
    a.out_plane = out_plane;
    a.kh_n = kh_n;
    a.kw_n = kw_n;
    a.sh = sh;
    a.sw = sw;
    a.dh = dh;
    a.dw = dw;
    const int k3 = kh_n == 3 && kw_n == 3 && dh == 1 && dw == 1;
    for (uint32_t g = 0; g < p->groups; ++g) {
        for (uint32_t oh0 = 0; oh0 < (uint32_t)out_h; oh0 += strip) {
            const uint32_t rows = (uint32_t)out_h - oh0 < strip ? (uint32_t)out_h - oh0 : strip;
            const uint32_t in_rows = (rows - 1u) * (uint32_t)sh + span_h;
            float *out_strip = out + (size_t)oh0 * (uint32_t)out_w;
            for (uint32_t il = 0; il < icpg; ++il) {
                const uint32_t c = g * icpg + il;
                mdy_copy_padded_rows(buf, in + c * in_plane, in_h, in_w,
                           (int32_t)oh0 * sh - p->pad_top, in_rows, -(int32_t)p->pad_left, pw);
                const float *wc = w + (size_t)il * taps;
                if (k3) {
                    kxk_channel(&a, wc, out_strip, g * ocpg, (g + 1u) * ocpg, rows, out_w, 3, 3);
                } else {
                    kxk_channel(&a, wc, out_strip, g * ocpg, (g + 1u) * ocpg, rows, out_w, 0, 0);
                }
            }
        }
    }
    const size_t n = (size_t)p->out_c * out_plane;
    const float lo = p->act_min, hi = p->act_max;
    for (size_t i = 0; i < n; ++i) {
        out[i] = mdy_clampf(out[i], lo, hi);
    }
    return 1;
}
