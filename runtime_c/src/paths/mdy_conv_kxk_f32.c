/*
 * mdy_conv_kxk_f32 (internal path of mdy_conv2d_f32): any kernel size, stride,
 * dilation, padding and groups, register-blocked.
 *
 * Output rows are processed in strips. For each strip, the input rows it reads are
 * copied, zero-padded, for as many input channels of the group as fit a small stack
 * buffer (MDY_CONV_STRIP_FLOATS); the copy is shared by every output channel of the
 * group, and the inner loops need no bounds checks at any map size (2x2 maps with
 * padding included). Inner block: 4 output channels x 4 output pixels of one row (16
 * accumulators in FPU registers) over all K x K taps of every buffered input channel:
 * when the whole group fits (the stem, most 3x3 layers at these sizes) each output is
 * written once, bias, sum and fused clamp in one store. Otherwise partial sums go
 * through `out` once per buffered channel group. 3x3 windows at stride 1 and 2, and at
 * stride 1 with dilation 2, are compile-time (each input row is loaded once per block,
 * not once per tap; assembly on the M4F/M7). Every other window runs at runtime and
 * visits, per block, only the taps that read the map for some pixel of the block: on a
 * map smaller than a dilated window (2x2, 3x3) most taps read padding only, so this path
 * serves those maps too (the generic loops did before).
 * Returns 0 (does nothing) when one output row's input rows do not fit the buffer;
 * the caller then runs the generic path. No scratch beyond the fixed stack buffer.
 */
#include <math.h>

#include "../mdy_internal.h"
#include "mdy_fwd_asm_conv.h"

typedef struct {
    const float *buf;       /* channel c, strip row r, column i at buf[c*cs + r*pw + i] */
    uint32_t pw;            /* padded row length */
    uint32_t cs;            /* floats per buffered channel */
    uint32_t nc;            /* buffered channels */
    const float *w;         /* first weight of output o, first buffered channel */
    uint32_t w_stride;      /* icpg * taps: between consecutive output channels */
    uint32_t taps;
    const float *bias;      /* bias + o, or NULL */
    int first;              /* first channel group: start from the bias, not from out */
    float lo, hi;           /* clamp of this pass (+-INF unless the last group) */
    float *out;             /* out + o * out_plane + oh * out_w */
    uint32_t out_plane;
    int32_t kh_n, kw_n, sh, sw, dh, dw;
    int32_t ih0;            /* input row of strip row 0 (oh0 * sh - pad_top) */
    int32_t in_h, in_w, pl;
} kxk_args_t;

/* Taps [*lo, *hi) of one window dimension that read the input for at least one of the
 * positions whose first tap reads input index i_first .. i_last (the block's union):
 * the runtime window skips the rest, which read only padding (most of a dilated window
 * on a small map). */
MDY_ALWAYS_INLINE void kxk_live(int32_t i_first, int32_t i_last, int32_t dil, int32_t len,
                                int32_t k_n, int32_t *lo, int32_t *hi)
{
    int32_t l = 0, h = k_n;
    if (i_last < 0) {
        l = (-i_last + dil - 1) / dil;
    }
    if (i_first + (k_n - 1) * dil >= len) {
        h = i_first >= len ? 0 : (len - 1 - i_first) / dil + 1;
    }
    *lo = l;
    *hi = h > l ? h : l;
}

/* OB output channels x PB pixels starting at output column ow of strip row r0 (input
 * row of the window's first tap). KH/KW > 0: compile-time 3x3-like window with stride
 * S and no dilation (S = 3: stride 1, dilation 2); 0: the runtime window of `a`, only
 * its taps that read the input for some pixel of the block. */
