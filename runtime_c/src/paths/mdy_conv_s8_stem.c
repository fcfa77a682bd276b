/*
 * mdy_conv_s8_stem: int8 3x3 convolutions with 1 or 3 input channels (network stems:
 * groups 1, dilation 1, any stride and padding, at most MDY_S8_STEM_MAX_OC outputs).
 * One input channel (grey stems, 9 taps per output): mdy_conv_s8_stem1 (its own layout:
 * four pixels per requantized word; mdy_conv2d_s8 calls it). Three (RGB): the GEMM of
 * mdy_conv_s8_im2col (packed int16 columns, SXTB16 weights, SMLAD) with the
 * dot-product length k = 27 a compile-time constant (the code keeps k generic):
 *   - the column is gathered straight into the packed SMLAD order (no natural copy):
 *     3 instructions per tap for windows inside the map; windows over the border are
 *     zeroed, then their taps inside the map written through a position table;
 *   - k % 4 != 0 (27 for RGB, 9 for grey): the last k % 4 taps sit right-aligned in the
 *     last group of four after zeros, so that group's weights are the word at
 *     w + k - 4 (in bounds, the extra weights meet zeros): no tail loop, no weight copy;
 *   - pairs of pixels, two channels per pass, the dot product unrolled (immediate
 *     offsets), each channel's requantization (mdy_s8_rq_make) made once per call into
 *     a table on the stack;
 *   - the last pixel of an odd count (the only one of 1x1 outputs) alone: four channels
 *     per pass, the groups of the column holding padding taps only at its start
 *     skipped, then one requantization loop.
 * 3.89 .. 5.72 -> 2.14 .. 3.65 instructions per MAC on the RGB stem (bench/kernels_s8.py).
 * Bit-exact with mdy_conv2d_s8's generic loop: int32 accumulation is exact in any order.
 * Returns 0 (nothing written) when the shape does not qualify.
 */
#include "../mdy_s8_internal.h"

/* GCC's pre-allocation scheduling hoisted loads and spilled in these loops (measured on
 * the RGB stem: 2.41 instead of 2.14 instructions per MAC at 32x32, 3.91 instead of 3.67
 * at 2x2) */
#if defined(__GNUC__) && !defined(__clang__)
#define STEM_NOSCHED __attribute__((optimize("no-schedule-insns")))
#else
#define STEM_NOSCHED
#endif

/* output channels of the requantization table (1 KiB of stack) */
#define MDY_S8_STEM_MAX_OC 64u
/* halfwords of a packed column: k = 27 rounded up to 4 */
#define MDY_S8_STEM_KP 28u

/* one output channel: the fast case of mdy_s8_rq_make (sh >= 0), or sh = -1 with the
 * raw shift in k (mdy_requantize_s32) */
typedef struct {
    int32_t mult, k, sh, bias;
} mdy_stem_rq_t;

typedef struct {
    int32_t in_h, in_w, plane, out_w, s_h, s_w, pad_t, pad_l, zp, out_zp, lo, hi;
    uint32_t n_out, n_pix;
} stem_geom_t;

/* halfword index in the packed column (groups of four in the order v0 v2 v1 v3, as
 * mdy_s8_pack) of tap t of k: the last k % 4 taps right-aligned in the last group */
MDY_ALWAYS_INLINE uint32_t stem_pos(uint32_t t, uint32_t k)
{
    const uint32_t k4 = k & ~3u;
    const uint32_t n = t < k4 ? t : t + 4u - (k - k4);
    return (n & ~3u) | ((n & 1u) << 1) | ((n >> 1) & 1u);
}

/* p, opaque to the compiler: column loads stay in the channel loops (hoisted out of
 * them, the 7..14 column words were spilled and so were the weight pointers) */
MDY_ALWAYS_INLINE const int16_t *stem_opaque(const int16_t *p)
{
#if defined(__GNUC__)
    __asm__("" : "+r"(p));
#endif
    return p;
}

/* byte offset of the weights of group g in a row of k weights */
MDY_ALWAYS_INLINE uint32_t stem_woff(uint32_t g, uint32_t k)
{
    return 4u * g + 4u > k ? k - 4u : 4u * g;
}

