/*
 * mdy_conv_s8_dw_strip: int8 depthwise convolution for square 3x3/5x5/7x7 kernels,
 * stride_w 1 or 2 (any stride_h, any padding, dilation 1). Per channel a strip of input
 * rows is copied as int8 into a stack buffer whose padding cells hold the input zero
 * point, so (x - zp) is 0 there and the zero point leaves the inner loop:
 *   acc = bias - zp * sum(w) + sum(x * w)   (exact in int32, as the oracle's sum).
 * The inner loop reads four input bytes per word load; SXTB16 / SXTB16 ror 8 split them
 * into the halfword pairs (x0, x2), (x1, x3), which meet the weight pairs (w0, w2),
 * (w1, w3) (SXTB16 of the raw weights, no repacking) in SMLAD; the odd tap of a row
 * (w1 of 3, w4 of 5, w5 of 7) is one SMLABB/SMLABT. Two output pixels per pass share
 * the loads. Requantization: mdy_s8_rq_fast (one SMLAL). Channels off its fast case
 * (mdy_s8_rq_t.slow) take a direct per-pixel loop. 3x3 stride_w 2 rows of up to 60
 * windows run the Thumb-2 assembly of mdy_s8_dw3s2_asm.h on DSP builds (a strip of
 * constant pitch). Returns 0 (nothing written) for shapes it does not handle.
 */
#include "../mdy_s8_internal.h"

#define MDY_S8_STRIP_BYTES 2048 /* the stack buffer (the int16 path's 2 KiB) */

/* weight words per kernel row: K 3: (w0,w2), w1; K 5: (w0,w2), (w1,w3), w4;
 * K 7: (w0,w2), (w1,w3), (w4,w6), w5 (pairs as SXTB16 halfwords, singles in the low
 * half) */
#define MDY_S8_WROW 4

/* (w[i], w[i+2]) of a channel's K*K weights without reading past them. */
MDY_ALWAYS_INLINE int32_t mdy_s8_wpair(const int8_t *w, int32_t i, int32_t kk)
{
    return i + 3 < kk ? mdy_s8_sx02(mdy_s8_ldw(w + i)) : mdy_s8_sx13(mdy_s8_ldw(w + i - 1));
}

/* a0 (window at x) and, if two, a1 (window at x + S) += one kernel row. */
MDY_ALWAYS_INLINE void mdy_s8_dw_row(int32_t *a0, int32_t *a1, const int8_t *x,
                                     const int32_t *wr, int32_t K, int32_t S, int two)
{
    const int32_t w0 = mdy_s8_ldw(x);
    const int32_t A = mdy_s8_sx02(w0), B = mdy_s8_sx13(w0);
    if (K == 3) {
        *a0 = mdy_s8_smlabb(wr[1], B, mdy_s8_smlad(wr[0], A, *a0));
        if (two) {
            if (S == 1) {
                *a1 = mdy_s8_smlabt(wr[1], A, mdy_s8_smlad(wr[0], B, *a1));
            } else {
                const int32_t C = mdy_s8_sx02(mdy_s8_ldw(x + 2));
                *a1 = mdy_s8_smlabt(wr[1], B, mdy_s8_smlad(wr[0], C, *a1));
            }
        }
    } else if (K == 5) {
        const int32_t w2 = mdy_s8_ldw(x + 2);
        const int32_t C = mdy_s8_sx02(w2);
        *a0 = mdy_s8_smlabt(wr[2], C, mdy_s8_smlad(wr[1], B, mdy_s8_smlad(wr[0], A, *a0)));
        if (two) {
            const int32_t D = mdy_s8_sx13(w2);
            if (S == 1) {
                *a1 = mdy_s8_smlabt(wr[2], D, mdy_s8_smlad(wr[1], C, mdy_s8_smlad(wr[0], B, *a1)));
            } else {
                const int32_t E = mdy_s8_sx02(mdy_s8_ldw(x + 4));
                *a1 = mdy_s8_smlabt(wr[2], E, mdy_s8_smlad(wr[1], D, mdy_s8_smlad(wr[0], C, *a1)));
            }
        }
    } else { /* K == 7 */
        const int32_t w4 = mdy_s8_ldw(x + 4);
        const int32_t E = mdy_s8_sx02(w4), F = mdy_s8_sx13(w4);
        *a0 = mdy_s8_smlabb(wr[3], F, mdy_s8_smlad(wr[2], E,
                            mdy_s8_smlad(wr[1], B, mdy_s8_smlad(wr[0], A, *a0))));
        if (two) {
            const int32_t w2 = mdy_s8_ldw(x + 2);
            if (S == 1) {
                const int32_t C = mdy_s8_sx02(w2);
                *a1 = mdy_s8_smlabt(wr[3], E, mdy_s8_smlad(wr[2], F,
                                    mdy_s8_smlad(wr[1], C, mdy_s8_smlad(wr[0], B, *a1))));
            } else {
                const int32_t C = mdy_s8_sx02(w2), D = mdy_s8_sx13(w2);
                const int32_t G = mdy_s8_sx02(mdy_s8_ldw(x + 6));
                *a1 = mdy_s8_smlabt(wr[3], F, mdy_s8_smlad(wr[2], G,
                                    mdy_s8_smlad(wr[1], D, mdy_s8_smlad(wr[0], C, *a1))));
            }
        }
    }
}

