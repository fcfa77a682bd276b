/*
 * mdy_conv_s8_dw3_small: int8 depthwise 3x3, stride 1, "same" padding 1, no dilation,
 * on square N x N maps with N = 5..9 (a compile-time instance for 5, one function with
 * the pitch constant and N at run time for 6..9).
 *
 * At these sizes the strip path's per-channel and per-row overheads (strip setup, row
 * loop, pair/single tails) cost as much as the arithmetic (3.8-4.9 instr/MAC), and the
 * tiny path's one SMLAxy per tap is too many taps. Here, per channel, the plane is
 * copied as int8 into a stack buffer of constant pitch P whose left and right padding
 * columns hold the input zero point (written once per call), so every tap is an
 * immediate offset and the zero point leaves the inner loop as in the strip path:
 *   acc = bias - zp * sum(w) + sum(x * w).
 * The padding rows are not stored: the first and last output rows skip their off-map
 * kernel row and start from bias - zp * (the sum of the other two rows' weights).
 * Each output row is one or two quads (four outputs sharing two word loads: SXTB16
 * pairs (x0, x2), (x1, x3) against the weight pair (w0, w2) in SMLAD, the middle tap
 * one SMLAxy) and a pair and/or a single; requantization is mdy_s8_rq_fast, the four
 * outputs clamped and stored as one word. Channels off its fast case take a
 * direct loop. Returns 0 (nothing written) for other shapes.
 */
#include "../mdy_s8_internal.h"

/* one channel's weights: (w0, w2) of each kernel row as SXTB16 halfwords, the middle
 * taps of rows 0 and 1 as one word (low, high), that of row 2 in the low half */
typedef struct {
    int32_t p[3];
    int32_t s01, s2;
} mdy_s8_dw3sm_w_t;

/* requantization constants of a channel (fast case) */
typedef struct {
    int32_t mult, k, sh;
    uint32_t lo4, hi4;
} mdy_s8_dw3sm_q_t;

/* middle tap of kernel row kh times the low (hi 0) or high half of x */
MDY_ALWAYS_INLINE int32_t mdy_s8_dw3sm_mid(const mdy_s8_dw3sm_w_t *w, int kh, int32_t x,
                                           int hi, int32_t acc)
{
    if (kh == 0) {
        return hi ? mdy_s8_smlabt(w->s01, x, acc) : mdy_s8_smlabb(w->s01, x, acc);
    }
    if (kh == 1) {
        return hi ? mdy_s8_smlatt(w->s01, x, acc) : mdy_s8_smlatb(w->s01, x, acc);
    }
    return hi ? mdy_s8_smlabt(w->s2, x, acc) : mdy_s8_smlabb(w->s2, x, acc);
}

/* a[0..n) (n = 4, 2 or 1: windows at x, x + 1, ...) += kernel row kh at x */
MDY_ALWAYS_INLINE void mdy_s8_dw3sm_taps(int32_t *a, const int8_t *x, const mdy_s8_dw3sm_w_t *w,
                                         int kh, int n)
{
    const int32_t pr = w->p[kh];
    const int32_t w0 = mdy_s8_ldw(x);
    const int32_t A = mdy_s8_sx02(w0), B = mdy_s8_sx13(w0); /* (x0, x2), (x1, x3) */
    a[0] = mdy_s8_dw3sm_mid(w, kh, B, 0, mdy_s8_smlad(pr, A, a[0]));
    if (n >= 2) {
        a[1] = mdy_s8_dw3sm_mid(w, kh, A, 1, mdy_s8_smlad(pr, B, a[1]));
    }
    if (n == 4) {
        const int32_t w2 = mdy_s8_ldw(x + 2);
        const int32_t C = mdy_s8_sx02(w2), D = mdy_s8_sx13(w2); /* (x2, x4), (x3, x5) */
        a[2] = mdy_s8_dw3sm_mid(w, kh, D, 0, mdy_s8_smlad(pr, C, a[2]));
        a[3] = mdy_s8_dw3sm_mid(w, kh, C, 1, mdy_s8_smlad(pr, D, a[3]));
    }
}

/* n outputs of one row at columns [c0, c0 + n): xc is the buffer row of the output row
 * (kernel row 1), kernel rows k0..k1 are on the map. */