/* The packed column of the window whose top-left tap is at x (rows in_w apart, channel
 * planes `plane` apart, all inside the map), minus the input zero point: 3
 * instructions per tap, the positions constant. */
MDY_ALWAYS_INLINE void stem_gather(const int8_t *x, int32_t plane, int32_t in_w, int32_t zp,
                                   const uint32_t icpg, int16_t *MDY_RESTRICT col)
{
    const uint32_t k = icpg * 9u;
#pragma GCC unroll 3
    for (uint32_t c = 0; c < icpg; ++c) {
#pragma GCC unroll 3
        for (uint32_t kh = 0; kh < 3u; ++kh) {
            const uint32_t t = (c * 3u + kh) * 3u;
            const int8_t *row = x + (int32_t)c * plane + (int32_t)kh * in_w;
            col[stem_pos(t, k)] = (int16_t)(row[0] - zp);
            col[stem_pos(t + 1u, k)] = (int16_t)(row[1] - zp);
            col[stem_pos(t + 2u, k)] = (int16_t)(row[2] - zp);
        }
    }
}

/* stem_pos of every tap of k = 9 and 27 (the window reaching over the border) */
#define STEM_N(t, k) ((t) < ((k) & ~3u) ? (t) : (t) + 4u - (k) % 4u)
#define STEM_SW(n) (((n) & ~3u) | (((n) & 1u) << 1) | (((n) >> 1) & 1u))
#define STEM_P3(t, k)                                                                        \
    STEM_SW(STEM_N(t, k)), STEM_SW(STEM_N((t) + 1u, k)), STEM_SW(STEM_N((t) + 2u, k))
#define STEM_P9(t, k) STEM_P3(t, k), STEM_P3((t) + 3u, k), STEM_P3((t) + 6u, k)
static const uint8_t stem_pos27[27] = {STEM_P9(0u, 27u), STEM_P9(9u, 27u), STEM_P9(18u, 27u)};

/* The packed column of a window that reaches over the border: zeros, then the taps
 * inside the map (rows r0..r1, columns j0..j1 of the window). */
MDY_ALWAYS_INLINE void stem_border(const int8_t *x, const stem_geom_t *gm, int32_t ih0,
                                   int32_t iw0, const uint32_t icpg, int16_t *col)
{
    const uint32_t kp = (icpg * 9u + 3u) & ~3u;
    const uint8_t *pos = stem_pos27;
    const int32_t in_w = gm->in_w, zp = gm->zp;
    const int32_t r0 = ih0 < 0 ? -ih0 : 0, r1 = gm->in_h - ih0 < 3 ? gm->in_h - ih0 : 3;
    const int32_t j0 = iw0 < 0 ? -iw0 : 0, j1 = in_w - iw0 < 3 ? in_w - iw0 : 3;
    const uint32_t zero = 0;
#pragma GCC unroll 14
    for (uint32_t i = 0; i < kp; i += 2u) {
        memcpy(col + i, &zero, sizeof zero); /* one STR */
    }
    for (uint32_t c = 0; c < icpg; ++c) {
        for (int32_t r = r0; r < r1; ++r) {
            const int8_t *row = x + (int32_t)c * gm->plane + (ih0 + r) * in_w + iw0;
            const uint8_t *pr = pos + c * 9u + (uint32_t)r * 3u;
            for (int32_t j = j0; j < j1; ++j) {
                col[pr[j]] = (int16_t)(row[j] - zp);
            }
        }
    }
}

MDY_ALWAYS_INLINE void stem_column_c(const int8_t *x, const stem_geom_t *gm, int32_t ih0,
                                     int32_t iw0, const uint32_t icpg, int16_t *col)
{
    if (ih0 >= 0 && ih0 + 3 <= gm->in_h && iw0 >= 0 && iw0 + 3 <= gm->in_w) {
        stem_gather(x + ih0 * gm->in_w + iw0, gm->plane, gm->in_w, gm->zp, icpg, col);
    } else {
        stem_border(x, gm, ih0, iw0, icpg, col);
    }
}

/* requant + clamp of one output, any channel (the slow case included) */
MDY_NOINLINE static int8_t stem_finish(int32_t acc, const mdy_stem_rq_t *r, int32_t zp,
                                       int32_t lo, int32_t hi)
{
    const int32_t v = r->sh < 0 ? mdy_requantize_s32(acc, r->mult, r->k) + zp
                                : mdy_s8_rq_fast(acc, r->mult, r->k, r->sh);
    return mdy_s8_clamp(v, lo, hi);
}

