/*
 * mdy_conv_s8_stem1: int8 3x3 convolutions with one input channel (grey stems: groups
 * 1, dilation 1, any stride and padding, at most MDY_S8_G1_MAX_OC outputs, at least 4
 * output pixels), called by mdy_conv_s8_stem for maps of whole passes of four pixels
 * or of 64 pixels and more (on small odd maps its overlapping last pass cost more than
 * mdy_conv_s8_stem's single last pixel). Nine taps per output, so the requantization and the store weigh as
 * much as the dot product; the work is laid out for them:
 *   - one output channel x four pixels per pass: the four results are requantized and
 *     clamped as one word (mdy_s8_pack4) and stored by one STR (output rows are
 *     contiguous pixels); the last pass of a map whose pixel count is not a multiple of
 *     4 is the four last pixels (the overlap is computed twice, same bytes);
 *   - the 9 taps padded to 10 = 5 SMLAD, in an order both sides get from whole-row word
 *     loads (SXTB16 of bytes b0 b1 b2 b3 = (b0, b2), ror 8 = (b1, b3)), rows r0..r2:
 *       column (r0b0, r0b2) (r1b0, r1b2) (r2b0, r2b2) (r0b1, r1b1) (0, r2b1)
 *       weights (w0, w2)   (w3, w5)   (w6, w8)   (w1, w4)   (w5, w7)
 *     the weights straight from w (loads at w, w + 3, w + 5: 9 instructions per channel
 *     and pass, no packed copy), the column 15 instructions + 5 stores per pixel for
 *     windows inside the map; windows over the border (or whose last row word would
 *     read past the map) are first copied into a zp-filled 3x4 block;
 *   - each channel's requantization (mdy_s8_rq_make) in a table made once per call when
 *     the map has more than one pass of pixels, made inline otherwise.
 * Bit-exact with mdy_conv2d_s8's generic loop: int32 accumulation is exact in any order.
 * Returns 0 (nothing written) when the shape does not qualify.
 */
#include "../mdy_s8_internal.h"

#if defined(__GNUC__) && !defined(__clang__)
#define G1_NOSCHED __attribute__((optimize("no-schedule-insns")))
#else
#define G1_NOSCHED
#endif

/* output channels of the requantization table (1 KiB of stack) */
#define MDY_S8_G1_MAX_OC 64u

typedef struct {
    int32_t mult, k, sh, bias;
} g1_rq_t;

typedef struct {
    int32_t in_h, in_w, out_w, s_h, s_w, pad_t, pad_l, zp, out_zp, lo, hi;
    uint32_t n_out, n_pix;
} g1_geom_t;

MDY_ALWAYS_INLINE const int32_t *g1_opaque(const int32_t *p)
{
#if defined(__GNUC__)
    __asm__("" : "+r"(p));
#endif
    return p;
}

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

/* the column of the window at (ih0, iw0): from the map when its three row words are
 * inside it, else through a zp-filled copy of its in-map taps */
MDY_NOINLINE static void g1_column(const int8_t *x, const g1_geom_t *gm, int32_t ih0,
                                   int32_t iw0, int32_t *c)
{
    const int32_t in_h = gm->in_h, in_w = gm->in_w;
    const int32_t zz = mdy_pair(gm->zp, gm->zp);
    if (ih0 >= 0 && iw0 >= 0 && ih0 + 3 <= in_h && iw0 + 3 <= in_w &&
        (ih0 + 3 < in_h || iw0 + 4 <= in_w)) {
        g1_gather(x + ih0 * in_w + iw0, in_w, zz, c);
        return;
    }
    uint32_t blk[3];
    const uint32_t zp4 = mdy_s8_rep4(gm->zp);
    blk[0] = zp4;
    blk[1] = zp4;
    blk[2] = zp4;
    int8_t *b = (int8_t *)blk;
    const int32_t r0 = ih0 < 0 ? -ih0 : 0, r1 = in_h - ih0 < 3 ? in_h - ih0 : 3;
    const int32_t j0 = iw0 < 0 ? -iw0 : 0, j1 = in_w - iw0 < 3 ? in_w - iw0 : 3;
    for (int32_t r = r0; r < r1; ++r) {
        const int8_t *row = x + (ih0 + r) * in_w + iw0;
        for (int32_t j = j0; j < j1; ++j) {
            b[4 * r + j] = row[j];
        }
    }
    g1_gather(b, 4, zz, c);
}