/* 3x3 only: a0 (window at x), a1 (at x + S) += one kernel row, the middle tap in the
 * low (top 0) or high (top 1) half of s. */
MDY_ALWAYS_INLINE void mdy_s8_dw3_row2(int32_t *a0, int32_t *a1, const int8_t *x, int32_t p,
                                       int32_t s, int32_t S, int top)
{
    const int32_t w0 = mdy_s8_ldw(x);
    const int32_t A = mdy_s8_sx02(w0), B = mdy_s8_sx13(w0);
    const int32_t X1 = S == 1 ? B : mdy_s8_sx02(mdy_s8_ldw(x + 2)); /* a1's (x0, x2) */
    const int32_t M1 = S == 1 ? A : B; /* a1's middle tap in the high half */
    *a0 = mdy_s8_smlad(p, A, *a0);
    *a1 = mdy_s8_smlad(p, X1, *a1);
    if (top) {
        *a0 = mdy_s8_smlatb(s, B, *a0);
        *a1 = mdy_s8_smlatt(s, M1, *a1);
    } else {
        *a0 = mdy_s8_smlabb(s, B, *a0);
        *a1 = mdy_s8_smlabt(s, M1, *a1);
    }
}

/* 3x3 only: a[0..3] (windows at x, x + S, x + 2S, x + 3S) += one kernel row; four
 * outputs share the word loads (stride 1: 2 loads, 4 SXTB16, 8 products per row; stride
 * 2: 4 loads, 6 SXTB16, 8 products). */
MDY_ALWAYS_INLINE void mdy_s8_dw3_row4(int32_t *a, const int8_t *x, int32_t p, int32_t s1,
                                       int32_t S, int top)
{
    const int32_t w0 = mdy_s8_ldw(x), w2 = mdy_s8_ldw(x + 2);
    const int32_t A = mdy_s8_sx02(w0), B = mdy_s8_sx13(w0), C = mdy_s8_sx02(w2);
    int32_t m0, m1, m2, m3; /* the middle taps' words: lo, hi, lo, hi */
    if (S == 1) {
        const int32_t D = mdy_s8_sx13(w2);
        a[0] = mdy_s8_smlad(p, A, a[0]);
        a[1] = mdy_s8_smlad(p, B, a[1]);
        a[2] = mdy_s8_smlad(p, C, a[2]);
        a[3] = mdy_s8_smlad(p, D, a[3]);
        m0 = B, m1 = A, m2 = D, m3 = C;
    } else {
        const int32_t w4 = mdy_s8_ldw(x + 4);
        const int32_t E = mdy_s8_sx02(w4), F = mdy_s8_sx13(w4);
        const int32_t G = mdy_s8_sx02(mdy_s8_ldw(x + 6));
        a[0] = mdy_s8_smlad(p, A, a[0]);
        a[1] = mdy_s8_smlad(p, C, a[1]);
        a[2] = mdy_s8_smlad(p, E, a[2]);
        a[3] = mdy_s8_smlad(p, G, a[3]);
        m0 = B, m1 = B, m2 = F, m3 = F;
    }
    if (top) {
        a[0] = mdy_s8_smlatb(s1, m0, a[0]);
        a[1] = mdy_s8_smlatt(s1, m1, a[1]);
        a[2] = mdy_s8_smlatb(s1, m2, a[2]);
        a[3] = mdy_s8_smlatt(s1, m3, a[3]);
    } else {
        a[0] = mdy_s8_smlabb(s1, m0, a[0]);
        a[1] = mdy_s8_smlabt(s1, m1, a[1]);
        a[2] = mdy_s8_smlabb(s1, m2, a[2]);
        a[3] = mdy_s8_smlabt(s1, m3, a[3]);
    }
}

