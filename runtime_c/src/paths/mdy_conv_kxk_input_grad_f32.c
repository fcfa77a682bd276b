/*
 * mdy_conv_kxk_input_grad_f32 (internal path of mdy_conv2d_input_grad_f32): the input
 * gradient of any non-pointwise conv (any K, stride, dilation, padding, groups) as a
 * gather, register-blocked like the forward KxK path.
 *
 *   din[c][ih][iw] = sum_o sum_{kh,kw} w[o][c][kh][kw] * dout[o][oh][ow]
 *   over ih = oh*sh + kh*dh - pt, iw = ow*sw + kw*dw - pl.
 *
 * Stride phases: the input rows ih = sh*m + rh of one phase rh receive exactly the taps
 * kh with (rh + pt - kh*dh) divisible by sh, from dout row oh = m + e(kh),
 * e(kh) = (rh + pt - kh*dh) / sh; columns alike. Every phase (rh, rw) is thus a
 * stride-1 correlation of dout with a sub-window (stride 1: one phase, the whole window
 * flipped), so no MAC is wasted on the zeros a strided scatter would insert. The taps
 * of every phase are one table of (dout strip offset, weight offset) built per call.
 *
 * dout rows of a strip of m rows are copied, zero-padded, into the stack strip buffer
 * (MDY_CONV_STRIP_FLOATS), several output channels at once when they fit (all of them
 * at small maps), so the inner loops carry no bounds checks at any map size. Inner
 * block: 4 input channels x 4 pixels of one phase row (16 accumulators in FPU
 * registers) over every tap of the phase and every output channel of the chunk; din is
 * read and written once per block and chunk. 3x3 stride 1 with >= 4 input channels, at
 * dilation 1 and (maps >= 6 wide) 2: the forward 3x3 block on the flipped window
 * instead (mdy_ig_flip3.h). Dilated windows otherwise: each phase row runs only
 * the taps whose dout row exists (the rest read zero padding: most of the window on a
 * map smaller than it). Returns 0 (nothing written) when the
 * window has more than MDY_GRAD_MAX_TAPS taps, the stride more than 64 phases, or one
 * strip row does not fit the buffer; the caller then runs the generic path.
 */
#include <string.h>

#include "../mdy_grad_internal.h"
#include "mdy_ig_flip3.h"

typedef struct {
    int32_t x;  /* strip-buffer offset (floats) from the block's first pixel */
    int16_t w;  /* weight offset kh * k_w + kw inside one [o][c] window */
    int16_t eh; /* dout row of phase row m: m + eh (clipping dilated windows) */
} ig_tap_t;

typedef struct {
    const float *buf;        /* strip buffer: chunk channel, row, column */
    uint32_t buf_plane;      /* floats per chunk channel */
    uint32_t n_oc;           /* output channels in the chunk */
    const float *w;          /* w[o_first][cl][0][0] of the block's first channel */
    uint32_t w_ostride;      /* icpg * taps: between output channels */
    uint32_t taps;           /* k_h * k_w: between input channels */
    const ig_tap_t *t_begin; /* the phase's taps */
    const ig_tap_t *t_end;
    uint32_t in_plane;
    int32_t sw;
} ig_args_t;

/* CB input channels x PB pixels of one phase row; xoff = the first pixel's strip
 * offset, dst = its din address. KK > 0: taps known at compile time (immediate weight
 * offsets between channels). */
MDY_ALWAYS_INLINE void ig_block(const ig_args_t *a, uint32_t xoff, float *dst, const int CB,
                                const int PB, const int KK, const int S)
{
    const uint32_t taps = KK ? (uint32_t)KK : a->taps;
    const int32_t sw = S ? S : a->sw;
    float acc[4][4];
    MDY_UNROLL
    for (int c = 0; c < CB; ++c) {
        MDY_UNROLL
        for (int q = 0; q < PB; ++q) {
            acc[c][q] = dst[(size_t)c * a->in_plane + (uint32_t)(q * sw)];
        }
    }
    const float *xb = a->buf + xoff;
    const float *wb = a->w;
    for (uint32_t oc = 0; oc < a->n_oc; ++oc, xb += a->buf_plane, wb += a->w_ostride) {
        for (const ig_tap_t *t = a->t_begin; t < a->t_end; ++t) {
            const float *xt = xb + t->x;
            const float *wt = wb + t->w;
            float xv[4];
            MDY_UNROLL
            for (int q = 0; q < PB; ++q) {
                xv[q] = xt[q];
            }
            MDY_UNROLL
            for (int c = 0; c < CB; ++c) {
                const float wv = wt[(uint32_t)c * taps];
                MDY_UNROLL
                for (int q = 0; q < PB; ++q) {
                    acc[c][q] += wv * xv[q];
                }
            }
        }
    }
    MDY_UNROLL
    for (int c = 0; c < CB; ++c) {
        MDY_UNROLL
        for (int q = 0; q < PB; ++q) {
            dst[(size_t)c * a->in_plane + (uint32_t)(q * sw)] = acc[c][q];
        }
    }
}

