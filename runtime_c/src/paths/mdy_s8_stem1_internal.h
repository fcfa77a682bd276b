/*
 * mdy_s8_stem1_internal.h: what the int8 grey 3x3 stem's two files share
 * (mdy_conv_s8_stem1.c, the entry and maps of 2+ output pixels, and
 * mdy_conv_s8_stem1_one.c, one output pixel in C): the geometry record, the zp-filled
 * 3x4 window copy, the slow-case requantization and the one-pixel entry. Included by
 * those files only.
 */
#ifndef MDY_S8_STEM1_INTERNAL_H
#define MDY_S8_STEM1_INTERNAL_H

#include "../mdy_s8_internal.h"

#if defined(__GNUC__) && !defined(__clang__)
#define G1_NOSCHED __attribute__((optimize("no-schedule-insns")))
/* the fill and copy loops of a few bytes stay loops (GCC made the row copy a memcpy
 * call per row) */
#define G1_NOLIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define G1_NOSCHED
#define G1_NOLIBCALL
#endif

typedef struct {
    int32_t in_h, in_w, out_w, s_h, s_w, pad_t, pad_l, zp, out_zp, lo, hi;
    uint32_t n_out, n_pix, lo4, hi4; /* lo4, hi4: mdy_s8_rep4 of lo, hi */
    int32_t bmask; /* bias[o] & bmask: bias = NULL reads q->mult masked to zeros */
    int32_t all_in; /* the zp-padded copy: every window inside the map */
} g1_geom_t;

MDY_ALWAYS_INLINE const int32_t *g1_opaque(const int32_t *p)
{
#if defined(__GNUC__)
    __asm__("" : "+r"(p));
#endif
    return p;
}

/* the window at (ih0, iw0) as a 3x4 block (rows 4 bytes apart), taps off the map = zp */
MDY_ALWAYS_INLINE void g1_block(const int8_t *x, const g1_geom_t *gm, int32_t ih0,
                                int32_t iw0, uint32_t *blk)
{
    const int32_t in_h = gm->in_h, in_w = gm->in_w;
    const uint32_t zp4 = mdy_s8_rep4(gm->zp);
    blk[0] = zp4;
    blk[1] = zp4;
    blk[2] = zp4;
    int8_t *b = (int8_t *)blk;
    const int32_t r0 = ih0 < 0 ? -ih0 : 0, r1 = in_h - ih0 < 3 ? in_h - ih0 : 3;
    const int32_t j0 = iw0 < 0 ? -iw0 : 0, j1 = in_w - iw0 < 3 ? in_w - iw0 : 3;
    for (int32_t r = r0; r < r1; ++r) {
        const int8_t *row = x + (ih0 + r) * in_w + iw0;
#pragma GCC unroll 3
        for (int32_t j = 0; j < 3; ++j) { /* (a loop from j0 to j1 became a memcpy call) */
            if (j >= j0 && j < j1) {
                b[4 * r + j] = row[j];
            }
        }
    }
}

#if defined(__GNUC__)
#define G1_UNUSED __attribute__((unused))
#else
#define G1_UNUSED
#endif

/* requant + clamp of one output, any channel (the slow case included); out of line, a
 * copy in each file that calls it (static: the callers keep the registers it leaves) */
MDY_NOINLINE G1_UNUSED static int8_t g1_finish(int32_t acc, int32_t mult, int32_t shift,
                                               int32_t zp, int32_t lo, int32_t hi)
{
    const mdy_s8_rq_t r = mdy_s8_rq_make(mult, shift, zp);
    return mdy_s8_finish(acc, &r, lo, hi);
}

/* mdy_conv_s8_stem1 on one output pixel (the shape already checked: 1 input channel,
 * groups 1, 3x3, dilation 1, out_h * out_w == 1, out_c > 0), in C */
void mdy_conv_s8_stem1_one(const int8_t *in, const mdy_conv_params_t *p,
                           const mdy_s8_requant_t *q, const int8_t *w, const int32_t *bias,
                           int8_t *out);

#endif /* MDY_S8_STEM1_INTERNAL_H */