/* One channel's weight words (wr[kh * MDY_S8_WROW + j]) and bias - zp * sum(w). */
MDY_ALWAYS_INLINE int32_t mdy_s8_dw_weights(const int8_t *w, int32_t K, int32_t zp, int32_t b,
                                            int32_t *wr)
{
    const int32_t kk = K * K;
    const int32_t nzp = (int32_t)(((uint32_t)-zp << 16) | ((uint32_t)-zp & 0xFFFFu));
    int32_t acc = b;
    MDY_UNROLL
    for (int32_t kh = 0; kh < K; ++kh) {
        const int8_t *r = w + kh * K;
        int32_t *o = wr + kh * MDY_S8_WROW;
        o[0] = mdy_s8_wpair(w, kh * K, kk);
        if (K == 3) {
            o[1] = r[1];
        } else if (K == 5) {
            o[1] = mdy_s8_wpair(w, kh * K + 1, kk);
            o[2] = r[4];
        } else {
            o[1] = mdy_s8_wpair(w, kh * K + 1, kk);
            o[2] = mdy_s8_wpair(w, kh * K + 4, kk);
            o[3] = r[5];
        }
        acc = mdy_s8_smlad(o[0], nzp, acc);
        if (K >= 5) {
            acc = mdy_s8_smlad(o[1], nzp, acc);
        }
        if (K == 7) {
            acc = mdy_s8_smlad(o[2], nzp, acc);
        }
        acc -= zp * o[K == 3 ? 1 : K == 5 ? 2 : 3];
    }
    return acc;
}

/* One channel's constants for its rows. */
typedef struct {
    int32_t wr[7 * MDY_S8_WROW];
    int32_t acc0, mult, k, sh;
    uint32_t lo4, hi4;
} mdy_s8_dwch_t;

/* `rows` output rows of one channel from the strip buf (input rows pw bytes apart,
 * output row i at input row i * sh): two pixels per pass, requantized and clamped in
 * pairs (mdy_s8_st2), then the odd last pixel. Instantiated per (K, S) below, each
 * with its own register allocation. */