MDY_ALWAYS_INLINE void kxk_block(const kxk_args_t *a, uint32_t r0, int32_t ow, const int OB,
                                 const int PB, const int KH, const int KW, const int S,
                                 const int ACT)
{
    const int SS = S == 3 ? 1 : S, DD = S == 3 ? 2 : 1;
    int32_t kh_lo = 0, kh_hi = KH, kw_lo = 0, kw_hi = KW;
    const int32_t kw_n = KW ? KW : a->kw_n;
    const int32_t sw = KH ? SS : a->sw;
    const int32_t dh = KH ? DD : a->dh;
    const int32_t dw = KH ? DD : a->dw;
    if (!KH) {
        const int32_t ih = a->ih0 + (int32_t)r0;
        kxk_live(ih, ih, dh, a->in_h, a->kh_n, &kh_lo, &kh_hi);
        kxk_live(ow * sw - a->pl, (ow + PB - 1) * sw - a->pl, dw, a->in_w, kw_n, &kw_lo,
                 &kw_hi);
    }
    float acc[4][4];
    float *MDY_RESTRICT y = a->out + ow;
    if (a->first) {
        MDY_UNROLL
        for (int o = 0; o < OB; ++o) {
            const float b = a->bias ? a->bias[o] : 0.0f;
            MDY_UNROLL
            for (int q = 0; q < PB; ++q) {
                acc[o][q] = b;
            }
        }
    } else {
        MDY_UNROLL
        for (int o = 0; o < OB; ++o) {
            MDY_UNROLL
            for (int q = 0; q < PB; ++q) {
                acc[o][q] = y[(size_t)o * a->out_plane + (uint32_t)q];
            }
        }
    }
    const float *xc = a->buf + r0 * a->pw + (uint32_t)(ow * sw);
    const float *wc = a->w;
#ifdef MDY_HAVE_FWD_ASM
    if (KH == 3 && KW == 3 && OB == 4 && PB == 4) {
        /* the whole block in assembly (mdy_fwd_asm.h): 53 instructions per 48 MACs */
        mdy_asm_k3_t k;
        MDY_UNROLL
        for (int o = 0; o < 4; ++o) {
            MDY_UNROLL
            for (int q = 0; q < 4; ++q) {
                k.acc[4 * o + q] = acc[o][q];
            }
        }
        k.lo = a->lo;
        k.hi = a->hi;
        k.plane_bytes = a->out_plane * 4u;
        mdy_asm_k3_4x4(wc, wc + a->w_stride, wc + 2u * a->w_stride, wc + 3u * a->w_stride,
                       xc, (uint32_t)DD * a->pw * 4u, (a->cs - 2u * (uint32_t)DD * a->pw) * 4u,
                       a->nc, &k, y, S, ACT);
        return;
    }
#endif
    if (KH) {
        for (uint32_t c = 0; c < a->nc; ++c, xc += a->cs, wc += a->taps) {
            const float *MDY_RESTRICT wo[4];
            MDY_UNROLL
            for (int o = 0; o < OB; ++o) {
                wo[o] = wc + (size_t)o * a->w_stride;
            }
            MDY_UNROLL
            for (int32_t kh = 0; kh < KH; ++kh) {
                const float *MDY_RESTRICT xr = xc + (uint32_t)(kh * dh) * a->pw;
                /* the row segment the block reads, loaded once for all KW taps */
                float xv[(4 - 1) * 2 + 3];
                MDY_UNROLL
                for (int i = 0; i < (PB - 1) * SS + (KW - 1) * DD + 1; ++i) {
                    xv[i] = xr[i];
                }
                MDY_UNROLL
                for (int kw = 0; kw < KW; ++kw) {
                    MDY_UNROLL
                    for (int o = 0; o < OB; ++o) {
                        const float wv = wo[o][kh * KW + kw];
                        MDY_UNROLL
                        for (int q = 0; q < PB; ++q) {
                            acc[o][q] += wv * xv[q * SS + kw * DD];
                        }
                    }
                }
            }
        }
    } else {
        /* runtime window: the live taps outside, the buffered channels inside (a clipped
         * window has few taps: the channel loop carries the work) */
        const uint32_t cs = a->cs, taps = a->taps, ws = a->w_stride;
        const uint32_t nc = a->nc;
        for (int32_t kh = kh_lo; kh < kh_hi; ++kh) {
            for (int32_t kw = kw_lo; kw < kw_hi; ++kw) {
                const float *MDY_RESTRICT xr =
                    xc + (uint32_t)(kh * dh) * a->pw + (uint32_t)(kw * dw);
                const float *MDY_RESTRICT wr = wc + (uint32_t)(kh * kw_n + kw);
                for (uint32_t c = 0; c < nc; ++c, xr += cs, wr += taps) {
                    float xv[4];
                    MDY_UNROLL
                    for (int q = 0; q < PB; ++q) {
                        xv[q] = xr[q * sw];
                    }
                    MDY_UNROLL
                    for (int o = 0; o < OB; ++o) {
                        const float wv = wr[(uint32_t)o * ws];
                        MDY_UNROLL
                        for (int q = 0; q < PB; ++q) {
                            acc[o][q] += wv * xv[q];
                        }
                    }
                }
            }
        }
    }
    MDY_UNROLL
    for (int o = 0; o < OB; ++o) {
        MDY_UNROLL
        for (int q = 0; q < PB; ++q) {
            y[(size_t)o * a->out_plane + (uint32_t)q] = mdy_act(acc[o][q], a->lo, a->hi, ACT);
        }
    }
}

