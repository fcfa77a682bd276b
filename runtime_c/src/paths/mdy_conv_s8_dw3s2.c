/*
 * mdy_conv_s8_dw3s2: int8 depthwise 3x3, stride 2, padding 1 at the top and the left
 * (bottom/right 0 or 1 as out_h/out_w imply), read straight from the input planes: no
 * strip copy.
 *
 * The input zero point is folded into the bias (acc0 = bias - zp * sum(w)), so a padded
 * tap must read zp: the row above the map (and the one below, when 2 * out_h - 1 ==
 * in_h) is a stack row of zp bytes; the column left of the map (and right of it when
 * 2 * out_w - 1 == in_w) is left out of the sums of the first (last) output, whose
 * accumulator starts at acc0L = acc0 + zp * (w0 + w3 + w6) (acc0R: w2 + w5 + w8).
 *
 * A row of outputs, per kernel row (x: the input row, w0 w1 w2: the kernel row):
 *  - outputs 0 and 1 (columns -1..3): one word x[0..3], E = (x0, x2), O = (x1, x3)
 *    (SXTB16, SXTB16 ror 8): y0 += w1 x0 + w2 x1 (two SMLAxy), y1 += SMLAD((w0, w2), O)
 *    + w1 x2: 1 load, 2 SXTB16, 4 products;
 *  - then pairs (m, m + 1) from column c = 2m - 1: words at c and c + 1, E1 = (x[c],
 *    x[c+2]), O1 = (x[c+1], x[c+3]), O2 = (x[c+2], x[c+4]): y_m += SMLAD((w0, w2), E1) +
 *    w1 x[c+1], y_m+1 += SMLAD((w0, w2), O2) + w1 x[c+3]: 2 loads, 3 SXTB16, 4 products;
 *  - then the tail from the word at 2 * out_w - 4 (no load past the row's last used
 *    byte): none, one output (NS), the right-edge output (RS: two taps, acc0R), or the
 *    output before it and the right-edge one (RP).
 * Requantization: mdy_s8_rq_fast; a channel off its range is skipped (flagged) and
 * redone by a direct loop. The DSP build runs all channels in Thumb-2 assembly
 * (mdy_s8_dw3s2d_asm.h: the per-channel constants too, so a channel costs ~50
 * instructions besides its rows; rows of 3 outputs on 3 rows, the 5x5 and 6x6 maps, are
 * unrolled instances); the portable build runs the same arithmetic in C.
 *
 * A 2x2 map (one output per channel, four live taps: x0 w4 + x1 w5 + x2 w7 + x3 w8):
 * one word load of the plane per channel, SXTAB16 of the zero point, four SMLAxy with
 * the weight bytes; four channels per output word.
 *
 * Returns 0 (nothing written) for other shapes.
 */
#include "../mdy_s8_internal.h"

#define MDY_S8_DW3S2D_ZROW 256 /* widest input row (stack bytes of zp) */

enum { MDY_S8_DW3S2D_NONE = 0, MDY_S8_DW3S2D_NS = 1, MDY_S8_DW3S2D_RS = 2, MDY_S8_DW3S2D_RP = 3 };

/* One channel's constants (the registers and stack slots of the assembly). */
typedef struct {
    int32_t wp[3];  /* (w[3r], w[3r + 2]) of kernel row r */
    int32_t s01;    /* (w1, w4): the middle taps of rows 0 and 1 */
    int32_t s2;     /* w7 in the high half, sh in the low byte (ASR reads only that) */
    int32_t acc0, acc0l, acc0r;
    int32_t mult, k, sh, pad;
} mdy_s8_dw3s2d_ch_t;

/* The layer's geometry and the channels' data (read by the assembly at these offsets). */
typedef struct {
    const int8_t *zrow; /* in_w bytes of zp */
    int32_t n;          /* in_w: the row pitch */
    int32_t h;          /* out_h */
    int32_t p4;         /* 4 * the pairs of a row */
    int32_t tail;       /* MDY_S8_DW3S2D_* */
    int32_t lastoff;    /* the last output row's row 2 from the plane, -1: zrow */
    int32_t in_plane;
    int32_t n_ch;       /* channels of this call */
    uint32_t lo4, hi4;
    const int8_t *w;    /* the channels' weights, bias, multipliers, shifts */
    const int32_t *bias, *mult, *shift;
    int32_t nzz;        /* (-zp, -zp) */
    int32_t zp2;        /* 2 * out_zp + 1 */
    int32_t slow;       /* set: some channels were off mdy_s8_rq_fast's range (not written) */
} mdy_s8_dw3s2d_geom_t;