MDY_ALWAYS_INLINE void mdy_s8_dw_rows(const int8_t *buf, int32_t pw, int32_t sh, int32_t rows,
                                      int32_t out_w, int8_t *y, const mdy_s8_dwch_t *ch,
                                      int32_t K, int32_t S, int Q)
{
    int32_t wr[7 * MDY_S8_WROW];
    MDY_UNROLL
    for (int32_t i = 0; i < K * MDY_S8_WROW; ++i) {
        wr[i] = ch->wr[i];
    }
    /* 3x3 pairs: the middle taps of kernel rows 0 and 1 share a register (one fewer
     * live weight word) */
    const int32_t s01 = mdy_pair(wr[1], wr[MDY_S8_WROW + 1]);
    const int32_t nquads = Q ? out_w >> 2 : 0;
    const int32_t npairs = (out_w - 4 * nquads) >> 1;
    for (int32_t row = 0; row < rows; ++row, buf += sh * pw, y += out_w) {
        const int8_t *x = buf;
        int8_t *yo = y;
        for (int32_t i = 0; i < nquads; ++i, x += 4 * S, yo += 4) {
            int32_t a[4] = {ch->acc0, ch->acc0, ch->acc0, ch->acc0};
            mdy_s8_dw3_row4(a, x, wr[0], s01, S, 0);
            mdy_s8_dw3_row4(a, x + pw, wr[MDY_S8_WROW], s01, S, 1);
            mdy_s8_dw3_row4(a, x + 2 * pw, wr[2 * MDY_S8_WROW], wr[2 * MDY_S8_WROW + 1], S, 0);
            const int32_t m = ch->mult, k = ch->k, shr = ch->sh;
            const int32_t v0 = mdy_s8_rq_fast(a[0], m, k, shr), v1 = mdy_s8_rq_fast(a[1], m, k, shr);
            const int32_t v2 = mdy_s8_rq_fast(a[2], m, k, shr), v3 = mdy_s8_rq_fast(a[3], m, k, shr);
            mdy_s8_st4(yo, S == 1 ? mdy_s8_pack4(v0, v1, v2, v3, ch->lo4, ch->hi4)
                                  : mdy_s8_pack4_pk(v0, v1, v2, v3, ch->lo4, ch->hi4));
        }
        for (int32_t i = 0; i < npairs; ++i, x += 2 * S, yo += 2) {
            int32_t a0 = ch->acc0, a1 = a0;
            if (K == 3) {
                mdy_s8_dw3_row2(&a0, &a1, x, wr[0], s01, S, 0);
                mdy_s8_dw3_row2(&a0, &a1, x + pw, wr[MDY_S8_WROW], s01, S, 1);
                mdy_s8_dw3_row2(&a0, &a1, x + 2 * pw, wr[2 * MDY_S8_WROW],
                                wr[2 * MDY_S8_WROW + 1], S, 0);
            } else {
                MDY_UNROLL
                for (int32_t kh = 0; kh < K; ++kh) {
                    mdy_s8_dw_row(&a0, &a1, x + kh * pw, wr + kh * MDY_S8_WROW, K, S, 1);
                }
            }
            mdy_s8_st2(yo, mdy_s8_rq_fast(a0, ch->mult, ch->k, ch->sh),
                       mdy_s8_rq_fast(a1, ch->mult, ch->k, ch->sh), ch->lo4, ch->hi4);
        }
        if (out_w & 1) {
            int32_t a0 = ch->acc0;
            MDY_UNROLL
            for (int32_t kh = 0; kh < K; ++kh) {
                mdy_s8_dw_row(&a0, &a0, x + kh * pw, wr + kh * MDY_S8_WROW, K, S, 0);
            }
            *yo = mdy_s8_clamp(mdy_s8_rq_fast(a0, ch->mult, ch->k, ch->sh),
                               (int8_t)(ch->lo4 & 0xFFu), (int8_t)(ch->hi4 & 0xFFu));
        }
    }
}

/* 3x3 stride_w 2 rows of at most 60 windows in Thumb-2 assembly (constant strip pitch) */
#if defined(MDY_S8_DSP) && defined(__thumb2__) && !defined(__ARM_BIG_ENDIAN) && \
    !defined(MDY_NO_ASM)
#define MDY_S8_DW3S2_ASM 1
#include "mdy_s8_dw3s2_asm.h"
#endif

typedef void (*mdy_s8_dw_rows_fn)(const int8_t *buf, int32_t pw, int32_t sh, int32_t rows,
                                  int32_t out_w, int8_t *y, const mdy_s8_dwch_t *ch);

#define MDY_S8_ROWS_FN(K, S, Q)                                                              \
    MDY_NOINLINE static void mdy_s8_dw_rows_##K##s##S##q##Q(                                 \
        const int8_t *buf, int32_t pw, int32_t sh, int32_t rows, int32_t out_w, int8_t *y,    \
        const mdy_s8_dwch_t *ch)                                                             \
    {                                                                                        \
        mdy_s8_dw_rows(buf, pw, sh, rows, out_w, y, ch, K, S, Q);                            \
    }