/* The full 4 x 4 blocks of a strip: output channels [o, o4) in steps of 4, pixel
 * blocks [0, out_w & ~3). */
MDY_ALWAYS_INLINE void kxk_main(kxk_args_t *a, const float *w, const float *bias,
                                float *out_strip, uint32_t o, uint32_t o4, uint32_t rows,
                                int32_t out_w, const int KH, const int KW, const int S,
                                const int ACT)
{
    for (; o < o4; o += 4u) {
        a->w = w + (size_t)o * a->w_stride;
        a->bias = bias ? bias + o : NULL;
        for (uint32_t r = 0; r < rows; ++r) {
            a->out = out_strip + (size_t)o * a->out_plane + (size_t)r * (uint32_t)out_w;
            for (int32_t ow = 0; ow + 4 <= out_w; ow += 4) {
                kxk_block(a, r * (uint32_t)a->sh, ow, 4, 4, KH, KW, S, ACT);
            }
        }
    }
}

/* OB output channels from o: the ragged pixels from ow0 on (general clamp). */
MDY_ALWAYS_INLINE void kxk_tail(kxk_args_t *a, uint32_t rows, int32_t ow0, int32_t out_w,
                                const int OB, const int KH, const int KW, const int S)
{
    float *out0 = a->out;
    for (uint32_t r = 0; r < rows; ++r) {
        a->out = out0 + (size_t)r * (uint32_t)out_w;
        const uint32_t r0 = r * (uint32_t)a->sh;
        int32_t ow = ow0;
        for (; ow + 4 <= out_w; ow += 4) {
            kxk_block(a, r0, ow, OB, 4, KH, KW, S, MDY_ACT_BOTH);
        }
        if (ow + 2 <= out_w) {
            kxk_block(a, r0, ow, OB, 2, KH, KW, S, MDY_ACT_BOTH);
            ow += 2;
        }
        if (ow < out_w) {
            kxk_block(a, r0, ow, OB, 1, KH, KW, S, MDY_ACT_BOTH);
        }
    }
    a->out = out0;
}

/* Everything kxk_main leaves: ragged pixels of channels [o0, o4), all pixels of the
 * last (< 4) channels [o4, o_end), one at a time. */
MDY_ALWAYS_INLINE void kxk_edges(kxk_args_t *a, const float *w, const float *bias,
                                 float *out_strip, uint32_t o0, uint32_t o4, uint32_t o_end,
                                 uint32_t rows, int32_t out_w, const int KH, const int KW,
                                 const int S)
{
    const int32_t ow4 = out_w & ~3;
    if (ow4 < out_w) {
        for (uint32_t o = o0; o < o4; o += 4u) {
            a->w = w + (size_t)o * a->w_stride;
            a->bias = bias ? bias + o : NULL;
            a->out = out_strip + (size_t)o * a->out_plane;
            kxk_tail(a, rows, ow4, out_w, 4, KH, KW, S);
        }
    }
    for (uint32_t o = o4; o < o_end; ++o) {   /* < 4 channels: one at a time (code size) */
        a->w = w + (size_t)o * a->w_stride;
        a->bias = bias ? bias + o : NULL;
        a->out = out_strip + (size_t)o * a->out_plane;
        kxk_tail(a, rows, 0, out_w, 1, KH, KW, S);
    }
}

typedef void (*kxk_main_fn)(kxk_args_t *, const float *, const float *, float *, uint32_t,
                            uint32_t, uint32_t, int32_t);
