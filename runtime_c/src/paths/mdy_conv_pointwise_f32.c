/*
 * mdy_conv_pointwise_f32 (internal path of mdy_conv2d_f32): 1x1, stride 1, unpadded,
 * same spatial size, any groups. Per group it is the GEMM
 *     out[o][p] = clamp(bias[o] + sum_i w[o][i] * in[i][p]),  p over the H*W pixels,
 * with the output planes out_h * out_w floats apart (out_h > in_h: the first in_h rows
 * of a taller output, as mdy_conv_im2col_f32's strips; else out_h == in_h),
 * register-blocked: 4 output channels x 4 pixels (16 accumulators) per pass, so each
 * input value is loaded once for 4 MACs and each weight once for 4 MACs. Edges run the
 * same loop with fewer channels / pixels (compile-time block sizes). No scratch.
 */
#include "../mdy_internal.h"
#include <string.h>

#include "mdy_fwd_asm_pw.h"

/* OB output channels x PB pixels starting at (o, pix); OB, PB, ACT are constants at
 * every call site so the accumulators live in FPU registers. (Two input channels per
 * iteration measured 10% slower: the 32 FPU registers spill.) */
MDY_ALWAYS_INLINE void pw_block(const float *MDY_RESTRICT in_g, const float *MDY_RESTRICT w,
                                const float *MDY_RESTRICT bias, float *MDY_RESTRICT out,
                                uint32_t hw, uint32_t ys, uint32_t icpg, uint32_t o,
                                uint32_t pix, float lo, float hi, const int OB, const int PB,
                                const int ACT)
{
    float acc[4][4];
    const float *wr[4];
    MDY_UNROLL
    for (int a = 0; a < OB; ++a) {
        const float b = bias ? bias[o + (uint32_t)a] : 0.0f;
        wr[a] = w + (size_t)(o + (uint32_t)a) * icpg;
        MDY_UNROLL
        for (int q = 0; q < PB; ++q) {
            acc[a][q] = b;
        }
    }
    const float *x = in_g + pix;
    for (uint32_t i = 0; i < icpg; ++i, x += hw) {
        float xv[4];
        MDY_UNROLL
        for (int q = 0; q < PB; ++q) {
            xv[q] = x[q];
        }
        MDY_UNROLL
        for (int a = 0; a < OB; ++a) {
            const float wv = *wr[a]++;
            MDY_UNROLL
            for (int q = 0; q < PB; ++q) {
                acc[a][q] += wv * xv[q];
            }
        }
    }
    MDY_UNROLL
    for (int a = 0; a < OB; ++a) {
        float *y = out + (size_t)(o + (uint32_t)a) * ys + pix;
        MDY_UNROLL
        for (int q = 0; q < PB; ++q) {
            y[q] = mdy_act(acc[a][q], lo, hi, ACT);
        }
    }
}

/* All pixels of OB output channels (general clamp: the edges of the layer). */
MDY_ALWAYS_INLINE void pw_rows(const float *in_g, const float *w, const float *bias,
                               float *out, uint32_t hw, uint32_t ys, uint32_t icpg, uint32_t o,
                               uint32_t pix, float lo, float hi, const int OB)
{
    for (; pix + 4u <= hw; pix += 4u) {
        pw_block(in_g, w, bias, out, hw, ys, icpg, o, pix, lo, hi, OB, 4, MDY_ACT_BOTH);
    }
    switch (hw - pix) {
    case 3:
        pw_block(in_g, w, bias, out, hw, ys, icpg, o, pix, lo, hi, OB, 3, MDY_ACT_BOTH);
        break;
    case 2:
        pw_block(in_g, w, bias, out, hw, ys, icpg, o, pix, lo, hi, OB, 2, MDY_ACT_BOTH);
        break;
    case 1:
        pw_block(in_g, w, bias, out, hw, ys, icpg, o, pix, lo, hi, OB, 1, MDY_ACT_BOTH);
        break;
    default:
        break;
    }
}

/* Everything the 4 x 4 blocks of pw_main leave: the ragged pixels of the first o4
 * output channels and the last o_end - o4 (< 4) channels. */
static __attribute__((noinline)) void pw_edges(const float *in_g, const float *w,
                                               const float *bias, float *out, uint32_t hw,
                                               uint32_t ys, uint32_t icpg, uint32_t o0, uint32_t o4,
                                               uint32_t o_end, float lo, float hi)
{
    const uint32_t hw4 = hw & ~3u;
    if (hw4 < hw) {
        for (uint32_t o = o0; o < o4; o += 4u) {
            pw_rows(in_g, w, bias, out, hw, ys, icpg, o, hw4, lo, hi, 4);
        }
    }
    uint32_t o = o4;
    for (; o + 2u <= o_end; o += 2u) {
        pw_rows(in_g, w, bias, out, hw, ys, icpg, o, 0, lo, hi, 2);
    }
    if (o < o_end) {
        pw_rows(in_g, w, bias, out, hw, ys, icpg, o, 0, lo, hi, 1);
    }
}

