/*
 * mdy_conv_pointwise_grad_f32: gradients of the pointwise path (1x1, stride 1, unpadded,
 * same spatial size), used by mdy_conv2d_input_grad_f32 and mdy_conv2d_weight_grad_f32 (same contracts).
 *
 * Input gradient: per group the transposed GEMM din[c][p] = sum_o w[o][c] dout[o][p],
 * blocked 4 input channels x 4 pixels (16 accumulators; the 4 weights of a block are
 * contiguous in w[o][.]). Weight gradient: dW[o][c] += sum_p x_c[p] dout[o][p], blocked
 * 4 scheduled channels x 4 output channels (16 dot products in registers, each saved
 * and dout value loaded once per 4 MACs). No scratch.
 */
#include "../mdy_internal.h"

MDY_ALWAYS_INLINE void pw_igrad_block(const float *MDY_RESTRICT dout_g,
                                      const float *MDY_RESTRICT w_g, float *MDY_RESTRICT din,
                                      uint32_t hw, uint32_t icpg, uint32_t ocpg, uint32_t cl,
                                      uint32_t pix, const int CB, const int PB)
{
    float acc[4][4];
    MDY_UNROLL
    for (int a = 0; a < CB; ++a) {
        MDY_UNROLL
        for (int q = 0; q < PB; ++q) {
            acc[a][q] = 0.0f;
        }
    }
    const float *g = dout_g + pix;
    const float *wr = w_g + cl;
    for (uint32_t o = 0; o < ocpg; ++o, g += hw, wr += icpg) {
        float gv[4];
        MDY_UNROLL
        for (int q = 0; q < PB; ++q) {
            gv[q] = g[q];
        }
        MDY_UNROLL
        for (int a = 0; a < CB; ++a) {
            const float wv = wr[a];
            MDY_UNROLL
            for (int q = 0; q < PB; ++q) {
                acc[a][q] += wv * gv[q];
            }
        }
    }
    MDY_UNROLL
    for (int a = 0; a < CB; ++a) {
        MDY_UNROLL
        for (int q = 0; q < PB; ++q) {
            din[(size_t)(cl + (uint32_t)a) * hw + pix + (uint32_t)q] = acc[a][q];
        }
    }
}

MDY_ALWAYS_INLINE void pw_igrad_rows(const float *dout_g, const float *w_g, float *din_g,
                                     uint32_t hw, uint32_t icpg, uint32_t ocpg, uint32_t cl,
                                     const int CB)
{
    uint32_t pix = 0;
    for (; pix + 4u <= hw; pix += 4u) {
        pw_igrad_block(dout_g, w_g, din_g, hw, icpg, ocpg, cl, pix, CB, 4);
    }
    for (; pix < hw; ++pix) {
        pw_igrad_block(dout_g, w_g, din_g, hw, icpg, ocpg, cl, pix, CB, 1);
    }
}

void mdy_conv_pointwise_input_grad_f32(const float *dout, const mdy_conv_params_t *p,
                                       const float *w, float *din)
{
    const uint32_t hw = (uint32_t)p->in_h * p->in_w;
    const uint32_t icpg = p->in_c / p->groups;
    const uint32_t ocpg = p->out_c / p->groups;
    for (uint32_t g = 0; g < p->groups; ++g) {
        const float *dout_g = dout + (size_t)g * ocpg * hw;
        const float *w_g = w + (size_t)g * ocpg * icpg;
        float *din_g = din + (size_t)g * icpg * hw;
        uint32_t cl = 0;
        for (; cl + 4u <= icpg; cl += 4u) {
            pw_igrad_rows(dout_g, w_g, din_g, hw, icpg, ocpg, cl, 4);
        }
        for (; cl < icpg; ++cl) {
            pw_igrad_rows(dout_g, w_g, din_g, hw, icpg, ocpg, cl, 1);
        }
    }
}

/* dW slices for JB scheduled channels (same group) x OB output channels. */
MDY_ALWAYS_INLINE void pw_wgrad_block(const float *MDY_RESTRICT saved,
                                      const float *MDY_RESTRICT dout, float *dw_slices,
                                      uint32_t hw, uint32_t ocpg, uint32_t j, uint32_t o0,
                                      uint32_t ol, const int JB, const int OB)
{
    const float *x[4];
    const float *g[4];
    float acc[4][4];
    MDY_UNROLL
    for (int a = 0; a < JB; ++a) {
        x[a] = saved + (size_t)(j + (uint32_t)a) * hw;
    }
    MDY_UNROLL
    for (int b = 0; b < OB; ++b) {
        g[b] = dout + (size_t)(o0 + ol + (uint32_t)b) * hw;
        MDY_UNROLL
        for (int a = 0; a < JB; ++a) {
            acc[a][b] = 0.0f;
        }
    }
    for (uint32_t pix = 0; pix < hw; ++pix) {
        float xv[4], gv[4];
        MDY_UNROLL
        for (int a = 0; a < JB; ++a) {
            xv[a] = x[a][pix];
        }
        MDY_UNROLL
        for (int b = 0; b < OB; ++b) {
            gv[b] = g[b][pix];
        }
        MDY_UNROLL
        for (int a = 0; a < JB; ++a) {
            MDY_UNROLL
            for (int b = 0; b < OB; ++b) {
                acc[a][b] += xv[a] * gv[b];
            }
        }
    }
    MDY_UNROLL
    for (int a = 0; a < JB; ++a) {
        MDY_UNROLL
        for (int b = 0; b < OB; ++b) {
            dw_slices[(size_t)(j + (uint32_t)a) * ocpg + ol + (uint32_t)b] += acc[a][b];
        }
    }
}

MDY_ALWAYS_INLINE void pw_wgrad_outs(const float *saved, const float *dout, float *dw_slices,
                                     uint32_t hw, uint32_t ocpg, uint32_t j, uint32_t o0,
                                     const int JB)
{
    uint32_t ol = 0;
    for (; ol + 4u <= ocpg; ol += 4u) {
        pw_wgrad_block(saved, dout, dw_slices, hw, ocpg, j, o0, ol, JB, 4);
    }
    for (; ol < ocpg; ++ol) {
        pw_wgrad_block(saved, dout, dw_slices, hw, ocpg, j, o0, ol, JB, 1);
    }
}

void mdy_conv_pointwise_weight_grad_f32(const float *saved, const uint16_t *channels,
                                        uint32_t n_sel, const float *dout,
                                        const mdy_conv_params_t *p, float *dw_slices)
{
    const uint32_t hw = (uint32_t)p->in_h * p->in_w;
    const uint32_t icpg = p->in_c / p->groups;
    const uint32_t ocpg = p->out_c / p->groups;
    uint32_t j = 0;
    while (j < n_sel) {
        const uint32_t grp = channels[j] / icpg;
        const uint32_t o0 = grp * ocpg;
        if (j + 4u <= n_sel && channels[j + 1u] / icpg == grp &&
            channels[j + 2u] / icpg == grp && channels[j + 3u] / icpg == grp) {
            pw_wgrad_outs(saved, dout, dw_slices, hw, ocpg, j, o0, 4);
            j += 4u;
        } else {
            pw_wgrad_outs(saved, dout, dw_slices, hw, ocpg, j, o0, 1);
            j += 1u;
        }
    }
}
