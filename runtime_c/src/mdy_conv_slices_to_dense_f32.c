/*
 * mdy_conv_slices_to_dense_f32: scatter weight-gradient slices (layout of
 * mdy_conv2d_weight_grad_f32) into a dense dW [out_c][in_c / groups][k_h][k_w],
 * OVERWRITTEN: zero everywhere except the weights of the listed channels. Used to read
 * gradients back for checking (`medyate grad`). No scratch.
 */
#include <string.h>

#include "mdy_internal.h"

void mdy_conv_slices_to_dense_f32(const float *dw_slices, const uint16_t *channels,
                                  uint32_t n_sel, const mdy_conv_params_t *p, float *dw)
{
    const uint32_t icpg = p->in_c / p->groups;
    const uint32_t ocpg = p->out_c / p->groups;
    const size_t taps = (size_t)p->k_h * p->k_w;
    memset(dw, 0, (size_t)p->out_c * icpg * taps * sizeof(float));
    for (uint32_t j = 0; j < n_sel; ++j) {
        const uint32_t c = channels[j];
        const uint32_t il = c % icpg;
        const uint32_t o0 = (c / icpg) * ocpg;
        const float *slice = dw_slices + (size_t)j * ocpg * taps;
        for (uint32_t ol = 0; ol < ocpg; ++ol) {
            memcpy(dw + ((size_t)(o0 + ol) * icpg + il) * taps, slice + ol * taps,
                   taps * sizeof(float));
        }
    }
}
