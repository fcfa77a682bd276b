/*
 * mdy_conv_kxk_weight_grad_f32 (internal path of mdy_conv2d_weight_grad_f32): the
 * sparse-channel weight gradient of any non-pointwise conv (any K, stride, dilation,
 * padding, groups, depthwise included), register-blocked.
 *
 *   dW[o][c % icpg][kh][kw] += sum_{oh,ow} x_c[oh*sh + kh*dh - pt][ow*sw + kw*dw - pl]
 *                                          * dout[o][oh][ow]
 *
 * For each scheduled channel and strip of output rows, the input rows the strip reads
 * are copied once, zero-padded, into the stack strip buffer (MDY_CONV_STRIP_FLOATS,
 * the forward KxK path's layout), so every tap reads without bounds checks at any map
 * size (2x2 maps with padding included). Inner block: a pass over the strip's pixels
 * accumulates OB output channels x KHB window rows x TB adjacent window columns of dot
 * products in FPU registers: 4 outputs x 1 row x up to 4 taps for ordinary convs
 * (each dout value feeds up to 4 MACs, each x value 4), 1 output x 3 rows x up to 4
 * taps for depthwise (one dout load per 12 MACs). The accumulators start from dW, so
 * the slice is read and written once per block and strip. Dilated windows take one tap
 * per block. Returns 0 (nothing written) when the window has more than
 * MDY_GRAD_MAX_TAPS taps or one output row's input rows do not fit the buffer.
 */
#include "../mdy_grad_internal.h"

typedef struct {
    const float *buf;       /* strip buffer [in_rows][pw] */
    uint32_t pw;
    int32_t sh, sw, dh, dw;
    const float *dy;        /* dout + o_first * out_plane + oh0 * out_w */
    uint32_t out_plane;
    int32_t out_w;
    uint32_t rows;          /* output rows of the strip */
    float *slice;           /* dW slice of the channel: [o_local][kh][kw] */
    uint32_t taps;
    int32_t kw_n;
} wg_args_t;

/* OB output channels (from ol) x KHB window rows (from kh) x TB window columns (from
 * kw), over every pixel of the strip. TB > 1 only with dw == 1. S > 0: the column
 * stride at compile time, and pixels go in pairs that share their window columns'
 * loads (S = 1: 4 loads per window row for 6 MACs instead of 6). */
MDY_ALWAYS_INLINE void wg_block(const wg_args_t *a, uint32_t ol, int32_t kh, int32_t kw,
                                const int OB, const int KHB, const int TB, const int S)
{
    float acc[4][3][4];
    float *d[4];
    MDY_UNROLL
    for (int b = 0; b < OB; ++b) {
        d[b] = a->slice + ((size_t)ol + (uint32_t)b) * a->taps + (uint32_t)(kh * a->kw_n + kw);
        MDY_UNROLL
        for (int h = 0; h < KHB; ++h) {
            MDY_UNROLL
            for (int t = 0; t < TB; ++t) {
                acc[b][h][t] = d[b][h * a->kw_n + t];
            }
        }
    }
    const int32_t sw = S ? S : a->sw;
    const float *x0 = a->buf + (uint32_t)(kh * a->dh) * a->pw + (uint32_t)(kw * a->dw);
    const float *g0 = a->dy + (size_t)ol * a->out_plane;
    for (uint32_t r = 0; r < a->rows; ++r) {
        const float *xr[3];
        const float *g[4];
        MDY_UNROLL
        for (int h = 0; h < KHB; ++h) {
            xr[h] = x0 + (r * (uint32_t)a->sh + (uint32_t)(h * a->dh)) * a->pw;
        }
        MDY_UNROLL
        for (int b = 0; b < OB; ++b) {
            g[b] = g0 + (size_t)b * a->out_plane + r * (uint32_t)a->out_w;
        }
        int32_t ow = 0;
        if (S) {
            for (; ow + 2 <= a->out_w; ow += 2) {
                float gv[4][2];
                MDY_UNROLL
                for (int b = 0; b < OB; ++b) {
                    gv[b][0] = g[b][0];
                    gv[b][1] = g[b][1];
                    g[b] += 2;
                }
                MDY_UNROLL
                for (int h = 0; h < KHB; ++h) {
                    float xv[2 + 4 + 1];
                    MDY_UNROLL
                    for (int t = 0; t < S + TB; ++t) {
                        xv[t] = xr[h][t];
                    }
                    xr[h] += 2 * S;
                    MDY_UNROLL
                    for (int b = 0; b < OB; ++b) {
                        MDY_UNROLL
                        for (int t = 0; t < TB; ++t) {
                            acc[b][h][t] += xv[t] * gv[b][0];
                            acc[b][h][t] += xv[S + t] * gv[b][1];
                        }
                    }
                }
            }
        }
        for (; ow < a->out_w; ++ow) {
            float gv[4];
            MDY_UNROLL
            for (int b = 0; b < OB; ++b) {
                gv[b] = *g[b]++;
            }
            MDY_UNROLL
            for (int h = 0; h < KHB; ++h) {
                float xv[4];
                MDY_UNROLL
                for (int t = 0; t < TB; ++t) {
                    xv[t] = xr[h][t];
                }
                xr[h] += sw;
                MDY_UNROLL
                for (int b = 0; b < OB; ++b) {
                    MDY_UNROLL
                    for (int t = 0; t < TB; ++t) {
                        acc[b][h][t] += xv[t] * gv[b];
                    }
                }
            }
        }
    }
    MDY_UNROLL
    for (int b = 0; b < OB; ++b) {
        MDY_UNROLL
        for (int h = 0; h < KHB; ++h) {
            MDY_UNROLL
            for (int t = 0; t < TB; ++t) {
                d[b][h * a->kw_n + t] = acc[b][h][t];
            }
        }
    }
}

