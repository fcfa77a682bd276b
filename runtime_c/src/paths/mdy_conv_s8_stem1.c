/*
 * mdy_conv_s8_stem1: int8 3x3 convolutions with one input channel (grey stems: groups
 * 1, dilation 1, any stride, padding and channel count), called by mdy_conv2d_s8.
 * Nine taps per output, so the requantization and the store weigh as much as the dot
 * product; the work is laid out for them:
 *   - four pixels x one or two channels per pass: each channel's four results are
 *     requantized and clamped as one word (mdy_s8_pack4) and stored by one STR (output
 *     rows are contiguous pixels); 3 pixels left over: the four last pixels again (the
 *     overlap written twice, same bytes), 1 or 2: one pixel per pass;
 *   - the 9 taps padded to 10 = 5 SMLAD, in an order both sides get from whole-row word
 *     loads (SXTB16 of bytes b0 b1 b2 b3 = (b0, b2), ror 8 = (b1, b3)), rows r0..r2:
 *       column (r0b0, r0b2) (r1b0, r1b2) (r2b0, r2b2) (r0b1, r1b1) (0, r2b1)
 *       weights (w0, w2)   (w3, w5)   (w6, w8)   (w1, w4)   (w5, w7)
 *     the column 15 instructions + 5 stores per pixel (3 row words); maps of 8+ output
 *     pixels first make a table per channel (these weight words, bias, requantization)
 *     and pass two channels at a time (every column load serves 2 SMLAD), smaller ones
 *     read w and q directly, one channel per pass;
 *   - small maps (<= G1_PAD_BYTES covered) are first copied zp-padded, so that every
 *     window is inside the copy; larger maps gather the windows over the border (and
 *     the last one, whose row word would read past the map) from a zp-filled 3x4 copy;
 *   - 1x1 outputs: on the M4 a 2x2 map padded by 1 on top and left (taps 4 5 7 8 live)
 *     with a bias runs mdy_s8_stem1_one_asm.h from here (the call shares this frame: from
 *     a function of its own it took 9 more instructions), everything else
 *     mdy_conv_s8_stem1_one.c (taps in natural order, four channels per stored word).
 * Instructions per MAC on bench/kernels_s8.py's grey rows, maps 32..2: 2.79 .. 3.56
 * (1->32 p1) and 3.06 .. 3.99 (1->16 s2 p1) down to 3x3, 3.81 at 2x2 (one output pixel:
 * 16 requantizations for 144 MACs; 5.56 in C); the RGB stem's code did 3.50 .. 4.23 and
 * 3.79 .. 7.43.
 * Bit-exact with mdy_conv2d_s8's generic loop: int32 accumulation is exact in any order.
 * Returns 0 (nothing written) when the shape does not qualify.
 */
#include "mdy_s8_stem1_internal.h"

/* the five column words of the window whose rows start at x, x + pitch, x + 2 pitch
 * (4 bytes readable each), zz = (zp, zp) */
MDY_ALWAYS_INLINE void g1_gather(const int8_t *x, int32_t pitch, int32_t zz, int32_t *c)
{
    const int32_t ra = mdy_s8_ldw(x), rb = mdy_s8_ldw(x + pitch), rc = mdy_s8_ldw(x + 2 * pitch);
    c[0] = mdy_s8_ssub16(mdy_s8_sx02(ra), zz);
    c[1] = mdy_s8_ssub16(mdy_s8_sx02(rb), zz);
    c[2] = mdy_s8_ssub16(mdy_s8_sx02(rc), zz);
    c[3] = mdy_s8_ssub16(mdy_pair(mdy_s8_sx13(ra), mdy_s8_sx13(rb)), zz);
    c[4] = (int32_t)((uint32_t)mdy_s8_ssub16(mdy_s8_sx13(rc), zz) << 16);
}

/* the column of the window at (ih0, iw0) through a zp-filled copy of its in-map taps
 * (windows over the border, or whose last row word would read past the map) */
MDY_NOINLINE static void g1_border(const int8_t *x, const g1_geom_t *gm, int32_t ih0,
                                   int32_t iw0, int32_t *c)
{
    uint32_t blk[3];
    g1_block(x, gm, ih0, iw0, blk);
    g1_gather((const int8_t *)blk, 4, mdy_pair(gm->zp, gm->zp), c);
}

