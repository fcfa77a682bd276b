/*
 * mdy_conv2d_s8: int8 convolution of one sample, any kernel/stride/padding/dilation/
 * groups (pointwise, depthwise and KxK alike).
 *   in [in_c][in_h][in_w] int8, w [out_c][in_c/groups][k_h][k_w] int8 (symmetric per
 *   output channel), bias [out_c] int32 or NULL, out [out_c][out_h][out_w] overwritten.
 *   acc = bias[o] + sum (in - in_zp) * w   (int32; padded taps add nothing = real 0)
 *   out = clamp(mdy_requantize_s32(acc, mult[o], shift[o]) + out_zp, act_min, act_max)
 * Each tap's valid output rectangle is hoisted (mdy_conv_tap), so the inner loop has no
 * bounds checks; one int32 accumulator row per output row. No scratch: the accumulators
 * of an output row live in `acc_row` on the stack (out_w <= MDY_S8_MAX_ROW).
 *
 * Dispatch (all paths bit-exact, int32 accumulation is exact in any order): depthwise
 * -> mdy_conv_s8_depthwise (square 3x3/5x5/7x7: compile-time tiny-map instances
 * mdy_conv_s8_dw_tiny and mdy_conv_s8_dw3_small, 3x3 stride 2 reading the planes directly
 * mdy_conv_s8_dw3s2, else int8 zp-padded strips mdy_conv_s8_dw_strip; other windows:
 * padded int16 rows, SMLAD on weight pairs); 3x3 with 1 input channel (grey stems) ->
 * mdy_conv_s8_stem1 (4 pixels per requantized word), with 3 (RGB stems) ->
 * mdy_conv_s8_stem (the im2col GEMM below with k a compile-time constant); otherwise the
 * packed-column GEMM mdy_conv_s8_im2col (SMLAD, 2 channels x 2 pixels) when two columns
 * fit its stack buffer; the generic per-tap loop below for the rest.
 */
#include "mdy_s8_internal.h"

#define MDY_S8_MAX_ROW 512

/* noinline: its 2 KiB accumulator row is not on the stack while a fast path runs */
MDY_NOINLINE static void mdy_conv_s8_generic(const int8_t *in, const mdy_conv_params_t *p,
                                             const mdy_s8_requant_t *q, const int8_t *w,
                                             const int32_t *bias, int8_t *out)
{
    const int32_t icpg = p->in_c / p->groups, ocpg = p->out_c / p->groups;
    const int32_t in_w = p->in_w, out_w = p->out_w, out_h = p->out_h;
    const int32_t taps = p->k_h * p->k_w;
    const size_t in_plane = (size_t)p->in_h * in_w;
    const size_t out_plane = (size_t)out_h * out_w;
    int32_t acc_row[MDY_S8_MAX_ROW];
    for (int32_t o = 0; o < p->out_c; ++o) {
        const int8_t *x_g = in + (size_t)(o / ocpg) * icpg * in_plane;
        const int8_t *w_o = w + (size_t)o * icpg * taps;
        const int32_t b = bias ? bias[o] : 0;
        for (int32_t oh = 0; oh < out_h; ++oh) {
            for (int32_t ow = 0; ow < out_w; ++ow) {
                acc_row[ow] = b;
            }
            for (int32_t kh = 0; kh < p->k_h; ++kh) {
                for (int32_t kw = 0; kw < p->k_w; ++kw) {
                    mdy_conv_tap_t t;
                    mdy_conv_tap(p, kh, kw, &t);
                    if (oh < t.oh_lo || oh >= t.oh_hi) {
                        continue;
                    }
                    const int32_t row0 = oh * p->stride_h * in_w + t.in_offset;
                    for (int32_t c = 0; c < icpg; ++c) {
                        const int32_t wv = w_o[c * taps + kh * p->k_w + kw];
                        const int8_t *x = x_g + c * in_plane + row0;
                        for (int32_t ow = t.ow_lo; ow < t.ow_hi; ++ow) {
                            acc_row[ow] += ((int32_t)x[ow * p->stride_w] - q->in_zp) * wv;
                        }
                    }
                }
            }
            int8_t *y = out + (size_t)o * out_plane + (size_t)oh * out_w;
            for (int32_t ow = 0; ow < out_w; ++ow) {
                int32_t v = mdy_s8_requant(acc_row[ow], q->mult[o], q->shift[o]) + q->out_zp;
                v = v < q->act_min ? q->act_min : (v > q->act_max ? q->act_max : v);
                y[ow] = (int8_t)v;
            }
        }
    }
}

void mdy_conv2d_s8(const int8_t *in, const mdy_conv_params_t *p, const mdy_s8_requant_t *q,
                   const int8_t *w, const int32_t *bias, int8_t *out)
{
    if (p->groups == p->in_c && p->groups == p->out_c && mdy_conv_s8_depthwise(in, p, q, w, bias, out)) {
        return;
    }
    if (p->k_h == 3u && p->k_w == 3u &&
        (p->in_c == 1u ? mdy_conv_s8_stem1(in, p, q, w, bias, out)
                       : p->in_c == 3u && mdy_conv_s8_stem(in, p, q, w, bias, out))) {
        return;
    }
    if (mdy_conv_s8_im2col(in, p, q, w, bias, out)) {
        return;
    }
    mdy_conv_s8_generic(in, p, q, w, bias, out);
}