/* the middle tap of kernel row r, the weight's half as stored (row 0 low, 1 and 2 high),
 * times the low (top 0) or high (top 1) half of v */
MDY_ALWAYS_INLINE int32_t mdy_s8_dw3s2d_mid(const mdy_s8_dw3s2d_ch_t *ch, int r, int32_t v,
                                            int top, int32_t acc)
{
    if (r == 0) {
        return top ? mdy_s8_smlabt(ch->s01, v, acc) : mdy_s8_smlabb(ch->s01, v, acc);
    }
    if (r == 1) {
        return top ? mdy_s8_smlatt(ch->s01, v, acc) : mdy_s8_smlatb(ch->s01, v, acc);
    }
    return top ? mdy_s8_smlatt(ch->s2, v, acc) : mdy_s8_smlatb(ch->s2, v, acc);
}

MDY_ALWAYS_INLINE void mdy_s8_dw3s2d_st2(int8_t *y, int32_t a0, int32_t a1,
                                         const mdy_s8_dw3s2d_ch_t *ch,
                                         const mdy_s8_dw3s2d_geom_t *g)
{
    mdy_s8_st2(y, mdy_s8_rq_fast(a0, ch->mult, ch->k, ch->sh),
               mdy_s8_rq_fast(a1, ch->mult, ch->k, ch->sh), g->lo4, g->hi4);
}

MDY_ALWAYS_INLINE void mdy_s8_dw3s2d_st1(int8_t *y, int32_t a, const mdy_s8_dw3s2d_ch_t *ch,
                                         const mdy_s8_dw3s2d_geom_t *g)
{
    *y = mdy_s8_clamp(mdy_s8_rq_fast(a, ch->mult, ch->k, ch->sh), (int8_t)(g->lo4 & 0xFFu),
                      (int8_t)(g->hi4 & 0xFFu));
}

/* One channel's constants (as the assembly computes them); 0 when its requantization is
 * off mdy_s8_rq_fast's range. */
MDY_ALWAYS_INLINE int mdy_s8_dw3s2d_prep(const int8_t *w, int32_t b, int32_t nzp, int32_t mult,
                                         int32_t shift, int32_t zp2, mdy_s8_dw3s2d_ch_t *ch)
{
    const int32_t w0 = mdy_s8_ldw(w), w3 = mdy_s8_ldw(w + 3), w5 = mdy_s8_ldw(w + 5);
    const int32_t e0 = mdy_s8_sx02(w0), o0 = mdy_s8_sx13(w0); /* (w0, w2), (w1, w3) */
    const int32_t e3 = mdy_s8_sx02(w3), o3 = mdy_s8_sx13(w3); /* (w3, w5), (w4, w6) */
    const int32_t e5 = mdy_s8_sx02(w5), o5 = mdy_s8_sx13(w5); /* (w5, w7), (w6, w8) */
    ch->wp[0] = e0;
    ch->wp[1] = e3;
    ch->wp[2] = o5;
    ch->s01 = mdy_pair(o0, o3);
    int32_t a = mdy_s8_smlad(e0, nzp, b);
    a = mdy_s8_smlad(e3, nzp, a);
    a = mdy_s8_smlad(o5, nzp, a);
    a = mdy_s8_smlad(ch->s01, nzp, a);
    a = mdy_s8_smlatb(e5, nzp, a);
    ch->acc0 = a;
    /* + zp * the left (low halves) / right (high halves) column */
    ch->acc0l = a - mdy_s8_smlabb(o5, nzp, mdy_s8_smlabb(e3, nzp, mdy_s8_smlabb(e0, nzp, 0)));
    ch->acc0r = a - mdy_s8_smlatb(o5, nzp, mdy_s8_smlatb(e3, nzp, mdy_s8_smlatb(e0, nzp, 0)));
    const uint32_t sh = ~(uint32_t)shift; /* r - 1 */
    const uint32_t r2 = sh - 1u;
    ch->s2 = (int32_t)(((uint32_t)e5 & 0xFFFF0000u) | (sh & 0xFFFFu));
    ch->mult = mult;
    ch->k = (int32_t)((uint32_t)zp2 << (r2 & 31u));
    ch->sh = (int32_t)sh;
    return (r2 | (uint32_t)(mult >> 31)) <= 21u; /* mdy_s8_rq_make's fast case */
}