/* 1 + the last window column iw0 whose three row words are inside the map, for the
 * window row ih0 (0: none) */
MDY_ALWAYS_INLINE uint32_t g1_row_lim(const g1_geom_t *gm, int32_t ih0)
{
    if (ih0 < 0 || ih0 + 3 > gm->in_h) {
        return 0u;
    }
    const int32_t lim = ih0 + 3 == gm->in_h ? gm->in_w - 3 : gm->in_w - 2;
    return lim > 0 ? (uint32_t)lim : 0u;
}

/* the columns (5 words each) of the n output pixels from flat index pix on */
MDY_NOINLINE static void g1_columns(const int8_t *x, const g1_geom_t *gm, uint32_t pix,
                                    uint32_t n, int32_t *c)
{
    const int32_t in_w = gm->in_w, out_w = gm->out_w, s_w = gm->s_w;
    const int32_t zz = mdy_pair(gm->zp, gm->zp);
    int32_t oh = (int32_t)(pix / (uint32_t)out_w), ow = (int32_t)(pix % (uint32_t)out_w);
    if (gm->all_in) {
        const int32_t row_step = gm->s_h * in_w;
        const int8_t *xr = x + oh * row_step, *xp = xr + ow * s_w;
        for (uint32_t j = 0; j < n; ++j, c += 5) {
            g1_gather(xp, in_w, zz, c);
            xp += s_w;
            if (++ow == out_w) {
                ow = 0;
                xr += row_step;
                xp = xr;
            }
        }
        return;
    }
    int32_t ih0 = oh * gm->s_h - gm->pad_t, iw0 = ow * s_w - gm->pad_l;
    int32_t roff = ih0 * in_w;
    uint32_t lim = g1_row_lim(gm, ih0);
    for (uint32_t j = 0; j < n; ++j, c += 5) {
        if ((uint32_t)iw0 < lim) {
            g1_gather(x + roff + iw0, in_w, zz, c);
        } else {
            g1_border(x, gm, ih0, iw0, c);
        }
        iw0 += s_w;
        if (++ow == out_w) {
            ow = 0;
            iw0 = -gm->pad_l;
            ih0 += gm->s_h;
            roff = ih0 * in_w;
            lim = g1_row_lim(gm, ih0);
        }
    }
}

/* the weight words of one channel (w0, w2) (w3, w5) (w6, w8) (w1, w4) (w5, w7) */
#define G1_W0(A) mdy_s8_sx02(A)
#define G1_W1(B) mdy_s8_sx02(B)
#define G1_W2(C) mdy_s8_sx13(C)
#define G1_W3(A, B) mdy_pair(mdy_s8_sx13(A), mdy_s8_sx13(B))
#define G1_W4(C) mdy_s8_sx02(C)

/* per channel: the 5 weight words, bias, mult, k (fast) or shift (slow), sh (< 0: slow) */
#define G1_TAB 9u
#define G1_CHUNK 32u
/* bytes of the zp-padded copy of small maps (stack) */
#define G1_PAD_BYTES 512u

static void g1_table(const int8_t *w, const int32_t *mult, const int32_t *shift,
                     const int32_t *bias, int32_t bmask, int32_t out_zp, uint32_t n,
                     int32_t *t)
{
    const uint32_t zp2 = 2u * (uint32_t)out_zp + 1u;
    for (uint32_t o = 0; o < n; ++o, w += 9, t += G1_TAB) {
        const int32_t A = mdy_s8_ldw(w), B = mdy_s8_ldw(w + 3), C = mdy_s8_ldw(w + 5);
        t[0] = G1_W0(A);
        t[1] = G1_W1(B);
        t[2] = G1_W2(C);
        t[3] = G1_W3(A, B);
        t[4] = G1_W4(C);
        t[5] = bias[o] & bmask;
        /* mdy_s8_rq_make: sh = r - 1 = ~shift, fast when sh - 1 in [0, 21], m >= 0 */
        const int32_t m = mult[o], sh = ~shift[o];
        const uint32_t r2 = (uint32_t)sh - 1u;
        t[6] = m;
        if ((r2 | (uint32_t)(m >> 31)) > 21u) {
            t[7] = shift[o];
            t[8] = -1;
        } else {
            t[7] = (int32_t)(zp2 << r2);
            t[8] = sh;
        }
    }
}

