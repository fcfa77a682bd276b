/*
 * mdy_conv2d_weight_grad_tucker_f32_scratch_size: bytes of scratch
 *   mdy_conv2d_weight_grad_tucker_f32 needs for ranks (k1, k2, k3):
 *   (k2 * out_w + k2 * k3 + k1 * k_h * k_w) floats (Z1, Z2 and Z3 of one output channel).
 */
#include "mdy_internal.h"

size_t mdy_conv2d_weight_grad_tucker_f32_scratch_size(const mdy_conv_params_t *p, uint32_t k1,
                                                      uint32_t k2, uint32_t k3)
{
    return sizeof(float) * ((size_t)k2 * p->out_w + (size_t)k2 * k3
                            + (size_t)k1 * p->k_h * p->k_w);
}