/* One phase row (n_pix pixels) for CB input channels. */
MDY_ALWAYS_INLINE void ig_pixels(const ig_args_t *a, uint32_t xoff, float *dst, uint32_t n_pix,
                                 const int CB, const int KK, const int S)
{
    const int32_t sw = S ? S : a->sw;
    uint32_t n = 0;
    for (; n + 4u <= n_pix; n += 4u) {
        ig_block(a, xoff + n, dst + (int32_t)n * sw, CB, 4, KK, S);
    }
    if (n + 2u <= n_pix) {
        ig_block(a, xoff + n, dst + (int32_t)n * sw, CB, 2, KK, S);
        n += 2u;
    }
    if (n < n_pix) {
        ig_block(a, xoff + n, dst + (int32_t)n * sw, CB, 1, KK, S);
    }
}

/* One phase row, every input channel of the group: blocks of 4, 2, 1 channels. */
MDY_ALWAYS_INLINE void ig_row(ig_args_t a, uint32_t xoff, float *dst, uint32_t n_pix,
                              uint32_t icpg, const int KK, const int S)
{
    const float *w0 = a.w;
    const uint32_t taps = KK ? (uint32_t)KK : a.taps;
    uint32_t c = 0;
    for (; c + 4u <= icpg; c += 4u) {
        a.w = w0 + c * taps;
        ig_pixels(&a, xoff, dst + (size_t)c * a.in_plane, n_pix, 4, KK, S);
    }
    if (c + 2u <= icpg) {
        a.w = w0 + c * taps;
        ig_pixels(&a, xoff, dst + (size_t)c * a.in_plane, n_pix, 2, KK, S);
        c += 2u;
    }
    if (c < icpg) {
        a.w = w0 + c * taps;
        ig_pixels(&a, xoff, dst + (size_t)c * a.in_plane, n_pix, 1, KK, S);
    }
}

/* Instantiations: 3x3 windows with stride 1 or 2 (immediate weight and din offsets:
 * the common case), and any window and stride at runtime (2 KB each: kept to three). */
#define IG_ROW(NAME, KK, S)                                                                \
    static __attribute__((noinline)) void NAME(const ig_args_t *a, uint32_t xoff, float *dst, \
                                               uint32_t n_pix, uint32_t icpg)              \
    {                                                                                      \
        ig_row(*a, xoff, dst, n_pix, icpg, KK, S);                                         \
    }
IG_ROW(ig_row_k9s1, 9, 1)
IG_ROW(ig_row_k9s2, 9, 2)
IG_ROW(ig_row_any, 0, 0)

typedef void (*ig_row_fn)(const ig_args_t *, uint32_t, float *, uint32_t, uint32_t);

#define IG_FLIP_D2_MIN_W 6

/* Tap range of one dimension: offsets e(k) = (r + pad - k*dil) / stride are in
 * [floor((pad - (K-1)*dil) / stride), floor((stride - 1 + pad) / stride)]. */
MDY_ALWAYS_INLINE int32_t tap_lo(int32_t pad, int32_t k, int32_t dil, int32_t s)
{
    return mdy_floor_div(pad - (k - 1) * dil, s);
}