typedef void (*kxk_edges_fn)(kxk_args_t *, const float *, const float *, float *, uint32_t,
                             uint32_t, uint32_t, uint32_t, int32_t);

#define KXK_MAIN(NAME, KH, KW, S, ACT)                                                       \
    static __attribute__((noinline)) void NAME(kxk_args_t *a, const float *w,                 \
                                               const float *bias, float *out_strip,           \
                                               uint32_t o, uint32_t o4, uint32_t rows,        \
                                               int32_t out_w)                                 \
    {                                                                                        \
        kxk_main(a, w, bias, out_strip, o, o4, rows, out_w, KH, KW, S, ACT);                 \
    }
#define KXK_EDGES(NAME, KH, KW, S)                                                           \
    static __attribute__((noinline)) void NAME(kxk_args_t *a, const float *w,                 \
                                               const float *bias, float *out_strip,           \
                                               uint32_t o0, uint32_t o4, uint32_t o_end,      \
                                               uint32_t rows, int32_t out_w)                  \
    {                                                                                        \
        kxk_edges(a, w, bias, out_strip, o0, o4, o_end, rows, out_w, KH, KW, S);             \
    }

KXK_MAIN(kxk_main_3s1_none, 3, 3, 1, MDY_ACT_NONE)
KXK_MAIN(kxk_main_3s1_lo, 3, 3, 1, MDY_ACT_LO)
KXK_MAIN(kxk_main_3s1_both, 3, 3, 1, MDY_ACT_BOTH)
KXK_MAIN(kxk_main_3s2_none, 3, 3, 2, MDY_ACT_NONE)
KXK_MAIN(kxk_main_3s2_lo, 3, 3, 2, MDY_ACT_LO)
KXK_MAIN(kxk_main_3s2_both, 3, 3, 2, MDY_ACT_BOTH)
KXK_MAIN(kxk_main_3d2_none, 3, 3, 3, MDY_ACT_NONE)
KXK_MAIN(kxk_main_3d2_lo, 3, 3, 3, MDY_ACT_LO)
KXK_MAIN(kxk_main_3d2_both, 3, 3, 3, MDY_ACT_BOTH)
KXK_MAIN(kxk_main_any, 0, 0, 1, MDY_ACT_BOTH)
KXK_EDGES(kxk_edges_3s1, 3, 3, 1)
KXK_EDGES(kxk_edges_3s2, 3, 3, 2)
KXK_EDGES(kxk_edges_any, 0, 0, 1)

