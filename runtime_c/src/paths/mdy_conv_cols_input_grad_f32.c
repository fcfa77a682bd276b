/*
 * mdy_conv_cols_input_grad_f32 (internal path of mdy_conv2d_input_grad_f32): the input
 * gradient of a non-depthwise conv with few input channels per group (icpg < 4: the 1-
 * and 3-channel stems), or strided with 8 or more outputs per group or on at most 16
 * output pixels; any K, stride, dilation, padding and groups; as a GEMM followed by a
 * scatter (col2im):
 *
 *   cols[r][p] = sum_o w[o][r] * dout[o][p]     r = (c, kh, kw) in [0, icpg*k_h*k_w)
 *   din[c][oh*sh + kh*dh - pt][ow*sw + kw*dw - pl] += cols[r][oh*out_w + ow]
 *
 * The gather paths block over input channels, which a stem does not have, and at a
 * stride split the window into phases of 1-4 taps; here the GEMM is blocked 4 output
 * pixels (4 consecutive pixels of the flattened plane) x 4 window rows r (16
 * accumulators), over the output channels: per output channel one load of 4
 * consecutive dout values and one of 4 consecutive weights w[o][r0..r0+3] (the
 * window's taps are contiguous in w[o][.]), 16 MACs (inline assembly on the M4F/M7:
 * 2 vldm + 2 pointer adds per 16 VFMA). The ragged last pixel block and the ragged last
 * 4 window rows overlap the block before and store only what it has not. Each of the
 * 16 sums is then added to its din position: by a table of offsets when the 4 windows
 * lie inside, else with bounds checks. When the group's windows fit
 * MDY_CONV_STRIP_FLOATS, the sums go into a zero-padded stack copy of din (no checks at
 * all) whose interior is copied out. Window rows go in chunks of IG_COLS_CHUNK (the
 * offset table: 1.25 KiB of stack besides the 2 KiB buffer). Returns 0 (nothing
 * written) for other shapes, icpg * k_h * k_w < 4, or fewer than 4 output pixels: the
 * caller then runs the gather paths.
 */
#include <string.h>

#include "../mdy_grad_internal.h"
#include "mdy_fwd_asm.h"

#define IG_COLS_TABLE 156u /* offset table entries: window rows per chunk + 4 */
#define IG_COLS_CHUNK 152u /* window rows per chunk (a multiple of 4) */

typedef struct {
    int32_t off; /* c * in_plane + dy * in_w + dx */
    int16_t dy, dx;
} cols_row_t;