#if defined(MDY_S8_DSP) && defined(__thumb2__) && !defined(__ARM_BIG_ENDIAN) && \
    !defined(MDY_NO_ASM)
#define MDY_S8_DW3S2D_ASM 1
#include "mdy_s8_dw3s2d_asm.h"
#include "mdy_s8_dw3s2d_map2_asm.h"
#else
/* g->n_ch channels (planes from `plane`, outputs from y), as the assembly. */
static void mdy_s8_dw3s2d_rows(const int8_t *plane, int8_t *y, mdy_s8_dw3s2d_geom_t *g)
{
    const int32_t n = g->n;
    mdy_s8_dw3s2d_ch_t chv;
    const mdy_s8_dw3s2d_ch_t *ch = &chv;
    for (int32_t c = 0; c < g->n_ch; ++c, plane += g->in_plane) {
        if (!mdy_s8_dw3s2d_prep(g->w + 9 * c, g->bias[c], g->nzz, g->mult[c], g->shift[c],
                                g->zp2, &chv)) {
            g->slow = 1; /* the caller redoes it */
            y += g->h * (g->p4 / 2 + 2 + (g->tail == MDY_S8_DW3S2D_RP ? 2 : g->tail ? 1 : 0));
            continue;
        }
        const int8_t *r[3] = {g->zrow, plane, plane + n};
        for (int32_t oh = 0; oh < g->h; ++oh) {
            if (oh == g->h - 1) {
                r[2] = g->lastoff < 0 ? g->zrow : plane + g->lastoff;
            }
            const int8_t *next = r[2];
            int32_t a0 = ch->acc0l, a1 = ch->acc0;
            for (int kh = 0; kh < 3; ++kh) { /* outputs 0, 1 */
                const int32_t v = mdy_s8_ldw(r[kh]);
                const int32_t e = mdy_s8_sx02(v), o = mdy_s8_sx13(v);
                a0 = mdy_s8_dw3s2d_mid(ch, kh, e, 0, mdy_s8_smlatb(ch->wp[kh], o, a0));
                a1 = mdy_s8_dw3s2d_mid(ch, kh, e, 1, mdy_s8_smlad(ch->wp[kh], o, a1));
            }
            mdy_s8_dw3s2d_st2(y, a0, a1, ch, g);
            y += 2;
            int32_t x = 3;
            for (int32_t i = 0; i < g->p4; i += 4, x += 4, y += 2) {
                a0 = ch->acc0;
                a1 = ch->acc0;
                for (int kh = 0; kh < 3; ++kh) {
                    const int32_t v1 = mdy_s8_ldw(r[kh] + x), v2 = mdy_s8_ldw(r[kh] + x + 1);
                    const int32_t o1 = mdy_s8_sx13(v1);
                    a0 = mdy_s8_smlad(ch->wp[kh], mdy_s8_sx02(v1), a0);
                    a1 = mdy_s8_smlad(ch->wp[kh], mdy_s8_sx13(v2), a1);
                    a0 = mdy_s8_dw3s2d_mid(ch, kh, o1, 0, a0);
                    a1 = mdy_s8_dw3s2d_mid(ch, kh, o1, 1, a1);
                }
                mdy_s8_dw3s2d_st2(y, a0, a1, ch, g);
            }
            /* the tail's word: x - 1 (NS), x - 2 (RS), x (RP) */
            if (g->tail == MDY_S8_DW3S2D_NS) {
                a0 = ch->acc0;
                for (int kh = 0; kh < 3; ++kh) {
                    const int32_t v = mdy_s8_ldw(r[kh] + x - 1);
                    const int32_t e = mdy_s8_sx02(v), o = mdy_s8_sx13(v);
                    a0 = mdy_s8_dw3s2d_mid(ch, kh, e, 1, mdy_s8_smlad(ch->wp[kh], o, a0));
                }
                mdy_s8_dw3s2d_st1(y, a0, ch, g);
                y += 1;
            } else if (g->tail == MDY_S8_DW3S2D_RS) {
                a0 = ch->acc0r;
                for (int kh = 0; kh < 3; ++kh) {
                    const int32_t v = mdy_s8_ldw(r[kh] + x - 2);
                    const int32_t e = mdy_s8_sx02(v), o = mdy_s8_sx13(v);
                    a0 = mdy_s8_dw3s2d_mid(ch, kh, o, 1, mdy_s8_smlabt(ch->wp[kh], e, a0));
                }
                mdy_s8_dw3s2d_st1(y, a0, ch, g);
                y += 1;
            } else if (g->tail == MDY_S8_DW3S2D_RP) {
                a0 = ch->acc0;
                a1 = ch->acc0r;
                for (int kh = 0; kh < 3; ++kh) {
                    const int32_t v = mdy_s8_ldw(r[kh] + x);
                    const int32_t e = mdy_s8_sx02(v), o = mdy_s8_sx13(v);
                    a0 = mdy_s8_dw3s2d_mid(ch, kh, o, 0, mdy_s8_smlad(ch->wp[kh], e, a0));
                    a1 = mdy_s8_dw3s2d_mid(ch, kh, o, 1, mdy_s8_smlabt(ch->wp[kh], e, a1));
                }
                mdy_s8_dw3s2d_st2(y, a0, a1, ch, g);
                y += 2;
            }
            r[0] = next;
            r[1] = next + n;
            r[2] = next + 2 * n;
        }
    }
}
#endif

