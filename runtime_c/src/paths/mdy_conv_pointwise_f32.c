/*
 * mdy_conv_pointwise_f32 (internal path of mdy_conv2d_f32): 1x1, stride 1, unpadded,
 * same spatial size, any groups. Per group it is the GEMM
 *     out[o][p] = clamp(bias[o] + sum_i w[o][i] * in[i][p]),  p over the H*W pixels,
 * register-blocked: 4 output channels x 4 pixels (16 accumulators) per pass, so each
 * input value is loaded once for 4 MACs and each weight once for 4 MACs. Edges run the
 * same loop with fewer channels / pixels (compile-time block sizes). No scratch.
 */
#include "../mdy_internal.h"

/* OB output channels x PB pixels starting at (o, pix); OB, PB are constants at every
 * call site so the accumulators live in FPU registers. */
MDY_ALWAYS_INLINE void pw_block(const float *in_g, const float *w, const float *bias,
                                float *out, uint32_t hw, uint32_t icpg, uint32_t o,
                                uint32_t pix, float lo, float hi, const int OB, const int PB)
{
    float acc[4][4];
    MDY_UNROLL
    for (int a = 0; a < OB; ++a) {
        const float b = bias ? bias[o + (uint32_t)a] : 0.0f;
        MDY_UNROLL
        for (int q = 0; q < PB; ++q) {
            acc[a][q] = b;
        }
    }
    const float *x = in_g + pix;
    const float *wr = w + (size_t)o * icpg;
    for (uint32_t i = 0; i < icpg; ++i, x += hw, ++wr) {
        float xv[4];
        MDY_UNROLL
        for (int q = 0; q < PB; ++q) {
            xv[q] = x[q];
        }
        MDY_UNROLL
        for (int a = 0; a < OB; ++a) {
            const float wv = wr[(size_t)a * icpg];
            MDY_UNROLL
            for (int q = 0; q < PB; ++q) {
                acc[a][q] += wv * xv[q];
            }
        }
    }
    MDY_UNROLL
    for (int a = 0; a < OB; ++a) {
        float *y = out + (size_t)(o + (uint32_t)a) * hw + pix;
        MDY_UNROLL
        for (int q = 0; q < PB; ++q) {
            y[q] = mdy_clampf(acc[a][q], lo, hi);
        }
    }
}

MDY_ALWAYS_INLINE void pw_rows(const float *in_g, const float *w, const float *bias,
                               float *out, uint32_t hw, uint32_t icpg, uint32_t o,
                               float lo, float hi, const int OB)
{
    uint32_t pix = 0;
    for (; pix + 4u <= hw; pix += 4u) {
        pw_block(in_g, w, bias, out, hw, icpg, o, pix, lo, hi, OB, 4);
    }
    switch (hw - pix) {
    case 3:
        pw_block(in_g, w, bias, out, hw, icpg, o, pix, lo, hi, OB, 3);
        break;
    case 2:
        pw_block(in_g, w, bias, out, hw, icpg, o, pix, lo, hi, OB, 2);
        break;
    case 1:
        pw_block(in_g, w, bias, out, hw, icpg, o, pix, lo, hi, OB, 1);
        break;
    default:
        break;
    }
}

void mdy_conv_pointwise_f32(const float *in, const mdy_conv_params_t *p, const float *w,
                            const float *bias, float *out)
{
    const uint32_t hw = (uint32_t)p->in_h * p->in_w;
    const uint32_t icpg = p->in_c / p->groups;
    const uint32_t ocpg = p->out_c / p->groups;
    const float lo = p->act_min, hi = p->act_max;
    for (uint32_t g = 0; g < p->groups; ++g) {
        const float *in_g = in + (size_t)g * icpg * hw;
        const uint32_t o_end = (g + 1u) * ocpg;
        uint32_t o = g * ocpg;
        for (; o + 4u <= o_end; o += 4u) {
            pw_rows(in_g, w, bias, out, hw, icpg, o, lo, hi, 4);
        }
        for (; o + 2u <= o_end; o += 2u) {
            pw_rows(in_g, w, bias, out, hw, icpg, o, lo, hi, 2);
        }
        if (o < o_end) {
            pw_rows(in_g, w, bias, out, hw, icpg, o, lo, hi, 1);
        }
    }
}