/* requant + clamp of one output, any channel (the slow case included) */
MDY_NOINLINE static int8_t g1_finish(int32_t acc, int32_t mult, int32_t shift, int32_t zp,
                                     int32_t lo, int32_t hi)
{
    const mdy_s8_rq_t r = mdy_s8_rq_make(mult, shift, zp);
    return mdy_s8_finish(acc, &r, lo, hi);
}

/* Every channel over the four columns at col (5 words each): output bytes
 * y[o * n_pix + 0..3]. table: rq holds each channel's requantization and bias (else
 * made here from q and bias). */
MDY_ALWAYS_INLINE void g1_channels(const int32_t *col, const g1_geom_t *gm, const int8_t *w,
                                   const g1_rq_t *rq, const mdy_s8_requant_t *q,
                                   const int32_t *bias, int8_t *y, const int table)
{
    const uint32_t n_out = gm->n_out, n_pix = gm->n_pix;
    const int32_t out_zp = gm->out_zp, lo = gm->lo, hi = gm->hi;
    const uint32_t lo4 = mdy_s8_rep4(lo), hi4 = mdy_s8_rep4(hi);
    const uint32_t zp2 = 2u * (uint32_t)out_zp + 1u;
    for (uint32_t o = 0; o < n_out; ++o, w += 9, y += n_pix) {
        int32_t mult, k, sh, b;
        uint32_t slow;
        if (table) {
            mult = rq[o].mult;
            k = rq[o].k;
            sh = rq[o].sh;
            b = rq[o].bias;
            slow = (uint32_t)sh >> 31;
        } else {
            mult = q->mult[o];
            const uint32_t r2 = (uint32_t)(-2 - q->shift[o]);
            slow = (r2 | (uint32_t)(mult >> 31)) > 21u;
            k = (int32_t)(zp2 << (r2 & 31u));
            sh = (int32_t)(r2 & 31u) + 1;
            b = bias ? bias[o] : 0;
        }
        const int32_t wa = mdy_s8_ldw(w), wb = mdy_s8_ldw(w + 3), wc = mdy_s8_ldw(w + 5);
        const int32_t *c = g1_opaque(col);
        int32_t a0 = b, a1 = b, a2 = b, a3 = b, t;
        t = mdy_s8_sx02(wa);
        a0 = mdy_s8_smlad(t, c[0], a0);
        a1 = mdy_s8_smlad(t, c[5], a1);
        a2 = mdy_s8_smlad(t, c[10], a2);
        a3 = mdy_s8_smlad(t, c[15], a3);
        t = mdy_s8_sx02(wb);
        a0 = mdy_s8_smlad(t, c[1], a0);
        a1 = mdy_s8_smlad(t, c[6], a1);
        a2 = mdy_s8_smlad(t, c[11], a2);
        a3 = mdy_s8_smlad(t, c[16], a3);
        t = mdy_pair(mdy_s8_sx13(wa), mdy_s8_sx13(wb));
        a0 = mdy_s8_smlad(t, c[3], a0);
        a1 = mdy_s8_smlad(t, c[8], a1);
        a2 = mdy_s8_smlad(t, c[13], a2);
        a3 = mdy_s8_smlad(t, c[18], a3);
        t = mdy_s8_sx13(wc);
        a0 = mdy_s8_smlad(t, c[2], a0);
        a1 = mdy_s8_smlad(t, c[7], a1);
        a2 = mdy_s8_smlad(t, c[12], a2);
        a3 = mdy_s8_smlad(t, c[17], a3);
        t = mdy_s8_sx02(wc);
        a0 = mdy_s8_smlad(t, c[4], a0);
        a1 = mdy_s8_smlad(t, c[9], a1);
        a2 = mdy_s8_smlad(t, c[14], a2);
        a3 = mdy_s8_smlad(t, c[19], a3);
        if (MDY_UNLIKELY(slow)) {
            const int32_t acc[4] = {a0, a1, a2, a3};
            for (uint32_t j = 0; j < 4u; ++j) {
                y[j] = g1_finish(acc[j], q->mult[o], q->shift[o], out_zp, lo, hi);
            }
            continue;
        }
        const uint32_t v = mdy_s8_pack4(mdy_s8_rq_fast(a0, mult, k, sh),
                                        mdy_s8_rq_fast(a1, mult, k, sh),
                                        mdy_s8_rq_fast(a2, mult, k, sh),
                                        mdy_s8_rq_fast(a3, mult, k, sh), lo4, hi4);
        mdy_s8_st4(y, v);
    }
}

