/*
 * mdy_conv_s8_im2col: int8 convolution (pointwise, KxK, grouped, any stride, padding,
 * dilation) as a GEMM over packed columns. Two output pixels at a time are gathered
 * into int16 columns of icpg*kh*kw values, already offset by the input zero point
 * (padding taps are real 0, i.e. 0 after the offset), then mdy_s8_dot_rows multiplies
 * every output channel of the group with both. A dot product too long for two packed
 * columns and a natural one (3k > MDY_S8_COL_ELEMS) takes one pixel at a time, its
 * column gathered straight into the block and packed in place, so any k up to
 * MDY_S8_COL_ELEMS fits (3x3 with up to 113 input channels per group; these fell to the
 * generic per-tap loop at k > 512, ~9 instr/MAC). Returns 0 (nothing written) when k
 * is longer still.
 */
#include "../mdy_s8_internal.h"

/* The column of a 3-wide window at (ih0, iw0): tap column j is read only when cj. */
MDY_ALWAYS_INLINE void mdy_s8_gather3(const int8_t *x, size_t plane, int32_t in_h, int32_t in_w,
                                      int32_t icpg, int32_t k_h, int32_t dil_h, int32_t ih0,
                                      int32_t iw0, int32_t zp, int32_t c0, int32_t c1,
                                      int32_t c2, int16_t *dst)
{
    for (int32_t c = 0; c < icpg; ++c) {
        const int8_t *xc = x + (size_t)c * plane + iw0;
        for (int32_t kh = 0, ih = ih0; kh < k_h; ++kh, ih += dil_h, dst += 3) {
            if ((uint32_t)ih >= (uint32_t)in_h) {
                dst[0] = 0;
                dst[1] = 0;
                dst[2] = 0;
            } else {
                const int8_t *row = xc + (size_t)ih * in_w;
                const int16_t v0 = (int16_t)(c0 ? row[0] - zp : 0);
                const int16_t v1 = (int16_t)(c1 ? row[1] - zp : 0);
                const int16_t v2 = (int16_t)(c2 ? row[2] - zp : 0);
                dst[0] = v0;
                dst[1] = v1;
                dst[2] = v2;
            }
        }
    }
}

/* Column of output pixel (oh, ow) for the icpg channels at x, natural order
 * [c][kh][kw], minus the input zero point (0 where the tap is padding). */
static void mdy_s8_gather(const int8_t *x, const mdy_conv_params_t *p, int32_t icpg,
                          int32_t oh, int32_t ow, int32_t zp, int16_t *col)
{
    const int32_t in_h = p->in_h, in_w = p->in_w;
    const size_t plane = (size_t)in_h * in_w;
    if (p->k_h == 1 && p->k_w == 1 && p->pad_top == 0 && p->pad_left == 0) {
        const int8_t *src = x + (size_t)oh * p->stride_h * in_w + (size_t)ow * p->stride_w;
        for (int32_t c = 0; c < icpg; ++c) {
            col[c] = (int16_t)(src[(size_t)c * plane] - zp);
        }
        return;
    }
    int16_t *dst = col;
    const int32_t ih0 = oh * p->stride_h - p->pad_top;
    const int32_t iw0 = ow * p->stride_w - p->pad_left;
    const int32_t k_w = p->k_w, dil_w = p->dil_w;
    if (k_w == 3 && dil_w == 1) {
        /* 3-wide rows (stems, 3x3 KxK convs): the taps unrolled, the row checks per
         * (channel, kernel row) only (6 instructions per tap and ~20 per row before) */
        const int32_t c0 = iw0 >= 0 && iw0 < in_w, c2 = iw0 + 2 >= 0 && iw0 + 2 < in_w;
        if (c0 && c2) {
            mdy_s8_gather3(x, plane, in_h, in_w, icpg, p->k_h, p->dil_h, ih0, iw0, zp, 1, 1, 1, col);
        } else {
            mdy_s8_gather3(x, plane, in_h, in_w, icpg, p->k_h, p->dil_h, ih0, iw0, zp, c0,
                           iw0 + 1 >= 0 && iw0 + 1 < in_w, c2, col);
        }
        return;
    }
    if (iw0 >= 0 && iw0 + (k_w - 1) * dil_w < in_w) { /* no column check per tap */
        for (int32_t c = 0; c < icpg; ++c) {
            const int8_t *xc = x + (size_t)c * plane + iw0;
            for (int32_t kh = 0; kh < p->k_h; ++kh) {
                const int32_t ih = ih0 + kh * p->dil_h;
                if (ih < 0 || ih >= in_h) {
                    for (int32_t kw = 0; kw < k_w; ++kw) {
                        dst[kw] = 0;
                    }
                } else {
                    const int8_t *row = xc + (size_t)ih * in_w;
                    for (int32_t kw = 0; kw < k_w; ++kw) {
                        dst[kw] = (int16_t)(row[kw * dil_w] - zp);
                    }
                }
                dst += k_w;
            }
        }
        return;
    }
    for (int32_t c = 0; c < icpg; ++c) {
        const int8_t *xc = x + (size_t)c * plane;
        for (int32_t kh = 0; kh < p->k_h; ++kh) {
            const int32_t ih = ih0 + kh * p->dil_h;
            if (ih < 0 || ih >= in_h) {
                for (int32_t kw = 0; kw < p->k_w; ++kw) {
                    *dst++ = 0;
                }
                continue;
            }
            const int8_t *row = xc + (size_t)ih * in_w;
            for (int32_t kw = 0; kw < p->k_w; ++kw) {
                const int32_t iw = iw0 + kw * p->dil_w;
                *dst++ = (int16_t)((iw >= 0 && iw < in_w) ? row[iw] - zp : 0);
            }
        }
    }
}