#ifdef MDY_HAVE_FWD_ASM
/* The 4 output channels x 4 pixels blocks of channels [o0, o4) in the assembly of
 * mdy_fwd_asm_pw.h, clamp kind KIND fused: per 4 channels a template of the 16 initial
 * sums (and the bounds) is built once, each block loads it with one vldm. The _tw
 * variants also stage the 4 channels' weights interleaved in the template (icpg <=
 * MDY_PW_TW_MAX): 4 icpg copies per 4 channels, which pay for themselves from about 6
 * blocks on (a pair of input channels then costs one weight vldm instead of four). */
MDY_ALWAYS_INLINE void pw_tmpl_head(mdy_pw_tmpl_t *t, float lo, float hi, uint32_t ys)
{
    t->ys_bytes = ys * 4u;
    uint32_t hi_bits;
    memcpy(&hi_bits, &hi, sizeof hi_bits);
    t->c = mdy_irelu6_c(hi_bits);
    t->lo = lo;
    t->hi = hi;
}

MDY_ALWAYS_INLINE void pw_tmpl_bias(mdy_pw_tmpl_t *t, const float *bias, uint32_t o)
{
    MDY_UNROLL
    for (int a = 0; a < 4; ++a) {
        const float b = bias ? bias[o + (uint32_t)a] : 0.0f;
        t->acc[4 * a] = t->acc[4 * a + 1] = t->acc[4 * a + 2] = t->acc[4 * a + 3] = b;
    }
}

#define PW_MAIN(NAME, KIND)                                                                 \
    static __attribute__((noinline)) void NAME(const float *in_g, const float *w,           \
                                               const float *bias, float *out, uint32_t hw,  \
                                               uint32_t ys, uint32_t icpg, uint32_t o0,     \
                                               uint32_t o4,                                 \
                                               float lo, float hi)                          \
    {                                                                                       \
        mdy_pw_tmpl_t t;                                                                    \
        pw_tmpl_head(&t, lo, hi, ys);                                                       \
        for (uint32_t o = o0; o < o4; o += 4u) {                                            \
            pw_tmpl_bias(&t, bias, o);                                                      \
            const float *w0 = w + (size_t)o * icpg;                                         \
            float *y = out + (size_t)o * ys;                                                \
            for (uint32_t pix = 0; pix + 4u <= hw; pix += 4u) {                             \
                mdy_asm_pw_block(w0, w0 + icpg, w0 + 2u * icpg, w0 + 3u * icpg, in_g + pix, \
                                 hw * 4u, icpg, &t, y + pix, KIND);                         \
            }                                                                               \
        }                                                                                   \
    }

#define PW_MAIN_TW(NAME, KIND)                                                              \
    static __attribute__((noinline)) void NAME(const float *in_g, const float *w,           \
                                                    const float *bias, float *out,          \
                                                    uint32_t hw, uint32_t ys, uint32_t icpg, \
                                                    uint32_t o0,                            \
                                                    uint32_t o4, float lo, float hi)        \
    {                                                                                       \
        mdy_pw_tmpl_tw_t t;                                                                 \
        pw_tmpl_head(&t.h, lo, hi, ys);                                                     \
        for (uint32_t o = o0; o < o4; o += 4u) {                                            \
            pw_tmpl_bias(&t.h, bias, o);                                                    \
            const float *w0 = w + (size_t)o * icpg;                                         \
            for (uint32_t i = 0; i < icpg; ++i) {                                           \
                t.w[4u * i] = w0[i];                                                        \
                t.w[4u * i + 1u] = w0[icpg + i];                                            \
                t.w[4u * i + 2u] = w0[2u * icpg + i];                                       \
                t.w[4u * i + 3u] = w0[3u * icpg + i];                                       \
            }                                                                               \
            float *y = out + (size_t)o * ys;                                                \
            for (uint32_t pix = 0; pix + 4u <= hw; pix += 4u) {                             \
                mdy_asm_pw_block_tw(in_g + pix, hw * 4u, icpg, &t.h, y + pix, KIND);        \
            }                                                                               \
        }                                                                                   \
    }

PW_MAIN(pw_main_none, MDY_PW_NONE)
PW_MAIN(pw_main_relu, MDY_PW_RELU)
PW_MAIN(pw_main_relu6, MDY_PW_RELU6)
PW_MAIN(pw_main_lo, MDY_PW_LO)
PW_MAIN(pw_main_both, MDY_PW_BOTH)
/* staged weights for the common kinds only (the vcmp kinds: rare bounds, 1.8 KB) */
PW_MAIN_TW(pw_main_none_tw, MDY_PW_NONE)
PW_MAIN_TW(pw_main_relu_tw, MDY_PW_RELU)
PW_MAIN_TW(pw_main_relu6_tw, MDY_PW_RELU6)