MDY_ALWAYS_INLINE void mdy_s8_dw3sm_group(const int8_t *xc, int8_t *y, int32_t acc0,
                                          const mdy_s8_dw3sm_w_t *w, const mdy_s8_dw3sm_q_t *q,
                                          const int k0, const int k1, const int c0, const int n,
                                          const int P)
{
    int32_t a[4] = {acc0, acc0, acc0, acc0};
    MDY_UNROLL
    for (int kh = k0; kh <= k1; ++kh) {
        mdy_s8_dw3sm_taps(a, xc + (kh - 1) * P + c0, w, kh, n);
    }
    if (n == 4) {
        const int32_t v0 = mdy_s8_rq_fast(a[0], q->mult, q->k, q->sh);
        const int32_t v1 = mdy_s8_rq_fast(a[1], q->mult, q->k, q->sh);
        const int32_t v2 = mdy_s8_rq_fast(a[2], q->mult, q->k, q->sh);
        const int32_t v3 = mdy_s8_rq_fast(a[3], q->mult, q->k, q->sh);
        mdy_s8_st4(y + c0, mdy_s8_pack4(v0, v1, v2, v3, q->lo4, q->hi4));
    } else if (n == 2) {
        mdy_s8_st2(y + c0, mdy_s8_rq_fast(a[0], q->mult, q->k, q->sh),
                   mdy_s8_rq_fast(a[1], q->mult, q->k, q->sh), q->lo4, q->hi4);
    } else {
        y[c0] = mdy_s8_clamp(mdy_s8_rq_fast(a[0], q->mult, q->k, q->sh),
                             (int8_t)(q->lo4 & 0xFFu), (int8_t)(q->hi4 & 0xFFu));
    }
}

/* one output row: its quads, then a pair and/or a single (n: the map size, 5..9) */
MDY_ALWAYS_INLINE void mdy_s8_dw3sm_row(const int8_t *xc, int8_t *y, int32_t acc0,
                                        const mdy_s8_dw3sm_w_t *w, const mdy_s8_dw3sm_q_t *q,
                                        const int k0, const int k1, int32_t n, const int P)
{
#if defined(__GNUC__)
    __asm__("" ::: "memory"); /* no loads shared with the previous row (GCC kept them
                                * across the row loop in spilled registers) */
#endif
    const int8_t *x = xc;
    int8_t *yo = y;
    for (int32_t i = n >> 2; i > 0; --i, x += 4, yo += 4) {
        mdy_s8_dw3sm_group(x, yo, acc0, w, q, k0, k1, 0, 4, P);
    }
    if (n & 2) {
        mdy_s8_dw3sm_group(x, yo, acc0, w, q, k0, k1, 0, 2, P);
        x += 2;
        yo += 2;
    }
    if (n & 1) {
        mdy_s8_dw3sm_group(x, yo, acc0, w, q, k0, k1, 0, 1, P);
    }
}

/* One channel the slow way (requantization off mdy_s8_rq_fast's range): direct. */
MDY_NOINLINE static void mdy_s8_dw3sm_slow(const int8_t *plane, int32_t n, const int8_t *wc,
                                           int32_t b, const mdy_s8_requant_t *q,
                                           const mdy_s8_rq_t *rq, int8_t *y)
{
    for (int32_t oh = 0; oh < n; ++oh) {
        for (int32_t ow = 0; ow < n; ++ow) {
            int32_t acc = b;
            for (int32_t kh = 0; kh < 3; ++kh) {
                const int32_t ih = oh - 1 + kh;
                for (int32_t kw = 0; kw < 3; ++kw) {
                    const int32_t iw = ow - 1 + kw;
                    if (ih >= 0 && ih < n && iw >= 0 && iw < n) {
                        acc += (plane[ih * n + iw] - q->in_zp) * wc[kh * 3 + kw];
                    }
                }
            }
            *y++ = mdy_s8_finish(acc, rq, q->act_min, q->act_max);
        }
    }
}