/* Window columns of rows [kh, kh + KHB) in blocks of 4, 3 (dw == 1, WIDE) or 1 taps. */
MDY_ALWAYS_INLINE void wg_cols(const wg_args_t *a, uint32_t ol, int32_t kh, const int OB,
                               const int KHB, const int S, const int WIDE)
{
    int32_t kw = 0;
    if (WIDE && a->dw == 1) {
        for (; kw + 4 <= a->kw_n; kw += 4) {
            wg_block(a, ol, kh, kw, OB, KHB, 4, S);
        }
        if (kw + 3 <= a->kw_n) {
            wg_block(a, ol, kh, kw, OB, KHB, 3, S);
            kw += 3;
        }
    }
    for (; kw < a->kw_n; ++kw) {
        wg_block(a, ol, kh, kw, OB, KHB, 1, S);
    }
}

static __attribute__((noinline)) void wg_rows_o4(const wg_args_t *a, uint32_t ol, int32_t kh_n)
{
    for (int32_t kh = 0; kh < kh_n; ++kh) {
        wg_cols(a, ol, kh, 4, 1, 0, 1);
    }
}

static __attribute__((noinline)) void wg_rows_o2(const wg_args_t *a, uint32_t ol, int32_t kh_n)
{
    for (int32_t kh = 0; kh < kh_n; ++kh) {
        wg_cols(a, ol, kh, 2, 1, 0, 1);
    }
}

/* One output channel: 3 window rows per block (depthwise: the only output). 3x3
 * windows at column stride 1 or 2 (the common depthwise layers) take pixel pairs that
 * share their loads; the pair loop stays out of the other shapes to keep the code small. */
MDY_ALWAYS_INLINE void wg_rows_1(const wg_args_t *a, uint32_t ol, int32_t kh_n)
{
    int32_t kh = 0;
    for (; kh + 3 <= kh_n; kh += 3) {
        wg_cols(a, ol, kh, 1, 3, 0, 1);
    }
    for (; kh < kh_n; ++kh) {
        wg_cols(a, ol, kh, 1, 1, 0, 1);
    }
}