typedef void (*pw_main_fn)(const float *, const float *, const float *, float *, uint32_t,
                           uint32_t, uint32_t, uint32_t, uint32_t, float, float);

static void pw_main(const float *in_g, const float *w, const float *bias, float *out,
                    uint32_t hw, uint32_t ys, uint32_t icpg, uint32_t o0, uint32_t o4, float lo,
                    float hi, int act)
{
    static const pw_main_fn rows[5] = {pw_main_none, pw_main_relu, pw_main_relu6, pw_main_lo,
                                       pw_main_both};
    static const pw_main_fn staged[3] = {pw_main_none_tw, pw_main_relu_tw, pw_main_relu6_tw};
    int kind;
    if (act == MDY_ACT_NONE) {
        kind = MDY_PW_NONE;
    } else if (act == MDY_ACT_LO) {
        kind = lo == 0.0f ? MDY_PW_RELU : MDY_PW_LO;
    } else {
        kind = lo == 0.0f && hi > 0.0f ? MDY_PW_RELU6 : MDY_PW_BOTH;
    }
    /* staging: from 8 pixel blocks per channel group on (see PW_MAIN) */
    const int stage = icpg <= MDY_PW_TW_MAX && hw >= 32u && kind <= MDY_PW_RELU6;
    (stage ? staged : rows)[kind](in_g, w, bias, out, hw, ys, icpg, o0, o4, lo, hi);
}
#else
/* The 4 output channels x 4 pixels blocks of channels [o0, o4), with the layer's
 * clamp kind ACT. */
#define PW_MAIN(NAME, ACT)                                                                  \
    static __attribute__((noinline)) void NAME(const float *in_g, const float *w,           \
                                               const float *bias, float *out, uint32_t hw,  \
                                               uint32_t ys, uint32_t icpg, uint32_t o0,     \
                                               uint32_t o4,                                 \
                                               float lo, float hi)                          \
    {                                                                                       \
        for (uint32_t o = o0; o < o4; o += 4u) {                                            \
            for (uint32_t pix = 0; pix + 4u <= hw; pix += 4u) {                             \
                pw_block(in_g, w, bias, out, hw, ys, icpg, o, pix, lo, hi, 4, 4, ACT);      \
            }                                                                               \
        }                                                                                   \
    }

PW_MAIN(pw_main_none, MDY_ACT_NONE)
PW_MAIN(pw_main_lo, MDY_ACT_LO)
PW_MAIN(pw_main_both, MDY_ACT_BOTH)

static void pw_main(const float *in_g, const float *w, const float *bias, float *out,
                    uint32_t hw, uint32_t ys, uint32_t icpg, uint32_t o0, uint32_t o4, float lo,
                    float hi, int act)
{
    if (act == MDY_ACT_NONE) {
        pw_main_none(in_g, w, bias, out, hw, ys, icpg, o0, o4, lo, hi);
    } else if (act == MDY_ACT_LO) {
        pw_main_lo(in_g, w, bias, out, hw, ys, icpg, o0, o4, lo, hi);
    } else {
        pw_main_both(in_g, w, bias, out, hw, ys, icpg, o0, o4, lo, hi);
    }
}
#endif

void mdy_conv_pointwise_f32(const float *in, const mdy_conv_params_t *p, const float *w,
                            const float *bias, float *out)
{
    const uint32_t hw = (uint32_t)p->in_h * p->in_w;
    const uint32_t icpg = p->in_c / p->groups;
    const uint32_t ocpg = p->out_c / p->groups;
    const float lo = p->act_min, hi = p->act_max;
    const int act = mdy_act_kind(lo, hi);
    /* output planes out_h * out_w apart: a caller may compute the first in_h rows of a
     * taller output (mdy_conv_im2col_f32's strips); otherwise ys == hw */
    const uint32_t ys = (uint32_t)p->out_h * p->out_w;
    if (hw == 1u && ys == 1u && p->groups == 1u) {
        /* a 1x1 map is a matrix-vector product: the weight rows are contiguous */
        mdy_gemm_f32(in, icpg, ocpg, w, bias, lo, hi, out);
        return;
    }
    for (uint32_t g = 0; g < p->groups; ++g) {
        const float *in_g = in + (size_t)g * icpg * hw;
        const uint32_t o0 = g * ocpg, o_end = o0 + ocpg;
        const uint32_t o4 = o0 + (ocpg & ~3u);
        pw_main(in_g, w, bias, out, hw, ys, icpg, o0, o4, lo, hi, act);
        pw_edges(in_g, w, bias, out, hw, ys, icpg, o0, o4, o_end, lo, hi);
    }
}