MDY_ALWAYS_INLINE void mdy_s8_dw3sm(const int8_t *MDY_RESTRICT in, int32_t n_c,
                                    const mdy_s8_requant_t *qp, const int8_t *MDY_RESTRICT wt,
                                    const int32_t *bias, int8_t *MDY_RESTRICT out,
                                    const int32_t N)
{
    /* buffer pitch: column 0 and N + 1 hold zp; the last single's word load reaches
     * column N + 2 */
    enum { P = 12 };
    int8_t buf[9 * P];
    if (N < 5 || N > 9) {
        return; /* the caller checked; tells GCC the buffer bounds hold */
    }
    const int32_t zp = qp->in_zp;
    const int32_t nzp = mdy_pair(-zp, -zp);
    mdy_s8_dw3sm_q_t q;
    q.lo4 = mdy_s8_rep4(qp->act_min);
    q.hi4 = mdy_s8_rep4(qp->act_max);
    for (int32_t r = 0; r < N; ++r) { /* the padding columns (and the unused byte after) */
        buf[r * P] = (int8_t)zp;
        buf[r * P + N + 1] = (int8_t)zp;
        buf[r * P + N + 2] = (int8_t)zp;
    }
    for (int32_t c = 0; c < n_c; ++c, in += N * N, wt += 9, out += N * N) {
        const int32_t b = bias ? bias[c] : 0;
        const mdy_s8_rq_t rq = mdy_s8_rq_make(qp->mult[c], qp->shift[c], qp->out_zp);
        if (MDY_UNLIKELY(rq.slow)) {
            mdy_s8_dw3sm_slow(in, N, wt, b, qp, &rq, out);
            continue;
        }
        q.mult = rq.mult;
        q.k = rq.k;
        q.sh = rq.sh;
        /* weights and the three accumulator starts */
        mdy_s8_dw3sm_w_t w;
        const int32_t wa = mdy_s8_ldw(wt), wb = mdy_s8_ldw(wt + 4);
        const int32_t wc8 = wt[8];
        /* bytes: wa = w0 w1 w2 w3, wb = w4 w5 w6 w7 */
        w.p[0] = mdy_s8_sx02(wa);                                      /* (w0, w2) */
        w.p[1] = mdy_pair(mdy_s8_sx13(wa) >> 16, mdy_s8_sx13(wb));     /* (w3, w5) */
        w.p[2] = mdy_pair(mdy_s8_sx02(wb) >> 16, wc8);                 /* (w6, w8) */
        w.s01 = mdy_pair(mdy_s8_sx13(wa), mdy_s8_sx02(wb));            /* (w1, w4) */
        w.s2 = mdy_s8_sx13(wb) >> 16;                                  /* w7 */
        const int32_t t0 = mdy_s8_smlabb(w.s01, -zp, mdy_s8_smlad(w.p[0], nzp, 0));
        const int32_t t1 = mdy_s8_smlatb(w.s01, -zp, mdy_s8_smlad(w.p[1], nzp, 0));
        const int32_t t2 = mdy_s8_smlabb(w.s2, -zp, mdy_s8_smlad(w.p[2], nzp, 0));
        const int32_t a_mid = b + t0 + t1 + t2, a_top = b + t1 + t2, a_bot = b + t0 + t1;
        /* the plane into columns 1..N: words at 0 (and 4 when N > 8) and N - 4 (the
         * last one overlapping) */
        {
            const int8_t *src = in;
            int8_t *dst = buf + 1;
            for (int32_t r = 0; r < N; ++r, src += N, dst += P) {
                const uint32_t v0 = (uint32_t)mdy_s8_ldw(src);
                const uint32_t v2 = (uint32_t)mdy_s8_ldw(src + N - 4);
                mdy_s8_st4(dst, v0);
                if (N > 8) {
                    mdy_s8_st4(dst + 4, (uint32_t)mdy_s8_ldw(src + 4));
                }
                mdy_s8_st4(dst + N - 4, v2);
            }
        }
        mdy_s8_dw3sm_row(buf, out, a_top, &w, &q, 1, 2, N, P);
        const int8_t *x = buf + P;
        int8_t *y = out + N;
        for (int32_t r = 1; r < N - 1; ++r, x += P, y += N) {
            mdy_s8_dw3sm_row(x, y, a_mid, &w, &q, 0, 2, N, P);
        }
        mdy_s8_dw3sm_row(x, y, a_bot, &w, &q, 0, 1, N, P);
    }
}

/* 5x5: a compile-time instance (one quad and a single per row, no branches: 3.35
 * instr/MAC, 3.9 as the shared function); 6..9: one function for all (3.2-3.5 instr/MAC
 * and 2.4 KB; one instance per N was 2.9-3.3 for 9 KB) */
MDY_NOINLINE static void mdy_s8_dw3sm_n5(const int8_t *in, int32_t n_c, const mdy_s8_requant_t *q,
                                         const int8_t *w, const int32_t *bias, int8_t *out)
{
    mdy_s8_dw3sm(in, n_c, q, w, bias, out, 5);
}

MDY_NOINLINE static void mdy_s8_dw3sm_any(const int8_t *in, int32_t n_c,
                                          const mdy_s8_requant_t *q, const int8_t *w,
                                          const int32_t *bias, int8_t *out, int32_t n)
{
    mdy_s8_dw3sm(in, n_c, q, w, bias, out, n);
}

int mdy_conv_s8_dw3_small(const int8_t *in, const mdy_conv_params_t *p,
                          const mdy_s8_requant_t *q, const int8_t *w, const int32_t *bias,
                          int8_t *out)
{
    const int32_t n = p->in_h;
    if (p->k_h != 3 || p->k_w != 3 || p->stride_h != 1 || p->stride_w != 1 || p->dil_h != 1 ||
        p->dil_w != 1 || p->in_w != n || n < 5 || n > 9 || p->pad_top != 1 ||
        p->pad_left != 1 || p->out_h != n || p->out_w != n) {
        return 0;
    }
    if (n == 5) {
        mdy_s8_dw3sm_n5(in, p->out_c, q, w, bias, out);
    } else {
        mdy_s8_dw3sm_any(in, p->out_c, q, w, bias, out, n);
    }
    return 1;
}