typedef void (*mdy_s8_dw3s2d_rows_fn)(const int8_t *plane, int8_t *y, mdy_s8_dw3s2d_geom_t *g);

/* One channel off mdy_s8_rq_fast's range: direct. */
MDY_NOINLINE static void mdy_s8_dw3s2d_slow(const int8_t *plane, const mdy_conv_params_t *p,
                                            const mdy_s8_requant_t *q, const int8_t *wc,
                                            int32_t b, const mdy_s8_rq_t *rq, int8_t *y)
{
    for (int32_t oh = 0; oh < p->out_h; ++oh) {
        for (int32_t ow = 0; ow < p->out_w; ++ow) {
            int32_t acc = b;
            for (int32_t kh = 0; kh < 3; ++kh) {
                const int32_t ih = 2 * oh - 1 + kh;
                for (int32_t kw = 0; kw < 3; ++kw) {
                    const int32_t iw = 2 * ow - 1 + kw;
                    if (ih >= 0 && ih < p->in_h && iw >= 0 && iw < p->in_w) {
                        acc += (plane[ih * p->in_w + iw] - q->in_zp) * wc[kh * 3 + kw];
                    }
                }
            }
            *y++ = mdy_s8_finish(acc, rq, q->act_min, q->act_max);
        }
    }
}

/* 2x2 maps: one output per channel, b + sum of (x - zp) * w over the four live taps
 * (x0 w4 + x1 w5 + x2 w7 + x3 w8): one word load of the plane, SXTB16 and SSUB16 give
 * (x0, x2) and (x1, x3) minus zp, four SMLAxy with the weights as bytes. */
MDY_ALWAYS_INLINE int32_t mdy_s8_dw3s2d_acc1(const int8_t *x, const int8_t *w, int32_t b,
                                             int32_t zz)
{
    const int32_t v = mdy_s8_ldw(x);
    const int32_t e = mdy_s8_ssub16(mdy_s8_sx02(v), zz), o = mdy_s8_ssub16(mdy_s8_sx13(v), zz);
    int32_t a = mdy_s8_smlabb(w[4], e, b);
    a = mdy_s8_smlabb(w[5], o, a);
    a = mdy_s8_smlabt(w[7], e, a);
    return mdy_s8_smlabt(w[8], o, a);
}

/* mdy_s8_rq_make's fast-case values; *slow |= off the fast case */
MDY_ALWAYS_INLINE int32_t mdy_s8_dw3s2d_rq1(int32_t a, int32_t mult, int32_t shift, int32_t zp2,
                                            uint32_t *slow)
{
    const uint32_t r2 = (uint32_t)(-2 - shift);
    *slow |= (r2 | (uint32_t)(mult >> 31)) > 21u;
    const int32_t k = (int32_t)((uint32_t)zp2 << (r2 & 31u));
    return mdy_s8_rq_fast(a, mult, k, (int32_t)r2 + 1);
}

