/*
 * mdy_add_s8: residual add with rescaling (TFLite Micro's int8 Add arithmetic).
 *   sa = requant((a - zp_a) << left_shift, mult_a, shift_a), sb likewise,
 *   out = clamp(requant(sa + sb, mult_out, shift_out) + zp_out, act_min, act_max).
 * a, b, out: n int8 elements. No scratch.
 */
#include "mdy_internal.h"

void mdy_add_s8(const int8_t *a, const int8_t *b, uint32_t n, const mdy_add_s8_params_t *p,
                int8_t *out)
{
    const int32_t scale = (int32_t)1 << p->left_shift;
    for (uint32_t i = 0; i < n; ++i) {
        const int32_t sa = mdy_requantize_s32(((int32_t)a[i] - p->zp_a) * scale, p->mult_a, p->shift_a);
        const int32_t sb = mdy_requantize_s32(((int32_t)b[i] - p->zp_b) * scale, p->mult_b, p->shift_b);
        int32_t v = mdy_requantize_s32(sa + sb, p->mult_out, p->shift_out) + p->zp_out;
        v = v < p->act_min ? p->act_min : (v > p->act_max ? p->act_max : v);
        out[i] = (int8_t)v;
    }
}