/* q1: 3x3 rows of 8 and more pixels, four per pass (a separate instance: in one
 * function with the pair loop, GCC's allocation made the pair loop slower) */
MDY_S8_ROWS_FN(3, 1, 0)
#ifdef MDY_S8_DW3S2_ASM
/* 3x3 stride_w 2 rows of < 8 windows: always the assembly */
#define mdy_s8_dw_rows_3s2q0 mdy_s8_dw3s2_rows_asm
#else
MDY_S8_ROWS_FN(3, 2, 0)
#endif
MDY_S8_ROWS_FN(3, 1, 1)
MDY_S8_ROWS_FN(3, 2, 1)
MDY_S8_ROWS_FN(5, 1, 0)
MDY_S8_ROWS_FN(5, 2, 0)
MDY_S8_ROWS_FN(7, 1, 0)
MDY_S8_ROWS_FN(7, 2, 0)

/* n >= 0 bytes: words, then a halfword and a byte (unaligned accesses are single
 * instructions on the M4) */
MDY_ALWAYS_INLINE void mdy_s8_copy(int8_t *dst, const int8_t *src, int32_t n)
{
#ifdef MDY_S8_DSP
    for (; n >= 4; n -= 4, dst += 4, src += 4) {
        const uint32_t v = mdy_ld32(src);
        memcpy(dst, &v, 4); /* one STR */
    }
    if (n & 2) {
        uint16_t h;
        memcpy(&h, src, 2);
        memcpy(dst, &h, 2);
        dst += 2;
        src += 2;
    }
    if (n & 1) {
        *dst = *src;
    }
#else
    if (n > 0) {
        memcpy(dst, src, (size_t)n);
    }
#endif
}

/* n bytes of zp by words (newlib-nano's memset stores byte by byte, 5 instructions a
 * byte; the empty asm keeps GCC from turning this loop back into a memset call) */
MDY_ALWAYS_INLINE void mdy_s8_set(int8_t *dst, int32_t zp, int32_t n)
{
    uint32_t v = ((uint32_t)zp & 0xFFu) * 0x01010101u;
    for (; n >= 4; n -= 4, dst += 4) {
#if defined(__GNUC__)
        __asm__("" : "+r"(v));
#endif
        memcpy(dst, &v, 4);
    }
    if (n & 2) {
        const uint16_t h = (uint16_t)v;
        memcpy(dst, &h, 2);
        dst += 2;
    }
    if (n & 1) {
        *dst = (int8_t)zp;
    }
}

/* Strip rows [ih0, ih0 + n) of one plane: the in-plane cells; rows outside the plane
 * are set to zp again only with rezero (several strips per channel), since nothing else
 * writes padding cells after the caller's initial fill. */
MDY_ALWAYS_INLINE void mdy_s8_strip_fill(int8_t *buf, int32_t pw, const int8_t *plane,
                                         int32_t in_h, int32_t in_w, int32_t ih0, int32_t n,
                                         int32_t pad_left, int32_t zp, int rezero)
{
    /* columns: input [0, cols) to buffer [pad_left, pad_left + cols) */
    const int32_t cols = pad_left + in_w < pw ? in_w : pw - pad_left;
    const int32_t r0 = ih0 < 0 ? -ih0 : 0;                    /* first in-plane row */
    const int32_t r1 = in_h - ih0 < n ? in_h - ih0 : n;       /* end of in-plane rows */
    if (rezero) {
        for (int32_t r = 0; r < n; ++r) {
            if (r < r0 || r >= r1) {
                mdy_s8_set(buf + r * pw, zp, pw);
            }
        }
    }
    int8_t *dst = buf + r0 * pw + pad_left;
    const int8_t *src = plane + (ih0 + r0) * in_w;
#ifdef MDY_S8_DSP
    if (cols >= 4) {
        /* (cols - 1) / 4 words, then the row's last four bytes as one more word that may
         * overlap the previous one: no tail branches (27 -> 17 instructions for a row of
         * 10 bytes) */
        const int32_t nw = (cols - 1) >> 2;
        for (int32_t r = r0; r < r1; ++r, dst += pw, src += in_w) {
            const int8_t *s = src;
            int8_t *d = dst;
            for (int32_t i = 0; i < nw; ++i, s += 4, d += 4) {
                const uint32_t v = mdy_ld32(s);
                memcpy(d, &v, 4);
            }
            const uint32_t t = mdy_ld32(src + cols - 4);
            memcpy(dst + cols - 4, &t, 4);
        }
        return;
    }
#endif
    for (int32_t r = r0; r < r1; ++r, dst += pw, src += in_w) {
        mdy_s8_copy(dst, src, cols);
    }
}