static __attribute__((noinline)) void wg_rows_o1(const wg_args_t *a, uint32_t ol, int32_t kh_n)
{
    if (kh_n == 3 && a->kw_n == 3 && a->dw == 1 && a->sw == 1) {
        wg_block(a, ol, 0, 0, 1, 3, 3, 1);
    } else if (kh_n == 3 && a->kw_n == 3 && a->dw == 1 && a->sw == 2) {
        wg_block(a, ol, 0, 0, 1, 3, 3, 2);
    } else {
        wg_rows_1(a, ol, kh_n);
    }
}

/* ---- small maps: im2col of the padded plane, then dot products over its pixels ---- */

/* Most floats of the small-map im2col buffer (taps x pixels). */
#define WG_COL_FLOATS 256u

/* OB output channels x TB taps (from t) of dot products over the n_pix pixels; col is
 * [taps][n_pix], dy [o][n_pix] (the whole plane). */
MDY_ALWAYS_INLINE void wgs_block(const float *MDY_RESTRICT col, const float *MDY_RESTRICT dy,
                                 float *MDY_RESTRICT slice, uint32_t n_pix, uint32_t taps,
                                 uint32_t ol, uint32_t t, const int OB, const int TB)
{
    float acc[4][4];
    const float *g[4];
    const float *c[4];
    MDY_UNROLL
    for (int b = 0; b < OB; ++b) {
        g[b] = dy + (size_t)(ol + (uint32_t)b) * n_pix;
        MDY_UNROLL
        for (int u = 0; u < TB; ++u) {
            acc[b][u] = slice[(size_t)(ol + (uint32_t)b) * taps + t + (uint32_t)u];
        }
    }
    MDY_UNROLL
    for (int u = 0; u < TB; ++u) {
        c[u] = col + (size_t)(t + (uint32_t)u) * n_pix;
    }
    for (uint32_t q = 0; q < n_pix; ++q) {
        float gv[4], cv[4];
        MDY_UNROLL
        for (int b = 0; b < OB; ++b) {
            gv[b] = g[b][q];
        }
        MDY_UNROLL
        for (int u = 0; u < TB; ++u) {
            cv[u] = c[u][q];
        }
        MDY_UNROLL
        for (int b = 0; b < OB; ++b) {
            MDY_UNROLL
            for (int u = 0; u < TB; ++u) {
                acc[b][u] += gv[b] * cv[u];
            }
        }
    }
    MDY_UNROLL
    for (int b = 0; b < OB; ++b) {
        MDY_UNROLL
        for (int u = 0; u < TB; ++u) {
            slice[(size_t)(ol + (uint32_t)b) * taps + t + (uint32_t)u] = acc[b][u];
        }
    }
}

MDY_ALWAYS_INLINE void wgs_taps(const float *col, const float *dy, float *slice, uint32_t n_pix,
                                uint32_t taps, uint32_t ol, const int OB)
{
    uint32_t t = 0;
    for (; t + 4u <= taps; t += 4u) {
        wgs_block(col, dy, slice, n_pix, taps, ol, t, OB, 4);
    }
    for (; t < taps; ++t) {
        wgs_block(col, dy, slice, n_pix, taps, ol, t, OB, 1);
    }
}

static __attribute__((noinline)) void wgs_o4(const float *col, const float *dy, float *slice,
                                             uint32_t n_pix, uint32_t taps, uint32_t ol)
{
    wgs_taps(col, dy, slice, n_pix, taps, ol, 4);
}

static __attribute__((noinline)) void wgs_o1(const float *col, const float *dy, float *slice,
                                             uint32_t n_pix, uint32_t taps, uint32_t ol)
{
    wgs_taps(col, dy, slice, n_pix, taps, ol, 1);
}

/* The whole output plane is one strip (a->rows == out_h) and taps x pixels fit
 * WG_COL_FLOATS: every (output, tap) dot product runs over one contiguous pixel loop
 * instead of per-row loops that a 2x2 map makes all overhead. */