/* acc[a * 4 + q] = sum_{o < n} d[o * hd + a] * w[o * hw + q] (n >= 1). */
static __attribute__((noinline)) void cols_outer4x4(const float *d, uint32_t hd,
                                                    const float *w, uint32_t hw, uint32_t n,
                                                    float acc[16])
{
#ifdef MDY_HAVE_FWD_ASM
#define COLS_FMA_ROW(op, a, dr, w0)                                                          \
    op " s" #a "0, s" #dr ", s" #w0 "\n\t"
    uint32_t m = 0;
    __asm__ volatile(
        "vldmia %[d], {s16-s19}\n\t"
        "add %[d], %[d], %[hd]\n\t"
        "vldmia %[w], {s20-s23}\n\t"
        "add %[w], %[w], %[hw]\n\t"
        "vmul.f32 s0, s16, s20\n\tvmul.f32 s1, s16, s21\n\t"
        "vmul.f32 s2, s16, s22\n\tvmul.f32 s3, s16, s23\n\t"
        "vmul.f32 s4, s17, s20\n\tvmul.f32 s5, s17, s21\n\t"
        "vmul.f32 s6, s17, s22\n\tvmul.f32 s7, s17, s23\n\t"
        "vmul.f32 s8, s18, s20\n\tvmul.f32 s9, s18, s21\n\t"
        "vmul.f32 s10, s18, s22\n\tvmul.f32 s11, s18, s23\n\t"
        "vmul.f32 s12, s19, s20\n\tvmul.f32 s13, s19, s21\n\t"
        "vmul.f32 s14, s19, s22\n\tvmul.f32 s15, s19, s23\n\t"
        "subs %[n], %[n], #1\n\t"
        "beq 3f\n\t"
        "lsrs %[m], %[n], #1\n\t"
        "beq 2f\n\t"
        "1:\n\t"
        "vldmia %[d], {s16-s19}\n\t"
        "add %[d], %[d], %[hd]\n\t"
        "vldmia %[w], {s20-s23}\n\t"
        "add %[w], %[w], %[hw]\n\t"
        "vldmia %[d], {s24-s27}\n\t"
        "add %[d], %[d], %[hd]\n\t"
        "vldmia %[w], {s28-s31}\n\t"
        "add %[w], %[w], %[hw]\n\t"
        MDY_FMA4(0, 1, 2, 3, 16, 20, 21, 22, 23)
        MDY_FMA4(4, 5, 6, 7, 17, 20, 21, 22, 23)
        MDY_FMA4(8, 9, 10, 11, 18, 20, 21, 22, 23)
        MDY_FMA4(12, 13, 14, 15, 19, 20, 21, 22, 23)
        MDY_FMA4(0, 1, 2, 3, 24, 28, 29, 30, 31)
        MDY_FMA4(4, 5, 6, 7, 25, 28, 29, 30, 31)
        MDY_FMA4(8, 9, 10, 11, 26, 28, 29, 30, 31)
        MDY_FMA4(12, 13, 14, 15, 27, 28, 29, 30, 31)
        "subs %[m], %[m], #1\n\t"
        "bne 1b\n\t"
        "2:\n\t"
        "tst %[n], #1\n\t"
        "beq 3f\n\t"
        "vldmia %[d], {s16-s19}\n\t"
        "vldmia %[w], {s20-s23}\n\t"
        MDY_FMA4(0, 1, 2, 3, 16, 20, 21, 22, 23)
        MDY_FMA4(4, 5, 6, 7, 17, 20, 21, 22, 23)
        MDY_FMA4(8, 9, 10, 11, 18, 20, 21, 22, 23)
        MDY_FMA4(12, 13, 14, 15, 19, 20, 21, 22, 23)
        "3:\n\t"
        "vstmia %[acc], {s0-s15}\n\t"
        : [d] "+r"(d), [w] "+r"(w), [n] "+r"(n), [m] "+r"(m)
        : [hd] "r"(hd * 4u), [hw] "r"(hw * 4u), [acc] "r"(acc)
        : MDY_ASM_CLOBBER_S0_15, MDY_ASM_CLOBBER_S16_31, "cc", "memory");
#undef COLS_FMA_ROW
#else
    float s[16];
    for (int i = 0; i < 16; ++i) {
        s[i] = 0.0f;
    }
    for (uint32_t o = 0; o < n; ++o) {
        const float *dv = d + (size_t)o * hd, *wv = w + (size_t)o * hw;
        MDY_UNROLL
        for (int a = 0; a < 4; ++a) {
            MDY_UNROLL
            for (int q = 0; q < 4; ++q) {
                s[a * 4 + q] += dv[a] * wv[q];
            }
        }
    }
    for (int i = 0; i < 16; ++i) {
        acc[i] = s[i];
    }
#endif
}

typedef struct {
    const cols_row_t *rt;   /* entries for window rows [t_lo, ...) */
    uint32_t t_lo;
    float *base;            /* din of the group, or the zero-padded buffer */
    int32_t h, w;           /* its rows and columns */
    int32_t span_h, span_w; /* (k - 1) * dil */
} cols_scatter_t;

/* The 4 pixels' window origins as offsets into s->base (row bh[a], column bw[a]; they
 * may lie outside it, the taps added to them do not) and which windows lie inside
 * (bit a); pixels below `as` count as inside. */