/* the four results of channel t as one word at y (y[0..3]) */
MDY_ALWAYS_INLINE void g1_store4(const int32_t *t, int32_t a0, int32_t a1, int32_t a2,
                                 int32_t a3, const g1_geom_t *gm, int8_t *y)
{
    const int32_t mult = t[6], k = t[7], sh = t[8];
    if (MDY_UNLIKELY(sh < 0)) {
        const int32_t acc[4] = {a0, a1, a2, a3};
        for (uint32_t j = 0; j < 4u; ++j) {
            y[j] = g1_finish(acc[j], mult, k, gm->out_zp, gm->lo, gm->hi);
        }
        return;
    }
    mdy_s8_st4(y, mdy_s8_pack4(mdy_s8_rq_fast(a0, mult, k, sh), mdy_s8_rq_fast(a1, mult, k, sh),
                               mdy_s8_rq_fast(a2, mult, k, sh), mdy_s8_rq_fast(a3, mult, k, sh),
                               gm->lo4, gm->hi4));
}

/* two channels x the four columns at col, from the table: y[o * n_pix + 0..3] */
MDY_NOINLINE G1_NOSCHED static void g1_pass2(const int32_t *col, const int32_t *tab,
                                             const g1_geom_t *gm, uint32_t n_out,
                                             int8_t *y)
{
    const uint32_t n_pix = gm->n_pix;
    for (uint32_t o = 0; o < n_out; o += 2u, tab += 2u * G1_TAB, y += 2u * n_pix) {
        const int32_t *ta = tab, *tb = o + 1u < n_out ? tab + G1_TAB : tab;
        const int32_t *c = g1_opaque(col);
        int32_t a0 = ta[5], a1 = a0, a2 = a0, a3 = a0;
        int32_t b0 = tb[5], b1 = b0, b2 = b0, b3 = b0;
#pragma GCC unroll 5
        for (uint32_t g = 0; g < 5u; ++g) {
            const int32_t wa = ta[g], wb = tb[g];
            int32_t cv = c[g];
            a0 = mdy_s8_smlad(wa, cv, a0);
            b0 = mdy_s8_smlad(wb, cv, b0);
            cv = c[5u + g];
            a1 = mdy_s8_smlad(wa, cv, a1);
            b1 = mdy_s8_smlad(wb, cv, b1);
            cv = c[10u + g];
            a2 = mdy_s8_smlad(wa, cv, a2);
            b2 = mdy_s8_smlad(wb, cv, b2);
            cv = c[15u + g];
            a3 = mdy_s8_smlad(wa, cv, a3);
            b3 = mdy_s8_smlad(wb, cv, b3);
        }
        g1_store4(ta, a0, a1, a2, a3, gm, y);
        if (o + 1u < n_out) {
            g1_store4(tb, b0, b1, b2, b3, gm, y + n_pix);
        }
    }
}

/* one channel x the four columns at col, weights from w and the requantization made
 * here (maps of 4..7 pixels: one pass does not pay for the table) */