/* acc + w . column, one channel and one column (odd channel counts) */
MDY_ALWAYS_INLINE int32_t stem_dot1(int32_t acc, const int8_t *w, const int16_t *col,
                                    const uint32_t k)
{
    const uint32_t ng = (k + 3u) / 4u;
#pragma GCC unroll 1
    for (uint32_t g = 0; g < ng; ++g) {
        acc = mdy_mac4(acc, mdy_w4(w + stem_woff(g, k)), col + 4u * g);
    }
    return acc;
}

/* one copy (the pair loop and the single pixel share it) */
MDY_NOINLINE static void stem_column3(const int8_t *x, const stem_geom_t *gm, int32_t ih0,
                                      int32_t iw0, int16_t *col)
{
    stem_column_c(x, gm, ih0, iw0, 3u, col);
}

MDY_ALWAYS_INLINE void stem_column(const int8_t *x, const stem_geom_t *gm, int32_t ih0,
                                   int32_t iw0, const uint32_t icpg, int16_t *col)
{
    (void)icpg; /* 3: grey stems take mdy_conv_s8_stem1 */
    stem_column3(x, gm, ih0, iw0, col);
}

/* The output pixel whose window starts at (ih0, iw0) alone (the last of an odd count,
 * the only one of 1x1 outputs), four channels per pass: the requantization made here
 * from q (each channel is used once), the first groups of the column skipped when
 * they hold padding taps only (top/left border; at most 2, all below k & ~3). */
MDY_ALWAYS_INLINE void stem_last(const int8_t *x, const stem_geom_t *gm, const int8_t *w,
                                 const mdy_s8_requant_t *q, const int32_t *bias, int32_t ih0,
                                 int32_t iw0, int8_t *y, const uint32_t icpg)
{
    const uint32_t k = icpg * 9u, kp = (k + 3u) & ~3u, ng = kp / 4u;
    int16_t col[MDY_S8_STEM_KP];
#pragma GCC unroll 3
    for (uint32_t n = k & ~3u; n < (k & ~3u) + kp - k; ++n) {
        col[stem_pos(n, kp)] = 0;
    }
    stem_column(x, gm, ih0, iw0, icpg, col);
    /* whole groups of padding taps at the start of the column (top/left border) */
    const int32_t r0 = ih0 < 0 ? -ih0 : 0, j0 = iw0 < 0 ? -iw0 : 0;
    const uint32_t g0 = (r0 < 3 && j0 < 3 ? (uint32_t)(3 * r0 + j0) : 9u) / 4u;
    const int32_t lo = gm->lo, hi = gm->hi;
    const uint32_t n_out = gm->n_out, n_pix = gm->n_pix;
    /* the dot products first, four channels per pass, then the requantization of each
     * (in one loop GCC spilled the weight pointer and the requantization terms) */
    int32_t acc[MDY_S8_STEM_MAX_OC];
    uint32_t o = 0;
    for (; o + 4u <= n_out; o += 4u, w += 4u * k) {
        const int16_t *c = stem_opaque(col);
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        if (bias) {
            a0 = bias[o];
            a1 = bias[o + 1u];
            a2 = bias[o + 2u];
            a3 = bias[o + 3u];
        }
#pragma GCC unroll 7
        for (uint32_t g = 0; g < ng; ++g) {
            if (g < 2u && g < g0) {
                continue;
            }
            const uint32_t off = stem_woff(g, k);
            a0 = mdy_mac4(a0, mdy_w4(w + off), c + 4u * g);
            a1 = mdy_mac4(a1, mdy_w4(w + k + off), c + 4u * g);
            a2 = mdy_mac4(a2, mdy_w4(w + 2u * k + off), c + 4u * g);
            a3 = mdy_mac4(a3, mdy_w4(w + 3u * k + off), c + 4u * g);
        }
        acc[o] = a0;
        acc[o + 1u] = a1;
        acc[o + 2u] = a2;
        acc[o + 3u] = a3;
    }
    for (; o < n_out; ++o, w += k) { /* the last n_out % 4 channels */
        acc[o] = stem_dot1(bias ? bias[o] : 0, w, col, k);
    }
    const int32_t zp = gm->out_zp;
    const int32_t *mult = q->mult, *shift = q->shift;
    const uint32_t lo4 = mdy_s8_rep4(lo), hi4 = mdy_s8_rep4(hi);
    for (o = 0; o < n_out; ++o, y += n_pix) {
        const mdy_s8_rq_t r = mdy_s8_rq_make(mult[o], shift[o], zp);
        if (MDY_UNLIKELY(r.slow)) {
            *y = mdy_s8_finish(acc[o], &r, lo, hi);
        } else { /* SSAT and SSUB8/SEL clamps (CMP/IT took more) */
            const int32_t v = mdy_s8_rq_fast(acc[o], r.mult, r.k, r.sh);
            *y = (int8_t)(uint8_t)mdy_s8_clamp2(v, v, lo4, hi4);
        }
    }
}

