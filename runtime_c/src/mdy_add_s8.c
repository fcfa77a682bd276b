/*
 * mdy_add_s8: residual add with rescaling (TFLite Micro's int8 Add arithmetic).
 *   sa = requant((a - zp_a) << left_shift, mult_a, shift_a), sb likewise,
 *   out = clamp(requant(sa + sb, mult_out, shift_out) + zp_out, act_min, act_max).
 * a, b, out: n int8 elements (out may alias a or b). No scratch.
 * sa depends on the int8 value of a only: from MDY_ADD_S8_TABLE_MIN elements on, sa and
 * sb of all 256 values are computed once (the same mdy_requantize_s32 calls, so the same
 * numbers) into two stack tables (2 KiB, as mdy_conv2d_s8's column buffer), and each
 * element is two table loads and the output requantization (mdy_s8_rq: one SMLAL in its
 * fast case); three out-of-line requantizations per element (~120 instructions) before.
 */
#include "mdy_s8_internal.h"

/* 512 table entries cost about as much as ~200 elements the direct way */
#define MDY_ADD_S8_TABLE_MIN 256u

void mdy_add_s8(const int8_t *a, const int8_t *b, uint32_t n, const mdy_add_s8_params_t *p,
                int8_t *out)
{
    const int32_t scale = (int32_t)1 << p->left_shift;
    const mdy_s8_rq_t ro = mdy_s8_rq_make(p->mult_out, p->shift_out, p->zp_out);
    const int32_t lo = p->act_min, hi = p->act_max;
    if (n >= MDY_ADD_S8_TABLE_MIN) {
        int32_t ta[256], tb[256];
        for (int32_t v = -128; v < 128; ++v) {
            ta[v + 128] = mdy_requantize_s32((v - p->zp_a) * scale, p->mult_a, p->shift_a);
            tb[v + 128] = mdy_requantize_s32((v - p->zp_b) * scale, p->mult_b, p->shift_b);
        }
        for (uint32_t i = 0; i < n; ++i) {
            const int32_t s = ta[(int32_t)a[i] + 128] + tb[(int32_t)b[i] + 128];
            out[i] = mdy_s8_finish(s, &ro, lo, hi);
        }
        return;
    }
    for (uint32_t i = 0; i < n; ++i) {
        const int32_t sa = mdy_requantize_s32(((int32_t)a[i] - p->zp_a) * scale, p->mult_a, p->shift_a);
        const int32_t sb = mdy_requantize_s32(((int32_t)b[i] - p->zp_b) * scale, p->mult_b, p->shift_b);
        out[i] = mdy_s8_finish(sa + sb, &ro, lo, hi);
    }
}