MDY_NOINLINE static void mdy_s8_dw3s2d_map2(const int8_t *MDY_RESTRICT in,
                                            const mdy_s8_requant_t *q,
                                            const int8_t *MDY_RESTRICT w, const int32_t *bias,
                                            int8_t *MDY_RESTRICT out, int32_t n_c)
{
    const int32_t zp = q->in_zp, out_zp = q->out_zp, lo = q->act_min, hi = q->act_max;
    const int32_t zz = mdy_pair(zp, zp), zp2 = 2 * out_zp + 1;
    const uint32_t lo4 = mdy_s8_rep4(lo), hi4 = mdy_s8_rep4(hi);
    const int32_t *mult = q->mult, *shift = q->shift;
    static const int32_t zero[4] = {0, 0, 0, 0};
    const int32_t *bp = bias ? bias : zero;
    const int32_t bstep = bias ? 4 : 0;
    int32_t c = 0;
#ifdef MDY_S8_DW3S2D_ASM
    (void)bp;
    (void)bstep;
    int32_t zeros[32];
    if (!bias) {
        memset(zeros, 0, sizeof zeros);
    }
    while (c + 4 <= n_c) {
        int32_t nb = (n_c - c) & ~3;
        if (!bias && nb > 32) {
            nb = 32;
        }
        mdy_s8_dw3s2d_map2_t m = {bias ? bias + c : zeros, mult + c, shift + c,
                                  mdy_pair(-zp, -zp), zp2, lo4, hi4, in + 4 * nb, 0};
        mdy_s8_dw3s2d_map2_asm(in, w + 8, out, &m);
        if (MDY_UNLIKELY(m.slow)) { /* redo the channels off the fast case */
            for (int32_t j = 0; j < nb; ++j) {
                const mdy_s8_rq_t r = mdy_s8_rq_make(mult[c + j], shift[c + j], out_zp);
                if (r.slow) {
                    const int32_t a = mdy_s8_dw3s2d_acc1(in + 4 * j, w + 9 * j,
                                                         bias ? bias[c + j] : 0, zz);
                    out[j] = mdy_s8_finish(a, &r, lo, hi);
                }
            }
        }
        c += nb;
        in += 4 * nb;
        w += 9 * nb;
        out += nb;
    }
#else
    for (; c + 4 <= n_c; c += 4, in += 16, w += 36, out += 4, bp += bstep, mult += 4, shift += 4) {
        uint32_t slow = 0;
        int32_t v[4];
        for (int j = 0; j < 4; ++j) {
            const int32_t a = mdy_s8_dw3s2d_acc1(in + 4 * j, w + 9 * j, bp[j], zz);
            v[j] = mdy_s8_dw3s2d_rq1(a, mult[j], shift[j], zp2, &slow);
        }
        if (MDY_UNLIKELY(slow)) {
            for (int j = 0; j < 4; ++j) {
                const int32_t a = mdy_s8_dw3s2d_acc1(in + 4 * j, w + 9 * j, bp[j], zz);
                const mdy_s8_rq_t r = mdy_s8_rq_make(mult[j], shift[j], out_zp);
                out[j] = mdy_s8_finish(a, &r, lo, hi);
            }
            continue;
        }
        mdy_s8_st4(out, mdy_s8_pack4(v[0], v[1], v[2], v[3], lo4, hi4));
    }
    c = n_c & ~3;
#endif
    for (; c < n_c; ++c, in += 4, w += 9, ++out) {
        const int32_t a = mdy_s8_dw3s2d_acc1(in, w, bias ? bias[c] : 0, zz);
        const mdy_s8_rq_t r = mdy_s8_rq_make(q->mult[c], q->shift[c], out_zp);
        *out = mdy_s8_finish(a, &r, lo, hi);
    }
}

/* The rows path (the checks done by the caller). */
MDY_NOINLINE static void mdy_s8_dw3s2d_direct(const int8_t *in, const mdy_conv_params_t *p,
                                              const mdy_s8_requant_t *q, const int8_t *w,
                                              const int32_t *bias, int8_t *out)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, out_h = p->out_h, out_w = p->out_w;
    const int re = 2 * out_w - 1 == in_w; /* the last output's right tap is padding */
    const int32_t rest = out_w - 2;       /* after outputs 0 and 1 */
    mdy_s8_dw3s2d_geom_t g;
    if (re) {
        g.tail = (rest & 1) ? MDY_S8_DW3S2D_RS : MDY_S8_DW3S2D_RP;
        g.p4 = 4 * ((rest & 1) ? (rest - 1) / 2 : (rest - 2) / 2);
    } else {
        g.tail = (rest & 1) ? MDY_S8_DW3S2D_NS : MDY_S8_DW3S2D_NONE;
        g.p4 = 4 * (rest / 2);
    }
    int8_t zrow[MDY_S8_DW3S2D_ZROW];
    const int32_t zp = q->in_zp;
    {
        const uint32_t z4 = mdy_s8_rep4(zp);
        for (int32_t i = 0; i < in_w; i += 4) {
            memcpy(zrow + i, &z4, 4);
        }
    }
    g.zrow = zrow;
    g.n = in_w;
    g.h = out_h;
    g.lastoff = 2 * out_h - 1 == in_h ? -1 : (2 * out_h - 1) * in_w;
    g.in_plane = in_h * in_w;
    g.lo4 = mdy_s8_rep4(q->act_min);
    g.hi4 = mdy_s8_rep4(q->act_max);
    g.nzz = mdy_pair(-zp, -zp);
    g.zp2 = 2 * q->out_zp + 1;
    const size_t out_plane = (size_t)out_h * out_w;
    mdy_s8_dw3s2d_rows_fn rows = mdy_s8_dw3s2d_rows;