static void wg_small(const wg_args_t *a, uint32_t ocpg, int32_t kh_n)
{
    float col[WG_COL_FLOATS];
    const uint32_t n_pix = a->rows * (uint32_t)a->out_w;
    float *cp = col;
    for (int32_t kh = 0; kh < kh_n; ++kh) {
        for (int32_t kw = 0; kw < a->kw_n; ++kw) {
            const float *x0 = a->buf + (uint32_t)(kh * a->dh) * a->pw + (uint32_t)(kw * a->dw);
            for (uint32_t r = 0; r < a->rows; ++r) {
                const float *xr = x0 + r * (uint32_t)a->sh * a->pw;
                for (int32_t ow = 0; ow < a->out_w; ++ow) {
                    *cp++ = xr[ow * a->sw];
                }
            }
        }
    }
    uint32_t ol = 0;
    for (; ol + 4u <= ocpg; ol += 4u) {
        wgs_o4(col, a->dy, a->slice, n_pix, a->taps, ol);
    }
    for (; ol < ocpg; ++ol) {
        wgs_o1(col, a->dy, a->slice, n_pix, a->taps, ol);
    }
}

int mdy_conv_kxk_weight_grad_f32(const float *saved, const uint16_t *channels,
                                 uint32_t n_sel, const float *dout,
                                 const mdy_conv_params_t *p, float *dw_slices)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, out_h = p->out_h, out_w = p->out_w;
    const int32_t kh_n = p->k_h, kw_n = p->k_w, sh = p->stride_h, sw = p->stride_w;
    const int32_t dh = p->dil_h, dw = p->dil_w;
    const uint32_t taps = (uint32_t)(kh_n * kw_n);
    const uint32_t pw = (uint32_t)((out_w - 1) * sw + (kw_n - 1) * dw + 1);
    const uint32_t span_h = (uint32_t)((kh_n - 1) * dh + 1);
    if (taps > MDY_GRAD_MAX_TAPS || span_h * pw > MDY_CONV_STRIP_FLOATS) {
        return 0;
    }
    uint32_t strip = (MDY_CONV_STRIP_FLOATS / pw - span_h) / (uint32_t)sh + 1u;
    if (strip > (uint32_t)out_h) {
        strip = (uint32_t)out_h;
    }
    const uint32_t icpg = p->in_c / p->groups, ocpg = p->out_c / p->groups;
    const uint32_t in_plane = (uint32_t)(in_h * in_w), out_plane = (uint32_t)(out_h * out_w);
    float buf[MDY_CONV_STRIP_FLOATS];
    wg_args_t a;
    a.buf = buf;
    a.pw = pw;
    a.sh = sh;
    a.sw = sw;
    a.dh = dh;
    a.dw = dw;
    a.out_plane = out_plane;
    a.out_w = out_w;
    a.taps = taps;
    a.kw_n = kw_n;
    /* small maps of ordinary convs (depthwise keeps its 3-row blocks: with one output
     * channel the im2col copy would cost as much as the MACs) */
    const int small = strip == (uint32_t)out_h && ocpg >= 4u &&
                      taps * out_plane <= WG_COL_FLOATS && out_plane <= 16u;
    for (uint32_t j = 0; j < n_sel; ++j) {
        const uint32_t o_first = (channels[j] / icpg) * ocpg;
        a.slice = dw_slices + (size_t)j * ocpg * taps;
        for (uint32_t oh0 = 0; oh0 < (uint32_t)out_h; oh0 += strip) {
            a.rows = (uint32_t)out_h - oh0 < strip ? (uint32_t)out_h - oh0 : strip;
            mdy_copy_padded_rows(buf, saved + (size_t)j * in_plane, in_h, in_w,
                                 (int32_t)oh0 * sh - (int32_t)p->pad_top,
                                 (a.rows - 1u) * (uint32_t)sh + span_h, -(int32_t)p->pad_left, pw);
            a.dy = dout + (size_t)o_first * out_plane + oh0 * (uint32_t)out_w;
            if (small) {
                wg_small(&a, ocpg, kh_n);
                continue;
            }
            uint32_t ol = 0;
            for (; ol + 4u <= ocpg; ol += 4u) {
                wg_rows_o4(&a, ol, kh_n);
            }
            if (ol + 2u <= ocpg) {
                wg_rows_o2(&a, ol, kh_n);
                ol += 2u;
            }
            if (ol < ocpg) {
                wg_rows_o1(&a, ol, kh_n);
            }
        }
    }
    return 1;
}