MDY_ALWAYS_INLINE void stem_run(const int8_t *x, const stem_geom_t *gm, const int8_t *w,
                                const mdy_stem_rq_t *rq, int8_t *out, const uint32_t icpg)
{
    const uint32_t k = icpg * 9u, kp = (k + 3u) & ~3u, ng = kp / 4u;
    const int32_t lo = gm->lo, hi = gm->hi, out_zp = gm->out_zp;
    const uint32_t lo4 = mdy_s8_rep4(lo), hi4 = mdy_s8_rep4(hi);
    const uint32_t n_out = gm->n_out, n_pix = gm->n_pix;
    int16_t col[2u * MDY_S8_STEM_KP];
#pragma GCC unroll 3
    for (uint32_t n = k & ~3u; n < (k & ~3u) + kp - k; ++n) { /* zeros before the last k % 4 taps */
        col[stem_pos(n, kp)] = 0;
        col[kp + stem_pos(n, kp)] = 0;
    }
    int32_t ih0 = -gm->pad_t, iw0 = -gm->pad_l, ow = 0;
    uint32_t pix = 0;
    for (; pix + 2u <= n_pix; pix += 2u) {
        for (uint32_t j = 0; j < 2u; ++j) {
            stem_column(x, gm, ih0, iw0, icpg, col + j * kp);
            iw0 += gm->s_w;
            if (++ow == gm->out_w) {
                ow = 0;
                iw0 = -gm->pad_l;
                ih0 += gm->s_h;
            }
        }
        const int8_t *wo = w;
        const mdy_stem_rq_t *r = rq;
        int8_t *y = out + pix;
        uint32_t o = 0;
        for (; o + 2u <= n_out; o += 2u, wo += 2u * k, r += 2, y += 2u * n_pix) {
            const int16_t *c = stem_opaque(col);
            int32_t a00 = r[0].bias, a01 = a00, a10 = r[1].bias, a11 = a10;
#pragma GCC unroll 7
            for (uint32_t g = 0; g < ng; ++g) {
                const uint32_t off = stem_woff(g, k);
                const mdy_w4_t u = mdy_w4(wo + off), v = mdy_w4(wo + k + off);
                a00 = mdy_mac4(a00, u, c + 4u * g);
                a01 = mdy_mac4(a01, u, c + kp + 4u * g);
                a10 = mdy_mac4(a10, v, c + 4u * g);
                a11 = mdy_mac4(a11, v, c + kp + 4u * g);
            }
            if (MDY_UNLIKELY((r[0].sh | r[1].sh) < 0)) {
                y[0] = stem_finish(a00, &r[0], out_zp, lo, hi);
                y[1] = stem_finish(a01, &r[0], out_zp, lo, hi);
                y[n_pix] = stem_finish(a10, &r[1], out_zp, lo, hi);
                y[n_pix + 1u] = stem_finish(a11, &r[1], out_zp, lo, hi);
                continue;
            }
            mdy_s8_st2h(y, mdy_s8_clamp2(mdy_s8_rq_fast(a00, r[0].mult, r[0].k, r[0].sh),
                                         mdy_s8_rq_fast(a01, r[0].mult, r[0].k, r[0].sh), lo4,
                                         hi4));
            mdy_s8_st2h(y + n_pix,
                        mdy_s8_clamp2(mdy_s8_rq_fast(a10, r[1].mult, r[1].k, r[1].sh),
                                      mdy_s8_rq_fast(a11, r[1].mult, r[1].k, r[1].sh), lo4, hi4));
        }
        if (o < n_out) {
            y[0] = stem_finish(stem_dot1(r->bias, wo, col, k), r, out_zp, lo, hi);
            y[1] = stem_finish(stem_dot1(r->bias, wo, col + kp, k), r, out_zp, lo, hi);
        }
    }
}