/* One channel the slow way (requantization off mdy_s8_rq_fast's range): direct. */
MDY_NOINLINE static void mdy_s8_dw_channel_slow(const int8_t *plane, const mdy_conv_params_t *p,
                                                const mdy_s8_requant_t *q, const int8_t *wc,
                                                int32_t b, const mdy_s8_rq_t *rq, int8_t *y)
{
    for (int32_t oh = 0; oh < p->out_h; ++oh) {
        for (int32_t ow = 0; ow < p->out_w; ++ow) {
            int32_t acc = b;
            for (int32_t kh = 0; kh < p->k_h; ++kh) {
                const int32_t ih = oh * p->stride_h - p->pad_top + kh;
                for (int32_t kw = 0; kw < p->k_w; ++kw) {
                    const int32_t iw = ow * p->stride_w - p->pad_left + kw;
                    if (ih >= 0 && ih < p->in_h && iw >= 0 && iw < p->in_w) {
                        acc += (plane[ih * p->in_w + iw] - q->in_zp) * wc[kh * p->k_w + kw];
                    }
                }
            }
            *y++ = mdy_s8_finish(acc, rq, q->act_min, q->act_max);
        }
    }
}

/* Every channel: its constants, then strip by strip the padded rows and the windows.
 * K is a constant in the instances below. */
MDY_ALWAYS_INLINE void mdy_s8_dw_strip_body(const int8_t *in, const mdy_conv_params_t *p,
                                            const mdy_s8_requant_t *q, const int8_t *w,
                                            const int32_t *bias, int8_t *out, int8_t *buf,
                                            int32_t pw, int32_t strip, int rezero,
                                            mdy_s8_dw_rows_fn rows_fn, int32_t K)
{
    const int32_t out_h = p->out_h, out_w = p->out_w, sh = p->stride_h;
    const int32_t zp = q->in_zp;
    const size_t in_plane = (size_t)p->in_h * p->in_w, out_plane = (size_t)out_h * out_w;
    mdy_s8_dwch_t ch;
    ch.lo4 = mdy_s8_rep4(q->act_min);
    ch.hi4 = mdy_s8_rep4(q->act_max);
    for (int32_t c = 0; c < p->out_c; ++c) {
        const int8_t *wc = w + (size_t)c * K * K;
        const int32_t b = bias ? bias[c] : 0;
        const mdy_s8_rq_t rq = mdy_s8_rq_make(q->mult[c], q->shift[c], q->out_zp);
        int8_t *yc = out + (size_t)c * out_plane;
        if (MDY_UNLIKELY(rq.slow)) {
            mdy_s8_dw_channel_slow(in + (size_t)c * in_plane, p, q, wc, b, &rq, yc);
            continue;
        }
        ch.acc0 = mdy_s8_dw_weights(wc, K, zp, b, ch.wr);
        ch.mult = rq.mult;
        ch.k = rq.k;
        ch.sh = rq.sh;
        for (int32_t oh0 = 0; oh0 < out_h; oh0 += strip) {
            const int32_t rows = out_h - oh0 < strip ? out_h - oh0 : strip;
            mdy_s8_strip_fill(buf, pw, in + (size_t)c * in_plane, p->in_h, p->in_w,
                              oh0 * sh - p->pad_top, (rows - 1) * sh + K, p->pad_left, zp,
                              rezero);
            rows_fn(buf, pw, sh, rows, out_w, yc + (size_t)oh0 * out_w, &ch);
        }
    }
}