#ifdef MDY_S8_DW3S2D_ASM
    if (out_w == 3) {
        rows = g.tail == MDY_S8_DW3S2D_RS ? mdy_s8_dw3s2d_w3rs : mdy_s8_dw3s2d_w3ns;
    }
#endif
    int32_t zeros[32]; /* the bias of calls without one, 32 channels at a time */
    if (!bias) {
        memset(zeros, 0, sizeof zeros);
    }
    for (int32_t c = 0; c < p->out_c; c += g.n_ch) {
        g.n_ch = bias || p->out_c - c < 32 ? p->out_c - c : 32;
        g.w = w + (size_t)c * 9;
        g.bias = bias ? bias + c : zeros;
        g.mult = q->mult + c;
        g.shift = q->shift + c;
        g.slow = 0;
        rows(in + (size_t)c * g.in_plane, out + (size_t)c * out_plane, &g);
        if (MDY_UNLIKELY(g.slow)) { /* the channels off mdy_s8_rq_fast's range */
            for (int32_t j = c; j < c + g.n_ch; ++j) {
                const mdy_s8_rq_t rq = mdy_s8_rq_make(q->mult[j], q->shift[j], q->out_zp);
                if (rq.slow) {
                    mdy_s8_dw3s2d_slow(in + (size_t)j * g.in_plane, p, q, w + (size_t)j * 9,
                                       bias ? bias[j] : 0, &rq, out + (size_t)j * out_plane);
                }
            }
        }
    }
}

int mdy_conv_s8_dw3s2(const int8_t *in, const mdy_conv_params_t *p, const mdy_s8_requant_t *q,
                      const int8_t *w, const int32_t *bias, int8_t *out)
{
    if (p->k_h != 3 || p->k_w != 3 || p->stride_h != 2 || p->stride_w != 2 || p->dil_h != 1 ||
        p->dil_w != 1 || p->pad_top != 1 || p->pad_left != 1) {
        return 0;
    }
    const int32_t in_h = p->in_h, in_w = p->in_w, out_h = p->out_h, out_w = p->out_w;
    if (in_h == 2 && in_w == 2 && out_h == 1 && out_w == 1) {
#ifdef MDY_S8_DW3S2D_ASM
        /* the common case straight to the assembly (the C around it cost ~0.3 instr/MAC
         * on 48 channels); the rest, or a channel off the fast requantization: below */
        if (bias && p->out_c > 0 && (p->out_c & 3) == 0) {
            const int32_t zp = q->in_zp;
            mdy_s8_dw3s2d_map2_t m = {bias, q->mult, q->shift, mdy_pair(-zp, -zp),
                                      2 * q->out_zp + 1, mdy_s8_rep4(q->act_min),
                                      mdy_s8_rep4(q->act_max), in + 4 * p->out_c, 0};
            mdy_s8_dw3s2d_map2_asm(in, w + 8, out, &m);
            if (!MDY_UNLIKELY(m.slow)) {
                return 1;
            }
        }
#endif
        mdy_s8_dw3s2d_map2(in, q, w, bias, out, p->out_c);
        return 1;
    }
    /* rows of >= 3 outputs (narrower maps: mdy_conv_s8_dw_tiny); rows of 3 only with 3 of
     * them (5x5, 6x6: the unrolled instances) */
    if (out_w < 3 || out_h < 1 || 2 * out_w - 1 > in_w || 2 * out_h - 1 > in_h ||
        in_w > MDY_S8_DW3S2D_ZROW || (out_w == 3 && out_h != 3)) {
        return 0;
    }
    mdy_s8_dw3s2d_direct(in, p, q, w, bias, out);
    return 1;
}