/* Pointwise (1x1, no padding): the column of the pixel at src (one value per plane)
 * written straight into column j of a packed 2-column block, as mdy_s8_gather then
 * mdy_s8_pack(nat, j, 2, k, blk) would (no natural copy, no second pass). */
static void mdy_s8_gather_pw2(const int8_t *src, size_t plane, uint32_t k, int32_t zp, uint32_t j,
                              int16_t *blk)
{
    const uint32_t k4 = k & ~3u;
    int16_t *dst = blk + 4u * j;
    const int8_t *s = src;
    for (uint32_t c = 0; c < k4; c += 4u, dst += 8, s += 4u * plane) {
        const int16_t v0 = (int16_t)(s[0] - zp), v1 = (int16_t)(s[plane] - zp);
        const int16_t v2 = (int16_t)(s[2u * plane] - zp), v3 = (int16_t)(s[3u * plane] - zp);
        dst[0] = v0;
        dst[1] = v2;
        dst[2] = v1;
        dst[3] = v3;
    }
    dst = blk + 2u * k4 + j * (k - k4);
    for (uint32_t c = k4; c < k; ++c, s += plane) {
        *dst++ = (int16_t)(s[0] - zp);
    }
}

/* mdy_s8_pack of one column (n_col 1) onto itself: in each group of four the SMLAD
 * order v0 v2 v1 v3 is v1 and v2 swapped; the k % 4 tail stays in natural order. */
static void mdy_s8_pack1_inplace(int16_t *col, uint32_t k)
{
    for (uint32_t i = 0; i + 4u <= k; i += 4u) {
        const int16_t v1 = col[i + 1u];
        col[i + 1u] = col[i + 2u];
        col[i + 2u] = v1;
    }
}

/* mdy_s8_dot_rows over n_blk packed 2-column blocks (block b at blk + 2kb: pixels 2b,
 * 2b + 1 of out): per output channel pair the weights' pointers, bias and requantization
 * are set up once for the whole strip, not once per pixel pair (dot_rows pays ~127
 * instructions per channel pair and call besides its 1.5 instructions per MAC: ~4
 * instr/MAC more at k = 8). Same sums, same mdy_s8_rq_fast; a pair with a channel off
 * the fast case, and an odd last channel, go block by block through mdy_s8_dot_rows. */