int mdy_conv_kxk_f32(const float *in, const mdy_conv_params_t *p, const float *w,
                     const float *bias, float *out)
{
    const int32_t in_h = p->in_h, in_w = p->in_w;
    const int32_t out_h = p->out_h, out_w = p->out_w;
    const int32_t kh_n = p->k_h, kw_n = p->k_w;
    const int32_t sh = p->stride_h, sw = p->stride_w, dh = p->dil_h, dw = p->dil_w;
    const uint32_t pw = (uint32_t)((out_w - 1) * sw + (kw_n - 1) * dw + 1);
    const uint32_t span_h = (uint32_t)((kh_n - 1) * dh + 1);
    if (span_h * pw > MDY_CONV_STRIP_FLOATS) {
        return 0;
    }
    const uint32_t icpg = p->in_c / p->groups;
    const uint32_t ocpg = p->out_c / p->groups;
    /* Rows per strip, then channels per buffer fill. All channels of the group in the
     * buffer (one pass, clamp fused) is worth the most; then as many rows as fit. */
    uint32_t strip = (MDY_CONV_STRIP_FLOATS / pw - span_h) / (uint32_t)sh + 1u;
    if (strip > (uint32_t)out_h) {
        strip = (uint32_t)out_h;
    }
    uint32_t nc = 1u;
    {
        /* the fewest rows (>= 1 output row) that still let all channels in, else 1 row
         * and as many channels as fit */
        const uint32_t per_row_all = icpg * pw * (uint32_t)sh;
        const uint32_t base_all = icpg * pw * (span_h - (uint32_t)sh);
        if (base_all + per_row_all <= MDY_CONV_STRIP_FLOATS) {
            nc = icpg;
            uint32_t rows = (MDY_CONV_STRIP_FLOATS - base_all) / per_row_all;
            strip = rows < strip ? rows : strip;
        } else if (icpg > 1u && 2u * span_h * pw <= MDY_CONV_STRIP_FLOATS) {
            strip = 1u;
            nc = MDY_CONV_STRIP_FLOATS / (span_h * pw);
        }
    }
    const uint32_t taps = (uint32_t)(kh_n * kw_n);
    const uint32_t out_plane = (uint32_t)(out_h * out_w);
    const size_t in_plane = (size_t)in_h * in_w;
    float buf[MDY_CONV_STRIP_FLOATS];

    kxk_args_t a;
    a.buf = buf;
    a.pw = pw;
    a.w_stride = icpg * taps;
    a.taps = taps;
    a.out_plane = out_plane;
    a.kh_n = kh_n;
    a.kw_n = kw_n;
    a.sh = sh;
    a.sw = sw;
    a.dh = dh;
    a.dw = dw;
    a.in_h = in_h;
    a.in_w = in_w;
    a.pl = p->pad_left;
    const int k3 = kh_n == 3 && kw_n == 3 && dh == 1 && dw == 1 && sh == sw && sh <= 2;
    /* 3x3 with dilation 2 at stride 1: the 4 x 4 blocks compile-time (assembly), the
     * ragged rest on the runtime window (which skips the padded taps: small maps) */
    const int k3d2 = kh_n == 3 && kw_n == 3 && dh == 2 && dw == 2 && sh == 1 && sw == 1;
    const int act = mdy_act_kind(p->act_min, p->act_max);
    static const kxk_main_fn mains[3][3] = {
        {kxk_main_3s1_none, kxk_main_3s1_lo, kxk_main_3s1_both},
        {kxk_main_3s2_none, kxk_main_3s2_lo, kxk_main_3s2_both},
        {kxk_main_3d2_none, kxk_main_3d2_lo, kxk_main_3d2_both}};
    for (uint32_t g = 0; g < p->groups; ++g) {
        const uint32_t o0 = g * ocpg, o_end = o0 + ocpg, o4 = o0 + (ocpg & ~3u);
        for (uint32_t oh0 = 0; oh0 < (uint32_t)out_h; oh0 += strip) {
            const uint32_t rows = (uint32_t)out_h - oh0 < strip ? (uint32_t)out_h - oh0 : strip;
            const uint32_t in_rows = (rows - 1u) * (uint32_t)sh + span_h;
            float *out_strip = out + (size_t)oh0 * (uint32_t)out_w;
            a.cs = in_rows * pw;
            a.ih0 = (int32_t)oh0 * sh - p->pad_top;
            for (uint32_t c0 = 0; c0 < icpg; c0 += nc) {
                a.nc = icpg - c0 < nc ? icpg - c0 : nc;
                for (uint32_t c = 0; c < a.nc; ++c) {
                    mdy_copy_padded_rows(buf + c * a.cs, in + (g * icpg + c0 + c) * in_plane,
                                         in_h, in_w, (int32_t)oh0 * sh - p->pad_top, in_rows,
                                         -(int32_t)p->pad_left, pw);
                }
                const int last = c0 + a.nc >= icpg;
                a.first = c0 == 0;
                a.lo = last ? p->act_min : -INFINITY;
                a.hi = last ? p->act_max : INFINITY;
                const float *wc = w + (size_t)c0 * taps;
                const int kind = last ? act : MDY_ACT_NONE;
                if (k3) {
                    mains[sh - 1][kind](&a, wc, bias, out_strip, o0, o4, rows, out_w);
                    (sh == 1 ? kxk_edges_3s1 : kxk_edges_3s2)(&a, wc, bias, out_strip, o0, o4,
                                                              o_end, rows, out_w);
                } else if (k3d2) {
                    mains[2][kind](&a, wc, bias, out_strip, o0, o4, rows, out_w);
                    kxk_edges_any(&a, wc, bias, out_strip, o0, o4, o_end, rows, out_w);
                } else {
                    kxk_main_any(&a, wc, bias, out_strip, o0, o4, rows, out_w);
                    kxk_edges_any(&a, wc, bias, out_strip, o0, o4, o_end, rows, out_w);
                }
            }
        }
    }
    return 1;
}