MDY_NOINLINE G1_NOSCHED static void g1_pass1(const int32_t *col, const int8_t *w,
                                             const mdy_s8_requant_t *q, const int32_t *bias,
                                             const g1_geom_t *gm, uint32_t n_out, int8_t *y)
{
    const uint32_t n_pix = gm->n_pix;
    const uint32_t zp2 = 2u * (uint32_t)gm->out_zp + 1u;
    const uint32_t lo4 = gm->lo4, hi4 = gm->hi4;
    const int32_t *mult = q->mult, *shift = q->shift;
    for (uint32_t o = 0; o < n_out; ++o, w += 9, y += n_pix) {
        const int32_t A = mdy_s8_ldw(w), B = mdy_s8_ldw(w + 3), C = mdy_s8_ldw(w + 5);
        const int32_t *c = g1_opaque(col);
        const int32_t b = bias[o] & gm->bmask;
        /* pixel by pixel, the five weight words live: the column words load in pairs
         * (LDRD) */
        const int32_t t0 = G1_W0(A), t1 = G1_W1(B), t2 = G1_W2(C), t3 = G1_W3(A, B);
        const int32_t t4 = G1_W4(C);
        int32_t acc[4];
#pragma GCC unroll 4
        for (uint32_t j = 0; j < 4u; ++j, c += 5) {
            int32_t a = mdy_s8_smlad(t0, c[0], b);
            a = mdy_s8_smlad(t1, c[1], a);
            a = mdy_s8_smlad(t2, c[2], a);
            a = mdy_s8_smlad(t3, c[3], a);
            acc[j] = mdy_s8_smlad(t4, c[4], a);
        }
        const int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
        /* mdy_s8_rq_make: sh = r - 1 = ~shift, fast when sh - 1 in [0, 21], m >= 0 */
        const int32_t m = mult[o], sh = ~shift[o];
        const uint32_t r2 = (uint32_t)sh - 1u;
        if (MDY_UNLIKELY((r2 | (uint32_t)(m >> 31)) > 21u)) {
            const int32_t acc[4] = {a0, a1, a2, a3};
            for (uint32_t j = 0; j < 4u; ++j) {
                y[j] = g1_finish(acc[j], m, shift[o], gm->out_zp, gm->lo, gm->hi);
            }
            continue;
        }
        const int32_t k = (int32_t)(zp2 << r2);
        mdy_s8_st4(y, mdy_s8_pack4(mdy_s8_rq_fast(a0, m, k, sh), mdy_s8_rq_fast(a1, m, k, sh),
                                   mdy_s8_rq_fast(a2, m, k, sh), mdy_s8_rq_fast(a3, m, k, sh),
                                   lo4, hi4));
    }
}

/* one output pixel (column c, 5 words) of every channel: y[o * n_pix] */
MDY_NOINLINE G1_NOSCHED static void g1_pixel(const int32_t *c, const int8_t *w,
                                             const mdy_s8_requant_t *q, const int32_t *bias,
                                             const g1_geom_t *gm, uint32_t n_out, int8_t *y)
{
    const uint32_t n_pix = gm->n_pix;
    const uint32_t zp2 = 2u * (uint32_t)gm->out_zp + 1u;
    const int32_t *mult = q->mult, *shift = q->shift;
    const int32_t c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3], c4 = c[4];
    for (uint32_t o = 0; o < n_out; ++o, w += 9, y += n_pix) {
        const int32_t A = mdy_s8_ldw(w), B = mdy_s8_ldw(w + 3), C = mdy_s8_ldw(w + 5);
        int32_t a = bias[o] & gm->bmask;
        a = mdy_s8_smlad(G1_W0(A), c0, a);
        a = mdy_s8_smlad(G1_W1(B), c1, a);
        a = mdy_s8_smlad(G1_W3(A, B), c3, a);
        a = mdy_s8_smlad(G1_W2(C), c2, a);
        a = mdy_s8_smlad(G1_W4(C), c4, a);
        /* mdy_s8_rq_make: sh = r - 1 = ~shift, fast when sh - 1 in [0, 21], m >= 0 */
        const int32_t m = mult[o], sh = ~shift[o];
        const uint32_t r2 = (uint32_t)sh - 1u;
        if (MDY_UNLIKELY((r2 | (uint32_t)(m >> 31)) > 21u)) {
            *y = g1_finish(a, m, shift[o], gm->out_zp, gm->lo, gm->hi);
            continue;
        }
        const int32_t v = mdy_s8_rq_fast(a, m, (int32_t)(zp2 << r2), sh);
        *y = (int8_t)(uint8_t)mdy_s8_clamp2(v, v, gm->lo4, gm->hi4);
    }
}

