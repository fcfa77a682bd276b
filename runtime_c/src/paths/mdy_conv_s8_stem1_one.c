/*
 * mdy_conv_s8_stem1_one: mdy_conv_s8_stem1 (int8 grey 3x3 stems) on one output pixel, in
 * C, called by it when out_h * out_w == 1. Nine taps per channel, so the work is the
 * channels': the window's column is built once (zp-filled 3x4 copy, taps off the map =
 * zp, so padding taps are zero), then taps in natural order (w0..w3, w4..w7 words, w8
 * alone), the first group skipped when it holds padding only, four channels per stored
 * word; a channel off the fast requantization case sends the rest one channel at a time.
 * On the M4 mdy_conv_s8_stem1 first runs 2x2 maps padded by 1 on top and left with a
 * bias through mdy_s8_stem1_one_asm.h (the column built there from the map's one word,
 * 20 instructions per channel); the n % 4 last channels and calls with a channel off its
 * requantization range (right shifts 2..17, mult >= 0) come here.
 * Bit-exact with mdy_conv2d_s8's generic loop: int32 accumulation is exact in any order.
 */
#include "mdy_s8_stem1_internal.h"

/* 1x1 outputs: the window at (ih0, iw0) in natural tap order (x0, x2) (x1, x3) (x4, x6)
 * (x5, x7) x8 (padding taps zero), from the row words of its 3x4 block */
static void g1_one_column(const int8_t *x, const g1_geom_t *gm, int32_t ih0, int32_t iw0,
                          int32_t *cw)
{
    uint32_t blk[3];
    g1_block(x, gm, ih0, iw0, blk);
    const int32_t zz = mdy_pair(gm->zp, gm->zp);
    const int8_t *b = (const int8_t *)blk;
    const int32_t r0 = mdy_s8_ldw(b), r1 = mdy_s8_ldw(b + 4), r2 = mdy_s8_ldw(b + 8);
    const int32_t e1 = mdy_s8_ssub16(mdy_s8_sx02(r1), zz), o1 = mdy_s8_ssub16(mdy_s8_sx13(r1), zz);
    const int32_t e2 = mdy_s8_ssub16(mdy_s8_sx02(r2), zz), o2 = mdy_s8_ssub16(mdy_s8_sx13(r2), zz);
    cw[0] = mdy_s8_ssub16(mdy_s8_sx02(r0), zz);                    /* (x0, x2) */
    cw[1] = mdy_pair(mdy_s8_ssub16(mdy_s8_sx13(r0), zz), e1);      /* (x1, x3) */
    cw[2] = mdy_pair(o1, e2);                                      /* (x4, x6) */
    cw[3] = mdy_pair((int32_t)((uint32_t)e1 >> 16), o2);           /* (x5, x7) */
    cw[4] = e2 >> 16;                                              /* x8 */
}

/* acc of one channel over that column; skip_a: taps 0..3 are zero */
MDY_ALWAYS_INLINE int32_t g1_one_dot(const int32_t *cw, const int8_t *w, int32_t a,
                                     const int skip_a)
{
    if (!skip_a) {
        const int32_t A = mdy_s8_ldw(w);
        a = mdy_s8_smlad(mdy_s8_sx02(A), cw[0], a);
        a = mdy_s8_smlad(mdy_s8_sx13(A), cw[1], a);
    }
    const int32_t B = mdy_s8_ldw(w + 4);
    a = mdy_s8_smlad(mdy_s8_sx02(B), cw[2], a);
    a = mdy_s8_smlad(mdy_s8_sx13(B), cw[3], a);
    return mdy_s8_smlabb((int32_t)w[8], cw[4], a);
}

/* 1x1 outputs: four channels per pass, their outputs contiguous (one STR); a channel off
 * the fast requantization case sends the rest one channel at a time */
MDY_ALWAYS_INLINE void g1_one(const int32_t *cw, const int8_t *w, const mdy_s8_requant_t *q,
                              const int32_t *bias, const g1_geom_t *gm, int8_t *y,
                              const int skip_a)
{
    const uint32_t n_out = gm->n_out;
    const uint32_t zp2 = 2u * (uint32_t)gm->out_zp + 1u;
    const int32_t *mult = q->mult, *shift = q->shift;
    uint32_t o = 0;
    for (; o + 4u <= n_out; o += 4u, w += 36) {
        const int32_t *c = g1_opaque(cw);
        int32_t v[4];
        uint32_t j = 0;
#pragma GCC unroll 4
        for (; j < 4u; ++j) {
            /* mdy_s8_rq_make: sh = r - 1 = ~shift, fast when sh - 1 in [0, 21], m >= 0 */
            const int32_t m = mult[o + j], sh = ~shift[o + j];
            const uint32_t r2 = (uint32_t)sh - 1u;
            if (MDY_UNLIKELY((r2 | (uint32_t)(m >> 31)) > 21u)) {
                break;
            }
            const int32_t a = g1_one_dot(c, w + 9u * j, bias[o + j] & gm->bmask, skip_a);
            v[j] = mdy_s8_rq_fast(a, m, (int32_t)(zp2 << r2), sh);
        }
        if (MDY_UNLIKELY(j < 4u)) {
            break;
        }
        mdy_s8_st4(y + o, mdy_s8_pack4(v[0], v[1], v[2], v[3], gm->lo4, gm->hi4));
    }
    for (; o < n_out; ++o, w += 9) {
        const int32_t a = g1_one_dot(cw, w, bias[o] & gm->bmask, 0);
        y[o] = g1_finish(a, mult[o], shift[o], gm->out_zp, gm->lo, gm->hi);
    }
}

MDY_NOINLINE G1_NOSCHED static void g1_one_all(const int32_t *cw, const int8_t *w,
                                               const mdy_s8_requant_t *q, const int32_t *bias,
                                               const g1_geom_t *gm, int8_t *y)
{
    g1_one(cw, w, q, bias, gm, y, 0);
}

MDY_NOINLINE G1_NOSCHED static void g1_one_skip(const int32_t *cw, const int8_t *w,
                                                const mdy_s8_requant_t *q, const int32_t *bias,
                                                const g1_geom_t *gm, int8_t *y)
{
    g1_one(cw, w, q, bias, gm, y, 1);
}

/* 1x1 outputs (only the fields their path reads are set) */
void mdy_conv_s8_stem1_one(const int8_t *in, const mdy_conv_params_t *p,
                           const mdy_s8_requant_t *q, const int8_t *w, const int32_t *bias,
                           int8_t *out)
{
    const uint32_t n_out = p->out_c;
    int32_t cw[5];
    g1_geom_t gm;
    gm.in_h = p->in_h;
    gm.in_w = p->in_w;
    gm.zp = q->in_zp;
    g1_one_column(in, &gm, -(int32_t)p->pad_top, -(int32_t)p->pad_left, cw);
    gm.out_zp = q->out_zp;
    gm.lo = q->act_min;
    gm.hi = q->act_max;
    gm.n_out = n_out;
    gm.lo4 = mdy_s8_rep4(q->act_min);
    gm.hi4 = mdy_s8_rep4(q->act_max);
    gm.bmask = bias ? -1 : 0;
    if (!bias) {
        bias = q->mult; /* n_out readable words, masked to 0 */
    }
    if ((cw[0] | cw[1]) == 0) {
        g1_one_skip(cw, w, q, bias, &gm, out);
    } else {
        g1_one_all(cw, w, q, bias, &gm, out);
    }
}