MDY_ALWAYS_INLINE void mdy_s8_dot_strip_body(const int16_t *blk, uint32_t n_blk, uint32_t k,
                                             const int8_t *w, uint32_t n_out,
                                             const int32_t *bias, const mdy_s8_requant_t *q,
                                             const int32_t *mult, const int32_t *shift,
                                             int8_t *out, size_t out_stride, uint32_t K)
{
    if (K) {
        k = K; /* a compile-time constant: the dot products unrolled */
    }
    const uint32_t k4 = k & ~3u, kt = k - k4;
    const uint32_t lo4 = mdy_s8_rep4(q->act_min), hi4 = mdy_s8_rep4(q->act_max);
    uint32_t o = 0;
    for (; o + 2u <= n_out; o += 2u) {
        const int8_t *MDY_RESTRICT w0 = w + (size_t)o * k;
        const int8_t *MDY_RESTRICT w1 = w0 + k;
        int8_t *y = out + (size_t)o * out_stride;
        const mdy_s8_rq_t r0 = mdy_s8_rq_make(mult[o], shift[o], q->out_zp);
        const mdy_s8_rq_t r1 = mdy_s8_rq_make(mult[o + 1u], shift[o + 1u], q->out_zp);
        if (MDY_UNLIKELY(r0.slow | r1.slow)) {
            for (uint32_t b = 0; b < n_blk; ++b) {
                mdy_s8_dot_rows(blk + 2u * k * b, 2u, k, w0, 2u, bias ? bias + o : NULL, q,
                                mult + o, shift + o, y + 2u * b, out_stride);
            }
            continue;
        }
        const int32_t b0 = bias ? bias[o] : 0, b1 = bias ? bias[o + 1u] : 0;
        const int16_t *MDY_RESTRICT c = blk;
        for (uint32_t b = 0; b < n_blk; ++b, y += 2) {
            mdy_s8_acc2x2_t a = {b0, b0, b1, b1};
            MDY_UNROLL
            for (uint32_t i = 0; i < k4; i += 4u, c += 8) {
                mdy_s8_mac2x2(&a, w0 + i, w1 + i, c);
            }
            MDY_UNROLL
            for (uint32_t i = k4; i < k; ++i) {
                mdy_s8_mac2x2_one(&a, w0[i], w1[i], c[i - k4], c[kt + i - k4]);
            }
            c += 2u * kt;
            mdy_s8_st2x2(y, out_stride, a, &r0, &r1, lo4, hi4);
        }
    }
    if (o < n_out) { /* odd channel count: the last row alone */
        for (uint32_t b = 0; b < n_blk; ++b) {
            mdy_s8_dot_rows(blk + 2u * k * b, 2u, k, w + (size_t)o * k, 1u, bias ? bias + o : NULL,
                            q, mult + o, shift + o, out + (size_t)o * out_stride + 2u * b,
                            out_stride);
        }
    }
}

#define MDY_S8_DOT_STRIP(K)                                                                  \
    MDY_NOINLINE static void mdy_s8_dot_strip_##K(                                            \
        const int16_t *blk, uint32_t n_blk, uint32_t k, const int8_t *w, uint32_t n_out,        \
        const int32_t *bias, const mdy_s8_requant_t *q, const int32_t *mult,                    \
        const int32_t *shift, int8_t *out, size_t out_stride)                                   \
    {                                                                                         \
        mdy_s8_dot_strip_body(blk, n_blk, k, w, n_out, bias, q, mult, shift, out, out_stride, K); \
    }
MDY_S8_DOT_STRIP(0)
MDY_S8_DOT_STRIP(8)
MDY_S8_DOT_STRIP(16)

/* the strip kernel for k: pointwise layers of 8 and 16 input channels (MobileNet-like
 * expansions) have theirs unrolled */