/* the map in passes of four pixels (n_pix >= 4) */
MDY_ALWAYS_INLINE void g1_run(const int8_t *x, const g1_geom_t *gm, const int8_t *w,
                              const g1_rq_t *rq, const mdy_s8_requant_t *q,
                              const int32_t *bias, int8_t *out, const int table)
{
    const uint32_t n_pix = gm->n_pix, out_w = (uint32_t)gm->out_w;
    int32_t col[4 * 5];
    uint32_t pix = 0;
    int32_t oh = 0, ow = 0;
    while (pix < n_pix) {
        if (pix + 4u > n_pix) { /* the four last pixels */
            pix = n_pix - 4u;
            oh = (int32_t)(pix / out_w);
            ow = (int32_t)(pix % out_w);
        }
        for (uint32_t j = 0; j < 4u; ++j) {
            g1_column(x, gm, oh * gm->s_h - gm->pad_t, ow * gm->s_w - gm->pad_l,
                      col + 5u * j);
            if (++ow == gm->out_w) {
                ow = 0;
                ++oh;
            }
        }
        g1_channels(col, gm, w, rq, q, bias, out + pix, table);
        pix += 4u;
    }
}

MDY_NOINLINE G1_NOSCHED static void g1_run_table(const int8_t *x, const g1_geom_t *gm,
                                                 const int8_t *w, const g1_rq_t *rq,
                                                 const mdy_s8_requant_t *q, int8_t *out)
{
    g1_run(x, gm, w, rq, q, NULL, out, 1);
}

MDY_NOINLINE G1_NOSCHED static void g1_run_inline(const int8_t *x, const g1_geom_t *gm,
                                                  const int8_t *w, const mdy_s8_requant_t *q,
                                                  const int32_t *bias, int8_t *out)
{
    g1_run(x, gm, w, NULL, q, bias, out, 0);
}

/* the requantization of each channel (mdy_s8_rq_make) and its bias; sh < 0: slow */
static void g1_rq_table(const mdy_s8_requant_t *q, const int32_t *bias, uint32_t n_out,
                        g1_rq_t *rq)
{
    const uint32_t zp2 = 2u * (uint32_t)q->out_zp + 1u;
    for (uint32_t o = 0; o < n_out; ++o) {
        const int32_t mult = q->mult[o], shift = q->shift[o];
        const uint32_t r2 = (uint32_t)(-2 - shift);
        rq[o].mult = mult;
        rq[o].bias = bias ? bias[o] : 0;
        if ((r2 | (uint32_t)(mult >> 31)) > 21u) {
            rq[o].k = 0;
            rq[o].sh = -1;
        } else {
            rq[o].k = (int32_t)(zp2 << r2);
            rq[o].sh = (int32_t)r2 + 1;
        }
    }
}

int mdy_conv_s8_stem1(const int8_t *in, const mdy_conv_params_t *p, const mdy_s8_requant_t *q,
                      const int8_t *w, const int32_t *bias, int8_t *out)
{
    const uint32_t n_out = p->out_c;
    if (p->in_c != 1u || p->groups != 1u || p->k_h != 3u || p->k_w != 3u || p->dil_h != 1u ||
        p->dil_w != 1u || n_out > MDY_S8_G1_MAX_OC) {
        return 0;
    }
    const uint32_t n_pix = (uint32_t)p->out_h * p->out_w;
    const g1_geom_t gm = {p->in_h, p->in_w, p->out_w, p->stride_h, p->stride_w, p->pad_top,
                          p->pad_left, q->in_zp, q->out_zp, q->act_min, q->act_max, n_out,
                          n_pix};
    if (n_pix == 0u || n_out == 0u) {
        return 1;
    }
    if (n_pix < 4u) {
        return 0;
    } else if (n_pix == 4u) {
        g1_run_inline(in, &gm, w, q, bias, out);
    } else {
        g1_rq_t rq[MDY_S8_G1_MAX_OC];
        g1_rq_table(q, bias, n_out, rq);
        g1_run_table(in, &gm, w, rq, q, out);
    }
    return 1;
}