/* the same from the table (maps that made one) */
MDY_NOINLINE G1_NOSCHED static void g1_pixel_tab(const int32_t *c, const int32_t *t,
                                                 const g1_geom_t *gm, uint32_t n_out,
                                                 int8_t *y)
{
    const uint32_t n_pix = gm->n_pix;
    const int32_t c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3], c4 = c[4];
    for (uint32_t o = 0; o < n_out; ++o, t += G1_TAB, y += n_pix) {
        int32_t a = t[5];
        a = mdy_s8_smlad(t[0], c0, a);
        a = mdy_s8_smlad(t[1], c1, a);
        a = mdy_s8_smlad(t[2], c2, a);
        a = mdy_s8_smlad(t[3], c3, a);
        a = mdy_s8_smlad(t[4], c4, a);
        const int32_t mult = t[6], k = t[7], sh = t[8];
        if (MDY_UNLIKELY(sh < 0)) {
            *y = g1_finish(a, mult, k, gm->out_zp, gm->lo, gm->hi);
        } else {
            const int32_t v = mdy_s8_rq_fast(a, mult, k, sh);
            *y = (int8_t)(uint8_t)mdy_s8_clamp2(v, v, gm->lo4, gm->hi4);
        }
    }
}

#if defined(MDY_S8_DSP) && defined(__thumb2__) && !defined(__ARM_BIG_ENDIAN) && \
    !defined(MDY_NO_ASM)
#define G1_ONE_ASM 1
#include "mdy_s8_stem1_one_asm.h"
#endif

#ifdef G1_ONE_ASM
/* 1x1 output of a 2x2 map padded by 1 on top and left, a bias, 4+ channels: multiples of
 * four in the assembly, the last n_out % 4 by mdy_conv_s8_stem1_one; 0: not done (a
 * channel off the fast requantization, or the shape; nothing that counts written) */
MDY_ALWAYS_INLINE int g1_single_2x2(const int8_t *in, const mdy_conv_params_t *p,
                                    const mdy_s8_requant_t *q, const int8_t *w,
                                    const int32_t *bias, int8_t *out)
{
    const uint32_t n4 = p->out_c & ~3u;
    if (p->in_h != 2u || p->in_w != 2u || p->pad_top != 1u || p->pad_left != 1u || !bias ||
        n4 == 0u || mdy_s8_g1one_2x2_asm(in, q, w + 8, out, bias, out + n4) > 15u) {
        return 0;
    }
    if (MDY_UNLIKELY(n4 != p->out_c)) {
        mdy_conv_params_t pt = *p;
        const mdy_s8_requant_t qt = {q->in_zp, q->out_zp, q->act_min, q->act_max,
                                     q->mult + n4, q->shift + n4};
        pt.out_c = (uint16_t)(p->out_c - n4);
        mdy_conv_s8_stem1_one(in, &pt, &qt, w + 9u * n4, bias + n4, out + n4);
    }
    return 1;
}
#endif

/* channels [0, n) of a chunk: w, q, bias and out already offset to its first channel */
MDY_NOINLINE static void g1_chunk(const int8_t *x, const g1_geom_t *gm, const int8_t *w,
                                  const mdy_s8_requant_t *q, const int32_t *bias, uint32_t n,
                                  int8_t *out)
{
    const uint32_t n_pix = gm->n_pix;
    int32_t col[4 * 5];
    int32_t tab[G1_CHUNK * G1_TAB];
    const int table = n_pix >= 8u; /* two passes pay for it */
    if (table) {
        g1_table(w, q->mult, q->shift, bias, gm->bmask, gm->out_zp, n, tab);
    }
    uint32_t pix = 0;
    for (; pix + 4u <= n_pix; pix += 4u) {
        g1_columns(x, gm, pix, 4u, col);
        if (table) {
            g1_pass2(col, tab, gm, n, out + pix);
        } else {
            g1_pass1(col, w, q, bias, gm, n, out + pix);
        }
    }
    if (n_pix - pix == 3u && n_pix > 4u) { /* the four last pixels: one redone */
        g1_columns(x, gm, n_pix - 4u, 4u, col);
        if (table) {
            g1_pass2(col, tab, gm, n, out + n_pix - 4u);
        } else {
            g1_pass1(col, w, q, bias, gm, n, out + n_pix - 4u);
        }
        return;
    }
    for (; pix < n_pix; ++pix) { /* one or two pixels left (or a map of 2 or 3) */
        g1_columns(x, gm, pix, 1u, col);
        if (table) {
            g1_pixel_tab(col, tab, gm, n, out + pix);
        } else {
            g1_pixel(col, w, q, bias, gm, n, out + pix);
        }
    }
}