static void mdy_s8_dot_strip(const int16_t *blk, uint32_t n_blk, uint32_t k, const int8_t *w,
                             uint32_t n_out, const int32_t *bias, const mdy_s8_requant_t *q,
                             const int32_t *mult, const int32_t *shift, int8_t *out,
                             size_t out_stride)
{
    if (k == 8u) {
        mdy_s8_dot_strip_8(blk, n_blk, k, w, n_out, bias, q, mult, shift, out, out_stride);
    } else if (k == 16u) {
        mdy_s8_dot_strip_16(blk, n_blk, k, w, n_out, bias, q, mult, shift, out, out_stride);
    } else {
        mdy_s8_dot_strip_0(blk, n_blk, k, w, n_out, bias, q, mult, shift, out, out_stride);
    }
}

int mdy_conv_s8_im2col(const int8_t *in, const mdy_conv_params_t *p, const mdy_s8_requant_t *q,
                       const int8_t *w, const int32_t *bias, int8_t *out)
{
    const int32_t groups = p->groups;
    const int32_t icpg = p->in_c / groups, ocpg = p->out_c / groups;
    const uint32_t k = (uint32_t)icpg * p->k_h * p->k_w;
    /* two packed columns + one natural column; else one column packed in place */
    const uint32_t per = 3u * k <= MDY_S8_COL_ELEMS ? 2u : 1u;
    if (k > MDY_S8_COL_ELEMS) {
        return 0;
    }
    int16_t buf[MDY_S8_COL_ELEMS];
    int16_t *nat = buf + per * k;
    const int32_t out_w = p->out_w;
    const uint32_t n_pix = (uint32_t)p->out_h * out_w;
    const size_t in_plane = (size_t)p->in_h * p->in_w;
    /* blocks of two packed columns per strip, the natural column after them */
    const uint32_t strip_max = per == 2u ? (MDY_S8_COL_ELEMS - k) / (2u * k) : 0u;
    const int pw = p->k_h == 1u && p->k_w == 1u && p->pad_top == 0u && p->pad_left == 0u;
    for (int32_t g = 0; g < groups; ++g) {
        const int8_t *x = in + (size_t)g * icpg * in_plane;
        const size_t o0 = (size_t)g * ocpg;
        uint32_t pix = 0;
        while (strip_max >= 2u && n_pix - pix >= 4u) { /* strips of >= 2 pixel pairs */
            const uint32_t left = (n_pix - pix) / 2u;
            const uint32_t nb = left < strip_max ? left : strip_max;
            int16_t *snat = buf + 2u * k * strip_max;
            for (uint32_t j = 0; j < 2u * nb; ++j) {
                const int32_t at = (int32_t)(pix + j);
                const int32_t oh = at / out_w, ow = at % out_w;
                if (pw) {
                    mdy_s8_gather_pw2(x + (size_t)oh * p->stride_h * p->in_w + (size_t)ow * p->stride_w,
                                      in_plane, k, q->in_zp, j & 1u, buf + 2u * k * (j >> 1));
                } else {
                    mdy_s8_gather(x, p, icpg, oh, ow, q->in_zp, snat);
                    mdy_s8_pack(snat, j & 1u, 2u, k, buf + 2u * k * (j >> 1));
                }
            }
            mdy_s8_dot_strip(buf, nb, k, w + o0 * k, (uint32_t)ocpg, bias ? bias + o0 : NULL, q,
                             q->mult + o0, q->shift + o0, out + o0 * n_pix + pix, n_pix);
            pix += 2u * nb;
        }
        for (; pix < n_pix; pix += per) {
            const uint32_t n = n_pix - pix < per ? n_pix - pix : per;
            for (uint32_t j = 0; j < n; ++j) {
                const int32_t at = (int32_t)(pix + j);
                if (per == 1u) {
                    mdy_s8_gather(x, p, icpg, at / out_w, at % out_w, q->in_zp, buf);
                    mdy_s8_pack1_inplace(buf, k);
                } else {
                    mdy_s8_gather(x, p, icpg, at / out_w, at % out_w, q->in_zp, nat);
                    mdy_s8_pack(nat, j, n, k, buf);
                }
            }
            mdy_s8_dot_rows(buf, n, k, w + o0 * k, (uint32_t)ocpg, bias ? bias + o0 : NULL, q,
                            q->mult + o0, q->shift + o0, out + o0 * n_pix + pix, n_pix);
        }
    }
    return 1;
}