MDY_ALWAYS_INLINE uint32_t cols_origins(const cols_scatter_t *s, uint32_t as,
                                        const int32_t bh[4], const int32_t bw[4],
                                        int32_t pa[4])
{
    uint32_t inside = 0;
    for (uint32_t a = 0; a < 4u; ++a) {
        const int in = a < as || (bh[a] >= 0 && bh[a] + s->span_h < s->h && bw[a] >= 0 &&
                                  bw[a] + s->span_w < s->w);
        inside |= (uint32_t)in << a;
        pa[a] = bh[a] * s->w + bw[a];
    }
    return inside;
}

/* Add rows [qs, 4) of pixels [as, 4) of acc to din: by the offset table alone for the
 * pixels whose window lies inside (unrolled for a whole block), else with bounds
 * checks. */
static void cols_scatter(const cols_scatter_t *s, const float acc[16], uint32_t r0,
                         uint32_t qs, uint32_t as, const int32_t bh[4], const int32_t bw[4],
                         const int32_t pa[4], uint32_t inside)
{
    const cols_row_t *rt = s->rt + (r0 - s->t_lo);
    if (inside == 15u && qs == 0u && as == 0u) {
        MDY_UNROLL
        for (int q = 0; q < 4; ++q) {
            const int32_t off = rt[q].off;
            MDY_UNROLL
            for (int a = 0; a < 4; ++a) {
                s->base[pa[a] + off] += acc[a * 4 + q];
            }
        }
        return;
    }
    for (uint32_t a = as; a < 4u; ++a) {
        if (inside & (1u << a)) {
            for (uint32_t q = qs; q < 4u; ++q) {
                s->base[pa[a] + rt[q].off] += acc[a * 4u + q];
            }
            continue;
        }
        for (uint32_t q = qs; q < 4u; ++q) {
            const cols_row_t *r = &rt[q];
            const int32_t ih = bh[a] + r->dy, iw = bw[a] + r->dx;
            if ((uint32_t)ih < (uint32_t)s->h && (uint32_t)iw < (uint32_t)s->w) {
                s->base[pa[a] + r->off] += acc[a * 4u + q];
            }
        }
    }
}

