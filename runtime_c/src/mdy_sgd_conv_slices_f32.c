/*
 * mdy_sgd_conv_slices_f32: SGD on exactly the conv weights the listed channels touch:
 *   w[o][c % icpg][kh][kw] -= lr * gscale[o] * dw_slices[j][o_local][kh][kw]
 * for c = channels[j], o = group(c) * ocpg + o_local (slice layout of
 * mdy_conv2d_weight_grad_f32). w [out_c][in_c / groups][k_h][k_w]; gscale [out_c] or NULL
 * (all ones): the square of a folded BatchNorm's per-output scale, so the step equals SGD
 * on the weight as stored in the ONNX file. No scratch.
 */
#include "mdy_internal.h"

void mdy_sgd_conv_slices_f32(float *w, const mdy_conv_params_t *p, const uint16_t *channels,
                             uint32_t n_sel, const float *dw_slices, float lr,
                             const float *gscale)
{
    const uint32_t icpg = p->in_c / p->groups;
    const uint32_t ocpg = p->out_c / p->groups;
    const size_t taps = (size_t)p->k_h * p->k_w;
    for (uint32_t j = 0; j < n_sel; ++j) {
        const uint32_t c = channels[j];
        const uint32_t il = c % icpg;
        const uint32_t o0 = (c / icpg) * ocpg;
        const float *slice = dw_slices + (size_t)j * ocpg * taps;
        for (uint32_t ol = 0; ol < ocpg; ++ol) {
            const uint32_t o = o0 + ol;
            const float step = lr * (gscale ? gscale[o] : 1.0f);
            float *wk = w + ((size_t)o * icpg + il) * taps;
            const float *g = slice + ol * taps;
            for (size_t t = 0; t < taps; ++t) {
                wk[t] -= step * g[t];
            }
        }
    }
}