#define MDY_STEM_INSTANCE(N)                                                                 \
    MDY_NOINLINE STEM_NOSCHED static void stem_run##N(                                       \
        const int8_t *x, const stem_geom_t *gm, const int8_t *w, const mdy_stem_rq_t *rq,    \
        int8_t *out)                                                                         \
    {                                                                                        \
        stem_run(x, gm, w, rq, out, N##u);                                                   \
    }                                                                                        \
    MDY_NOINLINE STEM_NOSCHED static void stem_last##N(                                      \
        const int8_t *x, const stem_geom_t *gm, const int8_t *w, const mdy_s8_requant_t *q,  \
        const int32_t *bias, int32_t ih0, int32_t iw0, int8_t *y)                            \
    {                                                                                        \
        stem_last(x, gm, w, q, bias, ih0, iw0, y, N##u);                                     \
    }
MDY_STEM_INSTANCE(3)

/* the requantization of each channel (mdy_s8_rq_make) and its bias */
MDY_ALWAYS_INLINE void stem_rq_table(const mdy_s8_requant_t *q, const int32_t *bias,
                                     uint32_t n_out, mdy_stem_rq_t *rq)
{
    const uint32_t zp2 = 2u * (uint32_t)q->out_zp + 1u;
    for (uint32_t o = 0; o < n_out; ++o) {
        const int32_t mult = q->mult[o], shift = q->shift[o];
        const uint32_t r2 = (uint32_t)(-2 - shift);
        rq[o].mult = mult;
        rq[o].bias = bias ? bias[o] : 0;
        if ((r2 | (uint32_t)(mult >> 31)) > 21u) {
            rq[o].k = shift;
            rq[o].sh = -1;
        } else {
            rq[o].k = (int32_t)(zp2 << r2);
            rq[o].sh = (int32_t)r2 + 1;
        }
    }
}

int mdy_conv_s8_stem(const int8_t *in, const mdy_conv_params_t *p, const mdy_s8_requant_t *q,
                     const int8_t *w, const int32_t *bias, int8_t *out)
{
    const uint32_t icpg = p->in_c, n_out = p->out_c;
    if (p->groups != 1u || p->k_h != 3u || p->k_w != 3u || p->dil_h != 1u || p->dil_w != 1u ||
        icpg != 3u || n_out > MDY_S8_STEM_MAX_OC) {
        return 0;
    }
    const uint32_t n_pix = (uint32_t)p->out_h * p->out_w;
    mdy_stem_rq_t rq[MDY_S8_STEM_MAX_OC]; /* for the pairs of pixels */
    if (n_pix < 2u) {
        /* a single pixel reads q itself */
    } else if (bias) {
        stem_rq_table(q, bias, n_out, rq);
    } else {
        stem_rq_table(q, NULL, n_out, rq);
    }
    const stem_geom_t gm = {p->in_h, p->in_w, (int32_t)p->in_h * p->in_w, p->out_w,
                            p->stride_h, p->stride_w, p->pad_top, p->pad_left, q->in_zp,
                            q->out_zp, q->act_min, q->act_max, n_out,
                            n_pix};
    if (n_pix >= 2u) {
        stem_run3(in, &gm, w, rq, out);
    }
    if (n_pix & 1u) { /* the last pixel of an odd count alone */
        const uint32_t last = n_pix - 1u, oh = last / p->out_w, ow = last % p->out_w;
        const int32_t ih0 = (int32_t)(oh * p->stride_h) - p->pad_top;
        const int32_t iw0 = (int32_t)(ow * p->stride_w) - p->pad_left;
        stem_last3(in, &gm, w, q, bias, ih0, iw0, out + last);
    }
    return 1;
}
