/*
 * mdy_conv2d_weight_grad_rows_f32: weight-gradient ROWS of the listed output channels
 * of mdy_conv2d_f32 (NEq-style neurons: a selected output channel trains its whole row
 * W[o][:][:][:], which needs the layer's whole input).
 *   in      [in_c][in_h][in_w]: the whole input activation (saved in the forward pass);
 *   outs    [n_out] output channel indices, any order, no duplicates (n_out may be 0);
 *   dout    [out_c][out_h][out_w], gradient before the fused clamp;
 *   dw_rows [n_out][in_c / groups][k_h][k_w] ACCUMULATED: row j holds dW[outs[j]].
 *   dW[o][ci][kh][kw] += sum_{oh,ow} x_{g*icpg+ci}[oh*sh + kh*dh - pt][ow*sw + kw*dw - pl]
 *                                    * dout[o][oh][ow],  g = o / (out_c / groups).
 * Two output channels of one group are done together, so every input value loaded
 * feeds two accumulators (the row pair shares its input planes). No scratch.
 */
#include "mdy_internal.h"

/* acc0 += sum x*d0, acc1 += sum x*d1 over the tap's valid window */
static void tap_dot2(const float *x, const float *d0, const float *d1,
                     const mdy_conv_params_t *p, const mdy_conv_tap_t *t,
                     float *acc0, float *acc1)
{
    const int32_t in_w = p->in_w, out_w = p->out_w, sh = p->stride_h, sw = p->stride_w;
    float a0 = 0.0f, a1 = 0.0f, b0 = 0.0f, b1 = 0.0f;
    for (int32_t oh = t->oh_lo; oh < t->oh_hi; ++oh) {
        const float *xr = x + oh * sh * in_w + t->in_offset;
        const float *g0 = d0 + oh * out_w;
        const float *g1 = d1 + oh * out_w;
        int32_t ow = t->ow_lo;
        for (; ow + 1 < t->ow_hi; ow += 2) {     /* two columns: independent chains */
            const float xa = xr[ow * sw], xb = xr[(ow + 1) * sw];
            a0 += xa * g0[ow];
            a1 += xa * g1[ow];
            b0 += xb * g0[ow + 1];
            b1 += xb * g1[ow + 1];
        }
        if (ow < t->ow_hi) {
            const float xa = xr[ow * sw];
            a0 += xa * g0[ow];
            a1 += xa * g1[ow];
        }
    }
    *acc0 += a0 + b0;
    *acc1 += a1 + b1;
}

void mdy_conv2d_weight_grad_rows_f32(const float *in, const uint16_t *outs, uint32_t n_out,
                                     const float *dout, const mdy_conv_params_t *p,
                                     float *dw_rows)
{
    const uint32_t icpg = p->in_c / p->groups;
    const uint32_t ocpg = p->out_c / p->groups;
    const size_t in_plane = (size_t)p->in_h * p->in_w;
    const size_t out_plane = (size_t)p->out_h * p->out_w;
    const int32_t kh_n = p->k_h, kw_n = p->k_w;
    const size_t taps = (size_t)kh_n * kw_n;
    const size_t row_len = icpg * taps;
    uint32_t j = 0;
    while (j < n_out) {
        const uint32_t o0 = outs[j];
        const uint32_t group = o0 / ocpg;
        /* pair with the next listed output of the same group, else pair with itself
         * (its second accumulator is then discarded) */
        const int paired = j + 1 < n_out && outs[j + 1] / ocpg == group;
        const uint32_t o1 = paired ? outs[j + 1] : o0;
        float *row0 = dw_rows + (size_t)j * row_len;
        float *row1 = paired ? row0 + row_len : NULL;
        const float *d0 = dout + (size_t)o0 * out_plane;
        const float *d1 = dout + (size_t)o1 * out_plane;
        for (uint32_t ci = 0; ci < icpg; ++ci) {
            const float *x = in + (size_t)(group * icpg + ci) * in_plane;
            for (int32_t kh = 0; kh < kh_n; ++kh) {
                for (int32_t kw = 0; kw < kw_n; ++kw) {
                    mdy_conv_tap_t t;
                    mdy_conv_tap(p, kh, kw, &t);
                    float acc0 = 0.0f, acc1 = 0.0f;
                    tap_dot2(x, d0, d1, p, &t, &acc0, &acc1);
                    const size_t at = ci * taps + (size_t)(kh * kw_n + kw);
                    row0[at] += acc0;
                    if (row1) {
                        row1[at] += acc1;
                    }
                }
            }
        }
        j += paired ? 2u : 1u;
    }
}