typedef void (*mdy_s8_strip_fn)(const int8_t *in, const mdy_conv_params_t *p,
                                const mdy_s8_requant_t *q, const int8_t *w, const int32_t *bias,
                                int8_t *out, int8_t *buf, int32_t pw, int32_t strip, int rezero,
                                mdy_s8_dw_rows_fn rows_fn);

#define MDY_S8_STRIP_FN(K)                                                                   \
    MDY_NOINLINE static void mdy_s8_strip_##K(const int8_t *in, const mdy_conv_params_t *p,   \
                                              const mdy_s8_requant_t *q, const int8_t *w,    \
                                              const int32_t *bias, int8_t *out, int8_t *buf, \
                                              int32_t pw, int32_t strip, int rezero,         \
                                              mdy_s8_dw_rows_fn rows_fn)                     \
    {                                                                                        \
        mdy_s8_dw_strip_body(in, p, q, w, bias, out, buf, pw, strip, rezero, rows_fn, K);    \
    }

MDY_S8_STRIP_FN(3)
MDY_S8_STRIP_FN(5)
MDY_S8_STRIP_FN(7)

int mdy_conv_s8_dw_strip(const int8_t *in, const mdy_conv_params_t *p,
                         const mdy_s8_requant_t *q, const int8_t *w, const int32_t *bias,
                         int8_t *out)
{
    const int32_t K = p->k_h, S = p->stride_w, sh = p->stride_h;
    if (p->k_w != K || (K != 3 && K != 5 && K != 7) || S < 1 || S > 2 || sh < 1 ||
        p->dil_h != 1 || p->dil_w != 1 || p->out_h < 1 || p->out_w < 1) {
        return 0;
    }
    /* the last window starts at (out_w - 1) * S; a row's word loads reach one byte past
     * the last window */
    int32_t pw = (p->out_w - 1) * S + K + 1;
    mdy_s8_dw_rows_fn rows_fn = 0;
#ifdef MDY_S8_DW3S2_ASM
    if (K == 3 && S == 2 && p->out_w <= MDY_S8_DW3S2_MAXW_W) {
        /* the assembly's row offsets */
        const int narrow = p->out_w <= MDY_S8_DW3S2_MAXW;
        pw = narrow ? MDY_S8_DW3S2_PW : MDY_S8_DW3S2_PW_W;
        rows_fn = narrow ? mdy_s8_dw3s2_rows_asm : mdy_s8_dw3s2_rows_asm_w;
    }
#endif
    const int32_t cap = MDY_S8_STRIP_BYTES / pw; /* input rows per strip */
    if (cap < K) {
        return 0;
    }
    const int32_t strip = (cap - K) / sh + 1; /* output rows per strip */
    int8_t buf[MDY_S8_STRIP_BYTES];
    const int32_t strip_rows = ((strip < p->out_h ? strip : p->out_h) - 1) * sh + K;
    mdy_s8_set(buf, q->in_zp, strip_rows * pw);
    static const mdy_s8_strip_fn fns[3] = {mdy_s8_strip_3, mdy_s8_strip_5, mdy_s8_strip_7};
    static const mdy_s8_dw_rows_fn rows_fns[4][2] = {
        {mdy_s8_dw_rows_3s1q0, mdy_s8_dw_rows_3s2q0}, {mdy_s8_dw_rows_5s1q0, mdy_s8_dw_rows_5s2q0},
        {mdy_s8_dw_rows_7s1q0, mdy_s8_dw_rows_7s2q0}, {mdy_s8_dw_rows_3s1q1, mdy_s8_dw_rows_3s2q1}};
    const int32_t kind = (K == 3 && p->out_w >= 8) ? 3 : (K - 3) / 2;
    if (!rows_fn) {
        rows_fn = rows_fns[kind][S - 1];
    }
    fns[(K - 3) / 2](in, p, q, w, bias, out, buf, pw, strip, strip < p->out_h, rows_fn);
    return 1;
}