int mdy_conv_kxk_input_grad_f32(const float *dout, const mdy_conv_params_t *p,
                                const float *w, float *din)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, out_h = p->out_h, out_w = p->out_w;
    const int32_t kh_n = p->k_h, kw_n = p->k_w, sh = p->stride_h, sw = p->stride_w;
    const int32_t dh = p->dil_h, dw = p->dil_w, pt = p->pad_top, pl = p->pad_left;
    const uint32_t taps = (uint32_t)(kh_n * kw_n);
    if (taps > MDY_GRAD_MAX_TAPS || sh * sw > 64) {
        return 0;
    }
    const int32_t e_min = tap_lo(pt, kh_n, dh, sh), e_max = mdy_floor_div(sh - 1 + pt, sh);
    const int32_t f_min = tap_lo(pl, kw_n, dw, sw), f_max = mdy_floor_div(sw - 1 + pl, sw);
    const int32_t n_cols = (in_w + sw - 1) / sw;   /* phase columns of phase rw = 0 */
    const int32_t n_rows = (in_h + sh - 1) / sh;
    const uint32_t icpg = p->in_c / p->groups, ocpg = p->out_c / p->groups;
    /* dilation 2 on maps of at least IG_FLIP_D2_MIN_W columns (narrower: the live taps
     * of the clipped rows below do less) */
    const int flip3 = kh_n == 3 && kw_n == 3 && sh == 1 && sw == 1 && dh == dw &&
                      (dh == 1 || (dh == 2 && in_w >= IG_FLIP_D2_MIN_W)) &&
                      icpg >= 4u;
    /* flip3: rows zero-padded to whole 4-pixel blocks */
    const uint32_t pw = (uint32_t)((flip3 ? (n_cols + 3) & ~3 : n_cols) + f_max - f_min);
    const uint32_t extra = (uint32_t)(e_max - e_min);   /* strip rows beyond one m row */
    if ((1u + extra) * pw > MDY_CONV_STRIP_FLOATS) {
        return 0;
    }
    /* Strip rows: as many as fit with up to 4 output channels per chunk (din is read
     * and written once per block and chunk), at least one. */
    const uint32_t want = ocpg < 4u ? ocpg : 4u;
    uint32_t strip = MDY_CONV_STRIP_FLOATS / (pw * want);
    strip = strip > extra ? strip - extra : 1u;
    if (strip > (uint32_t)n_rows) {
        strip = (uint32_t)n_rows;
    }
    const uint32_t plane_buf = (strip + extra) * pw;
    uint32_t chunk = MDY_CONV_STRIP_FLOATS / plane_buf;
    if (chunk > ocpg) {
        chunk = ocpg;
    }
    if (flip3 && chunk > IG_FLIP_MAX_OC) {
        chunk = IG_FLIP_MAX_OC;
    }

    /* tap table, grouped by phase (rh, rw): every tap falls in exactly one phase */
    ig_tap_t table[MDY_GRAD_MAX_TAPS];
    int clip = dh > 1 || dw > 1;   /* dilated: skip the taps that read only padding */
    uint8_t ph_start[65];
    uint32_t nt = 0;
    for (int32_t rh = 0; rh < sh; ++rh) {
        for (int32_t rw = 0; rw < sw; ++rw) {
            ph_start[rh * sw + rw] = (uint8_t)nt;
            for (int32_t kh = 0; kh < kh_n; ++kh) {
                const int32_t vh = rh + pt - kh * dh;
                const int32_t eh = mdy_floor_div(vh, sh);
                if (eh * sh != vh) {
                    continue;
                }
                for (int32_t kw = 0; kw < kw_n; ++kw) {
                    const int32_t vw = rw + pl - kw * dw;
                    const int32_t ew = mdy_floor_div(vw, sw);
                    if (ew * sw != vw) {
                        continue;
                    }
                    table[nt].x = (eh - e_min) * (int32_t)pw + (ew - f_min);
                    table[nt].w = (int16_t)(kh * kw_n + kw);
                    table[nt].eh = (int16_t)eh;
                    clip = clip && eh >= INT16_MIN && eh <= INT16_MAX;
                    ++nt;
                }
            }
        }
    }
    ph_start[sh * sw] = (uint8_t)nt;

    const uint32_t in_plane = (uint32_t)(in_h * in_w), out_plane = (uint32_t)(out_h * out_w);
    memset(din, 0, (size_t)p->in_c * in_plane * sizeof(float));
    float buf[MDY_CONV_STRIP_FLOATS];
    float wt[4u * IG_FLIP_MAX_OC * 9u];
    ig_args_t a;
    a.buf = buf;
    a.buf_plane = plane_buf;
    a.w_ostride = icpg * taps;
    a.taps = taps;
    a.in_plane = in_plane;
    a.sw = sw;
    ig_tap_t row_tab[MDY_GRAD_MAX_TAPS];
    const ig_row_fn row_fn = taps != 9u || sw > 2 ? ig_row_any
                             : sw == 1 ? ig_row_k9s1 : ig_row_k9s2;
    for (uint32_t g = 0; g < p->groups; ++g) {
        for (uint32_t m0 = 0; m0 < (uint32_t)n_rows; m0 += strip) {
            for (uint32_t o0 = 0; o0 < ocpg; o0 += chunk) {
                a.n_oc = ocpg - o0 < chunk ? ocpg - o0 : chunk;
                const uint32_t o_first = g * ocpg + o0;
                for (uint32_t oc = 0; oc < a.n_oc; ++oc) {
                    mdy_copy_padded_rows(buf + oc * plane_buf, dout + (o_first + oc) * out_plane,
                                         out_h, out_w, (int32_t)m0 + e_min, strip + extra, f_min,
                                         pw);
                }
                a.w = w + (size_t)o_first * icpg * taps;
                if (flip3) {
                    const float *w_chunk = a.w;
                    const uint32_t m_hi = m0 + strip < (uint32_t)n_rows ? m0 + strip
                                                                          : (uint32_t)n_rows;
                    a.t_begin = table;
                    a.t_end = table + nt;
                    uint32_t c = 0;
                    for (; c + 4u <= icpg; c += 4u) {
                        for (uint32_t cl = 0; cl < 4u; ++cl) {
                            for (uint32_t oc = 0; oc < a.n_oc; ++oc) {
                                const float *src = w_chunk + ((size_t)oc * icpg + c + cl) * 9u;
                                float *d = wt + (cl * a.n_oc + oc) * 9u;
                                MDY_UNROLL
                                for (uint32_t t = 0; t < 9u; ++t) {
                                    d[t] = src[8u - t];
                                }
                            }
                        }
                        float *dst_c = din + ((size_t)g * icpg + c) * in_plane;
                        (dh == 1 ? ig_flip3_rows_d1 : ig_flip3_rows_d2)(
                            buf, pw, plane_buf, a.n_oc, wt, dst_c, in_plane, (uint32_t)in_w, m0,
                            m_hi);
                    }
                    if (c < icpg) {
                        a.w = w_chunk + c * taps;
                        float *dst_c = din + ((size_t)g * icpg + c) * in_plane;
                        for (uint32_t m = m0; m < m_hi; ++m) {
                            row_fn(&a, (m - m0) * pw, dst_c + m * (uint32_t)in_w,
                                   (uint32_t)in_w, icpg - c);
                        }
                    }
                    continue;
                }
                for (int32_t rh = 0; rh < sh; ++rh) {
                    const uint32_t m_end = (uint32_t)((in_h - rh + sh - 1) / sh);
                    for (int32_t rw = 0; rw < sw; ++rw) {
                        const uint32_t ph = (uint32_t)(rh * sw + rw);
                        const uint32_t n_pix = (uint32_t)((in_w - rw + sw - 1) / sw);
                        if (ph_start[ph] == ph_start[ph + 1u] || n_pix == 0u) {
                            continue;   /* no tap reaches this phase: din stays 0 */
                        }
                        const ig_tap_t *ph_begin = table + ph_start[ph];
                        const ig_tap_t *ph_end = table + ph_start[ph + 1u];
                        a.t_begin = ph_begin;
                        a.t_end = ph_end;
                        for (uint32_t m = m0; m < m0 + strip && m < m_end; ++m) {
                            if (clip) {
                                /* the phase's taps whose dout row m + eh exists */
                                ig_tap_t *e = row_tab;
                                for (const ig_tap_t *t = ph_begin; t < ph_end; ++t) {
                                    const int32_t oh = (int32_t)m + t->eh;
                                    if (oh >= 0 && oh < out_h) {
                                        *e++ = *t;
                                    }
                                }
                                a.t_begin = row_tab;
                                a.t_end = e;
                            }
                            float *dst = din + (size_t)g * icpg * in_plane +
                                         (uint32_t)(sh * (int32_t)m + rh) * (uint32_t)in_w +
                                         (uint32_t)rw;
                            const uint32_t xoff = (m - m0) * pw;
                            if (a.t_begin < a.t_end) {
                                row_fn(&a, xoff, dst, n_pix, icpg);
                            }
                        }
                    }
                }
            }
        }
    }
    return 1;
}