/* the zp-padded copy (hp x wp bytes, the map at (pad_top, pad_left)) of a small map */
MDY_NOINLINE G1_NOLIBCALL static void g1_pad(const int8_t *in, const mdy_conv_params_t *p,
                                             int32_t zp, int32_t hp, int32_t wp,
                                             uint32_t *padded)
{
    /* whole pairs of words (STRD): G1_PAD_BYTES is a multiple of 8 */
    const uint32_t zp4 = mdy_s8_rep4(zp), nw = ((uint32_t)(hp * wp) + 7u) / 8u * 2u;
    for (uint32_t i = 0; i < nw; i += 2u) {
        padded[i] = zp4;
        padded[i + 1u] = zp4;
    }
    const int32_t r_hi = p->in_h < hp - p->pad_top ? p->in_h : hp - p->pad_top;
    const int32_t n = p->in_w < wp - p->pad_left ? p->in_w : wp - p->pad_left;
    if (r_hi <= 0 || n <= 0) {
        return;
    }
    int8_t *dst = (int8_t *)padded + p->pad_top * wp + p->pad_left;
    const int8_t *src = in;
    for (int32_t ih = 0; ih < r_hi; ++ih, dst += wp, src += p->in_w) {
        int32_t j = 0;
        for (; j + 4 <= n; j += 4) {
            memcpy(dst + j, src + j, 4); /* LDR, STR */
        }
        for (; j < n; ++j) {
            dst[j] = src[j];
        }
    }
}

int mdy_conv_s8_stem1(const int8_t *in, const mdy_conv_params_t *p, const mdy_s8_requant_t *q,
                      const int8_t *w, const int32_t *bias, int8_t *out)
{
    const uint32_t n_out = p->out_c;
    if (p->in_c != 1u || p->groups != 1u || p->k_h != 3u || p->k_w != 3u || p->dil_h != 1u ||
        p->dil_w != 1u) {
        return 0;
    }
    const uint32_t n_pix = (uint32_t)p->out_h * p->out_w;
    if (n_pix == 0u || n_out == 0u) {
        return 1;
    }
    if (n_pix == 1u) {
#ifdef G1_ONE_ASM
        if (g1_single_2x2(in, p, q, w, bias, out)) {
            return 1;
        }
#endif
        mdy_conv_s8_stem1_one(in, p, q, w, bias, out);
        return 1;
    }
    g1_geom_t gm = {p->in_h, p->in_w, p->out_w, p->stride_h, p->stride_w, p->pad_top,
                    p->pad_left, q->in_zp, q->out_zp, q->act_min, q->act_max, n_out, n_pix,
                    mdy_s8_rep4(q->act_min), mdy_s8_rep4(q->act_max), bias ? -1 : 0, 0};
    if (!bias) {
        bias = q->mult; /* n_out readable words, masked to 0 */
    }
    /* small maps: a zp-padded copy of what the windows cover, so that every window is
     * inside it (no border columns; the row word past each window in bounds too) */
    const int32_t hp = ((int32_t)p->out_h - 1) * p->stride_h + 3;
    const int32_t wp = ((int32_t)p->out_w - 1) * p->stride_w + 4;
    uint32_t padded[G1_PAD_BYTES / 4u];
    if (hp * wp <= (int32_t)G1_PAD_BYTES) {
        g1_pad(in, p, q->in_zp, hp, wp, padded);
        in = (const int8_t *)padded;
        gm.in_h = hp;
        gm.in_w = wp;
        gm.pad_t = 0;
        gm.pad_l = 0;
        gm.all_in = 1;
    }
    if (n_out <= G1_CHUNK) {
        g1_chunk(in, &gm, w, q, bias, n_out, out);
        return 1;
    }
    for (uint32_t o = 0; o < n_out; o += G1_CHUNK) {
        const uint32_t n = n_out - o < G1_CHUNK ? n_out - o : G1_CHUNK;
        const mdy_s8_requant_t qc = {q->in_zp, q->out_zp, q->act_min, q->act_max,
                                     q->mult + o, q->shift + o};
        g1_chunk(in, &gm, w + 9u * o, &qc, bias + o, n, out + o * n_pix);
    }
    return 1;
}