int mdy_conv_cols_input_grad_f32(const float *dout, const mdy_conv_params_t *p,
                                 const float *w, float *din)
{
    const uint32_t icpg = p->in_c / p->groups, ocpg = p->out_c / p->groups;
    const int32_t kh_n = p->k_h, kw_n = p->k_w;
    const uint32_t taps = (uint32_t)(kh_n * kw_n);
    const uint32_t rows = icpg * taps;
    const int32_t in_h = p->in_h, in_w = p->in_w, out_h = p->out_h, out_w = p->out_w;
    const uint32_t out_plane = (uint32_t)(out_h * out_w);
    /* few input channels (not depthwise: its own paths), or a strided conv with 8 or
     * more outputs per group or on at most 16 output pixels (the gather's stride phases
     * load each dout value for a few MACs) */
    const int strided = p->stride_h > 1 || p->stride_w > 1;
    const int few = icpg < 4u || (strided && (ocpg >= 8u || out_plane <= 16u));
    const int depthwise = icpg == 1u && p->groups > 1u;
    if (!few || depthwise || rows < 4u || out_plane < 4u) {
        return 0;
    }
    const int32_t sh = p->stride_h, sw = p->stride_w, pt = p->pad_top, pl = p->pad_left;
    const uint32_t in_plane = (uint32_t)(in_h * in_w);
    cols_scatter_t s;
    s.span_h = (kh_n - 1) * p->dil_h;
    s.span_w = (kw_n - 1) * p->dil_w;
    /* Small maps: scatter into a zero-padded copy of the group's din planes (every
     * window inside: no bounds checks), then copy its interior out. */
    const int32_t ph = (out_h - 1) * sh + s.span_h + 1, pwid = (out_w - 1) * sw + s.span_w + 1;
    float pbuf[MDY_CONV_STRIP_FLOATS];
    const int padded = (uint64_t)ph * (uint64_t)pwid * icpg <= MDY_CONV_STRIP_FLOATS;
    s.h = padded ? ph : in_h;
    s.w = padded ? pwid : in_w;
    const uint32_t plane = (uint32_t)(s.h * s.w);
    const int32_t oy = padded ? 0 : -pt, ox = padded ? 0 : -pl; /* window origin offsets */
    cols_row_t rt[IG_COLS_TABLE];
    s.rt = rt;
    memset(din, 0, (size_t)p->in_c * in_plane * sizeof(float));
    const uint32_t n_blocks = (out_plane + 3u) / 4u;
    for (uint32_t g = 0; g < p->groups; ++g) {
        const float *dout_g = dout + (size_t)g * ocpg * out_plane;
        const float *w_g = w + (size_t)g * ocpg * rows;
        float *din_g = din + (size_t)g * icpg * in_plane;
        if (padded) {
            memset(pbuf, 0, (size_t)plane * icpg * sizeof(float));
            s.base = pbuf;
        } else {
            s.base = din_g;
        }
        for (uint32_t r_lo = 0; r_lo < rows; r_lo += IG_COLS_CHUNK) {
            const uint32_t r_hi = rows - r_lo < IG_COLS_CHUNK ? rows : r_lo + IG_COLS_CHUNK;
            s.t_lo = r_lo >= 4u ? r_lo - 4u : 0u;   /* + the overlapping last block's rows */
            for (uint32_t r = s.t_lo; r < r_hi; ++r) {
                cols_row_t *e = &rt[r - s.t_lo];
                const uint32_t c = r / taps, t = r - c * taps;
                const int32_t kh = (int32_t)t / kw_n, kw = (int32_t)t - kh * kw_n;
                e->dy = (int16_t)(kh * p->dil_h);
                e->dx = (int16_t)(kw * p->dil_w);
                e->off = (int32_t)(c * plane) + e->dy * s.w + e->dx;
            }
            for (uint32_t blk = 0; blk < n_blocks; ++blk) {
                uint32_t p0 = blk * 4u, as = 0;
                if (p0 + 4u > out_plane) {   /* ragged end: overlap the block before */
                    as = p0 + 4u - out_plane;
                    p0 = out_plane - 4u;
                }
                int32_t bh[4], bw[4];
                uint32_t oh = p0 / (uint32_t)out_w, ow = p0 - oh * (uint32_t)out_w;
                for (uint32_t a = 0; a < 4u; ++a) {
                    bh[a] = (int32_t)oh * sh + oy;
                    bw[a] = (int32_t)ow * sw + ox;
                    if (++ow == (uint32_t)out_w) {
                        ow = 0;
                        ++oh;
                    }
                }
                int32_t pa[4];
                const uint32_t inside = cols_origins(&s, as, bh, bw, pa);
                for (uint32_t r0 = r_lo; r0 < r_hi; r0 += 4u) {
                    uint32_t rb0 = r0, qs = 0;
                    if (r0 + 4u > rows) {   /* ragged window rows: overlap */
                        qs = r0 + 4u - rows;
                        rb0 = rows - 4u;
                    }
                    float acc[16];
                    cols_outer4x4(dout_g + p0, out_plane, w_g + rb0, rows, ocpg, acc);
                    cols_scatter(&s, acc, rb0, qs, as, bh, bw, pa, inside);
                }
            }
        }
        if (padded) {   /* din rows/columns no window reaches stay 0 */
            const int32_t hh = in_h < ph - pt ? in_h : ph - pt;
            const int32_t ww = in_w < pwid - pl ? in_w : pwid - pl;
            for (uint32_t c = 0; c < icpg; ++c) {
                for (int32_t ih = 0; ih < hh; ++ih) {
                    const float *src = pbuf + c * plane + (ih + pt) * pwid + pl;
                    float *dst = din_g + c * in_plane + (uint32_t)(ih * in_w);
                    for (int32_t iw = 0; iw < ww; ++iw) {
                        dst[iw] = src[iw];
                    }
                }
            }
        }
    }
    return 1;
}
