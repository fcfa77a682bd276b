/*
 * mdy_gemm_weight_grad_f32: weight-gradient slices of the listed input features.
 *   saved [n_sel]: saved[j] = in[channels[j]] (gathered in the forward pass),
 *   dout [out_f], dw_slices [n_sel][out_f] ACCUMULATED:
 *   dw_slices[j * out_f + o] += saved[j] * dout[o]. No scratch.
 * A rank-1 update: blocks of 8 outputs keep their dout values in FPU registers across
 * every slice, so each MAC costs its slice load, the FMA and the store (the floor of an
 * accumulating update), not a reload of dout too. On FPU Thumb-2 targets a slice's
 * block is one vldm + one vstm, and a 1-3 output head is updated as one contiguous run
 * (mdy_gemm_asm.h).
 */
#include "mdy_internal.h"
#include "paths/mdy_gemm_asm.h"

MDY_ALWAYS_INLINE void wg_outs(const float *MDY_RESTRICT saved, uint32_t n_sel,
                               const float *MDY_RESTRICT dout, uint32_t out_f,
                               float *MDY_RESTRICT dw, const int OB)
{
    uint32_t j = 0;
#ifdef MDY_HAVE_FWD_ASM
    /* one vldm/vstm per slice block (mdy_gemm_asm.h) */
    if (OB == 8 && n_sel > 0u) {
        mdy_asm_gemm_wgrad_cols8(saved, n_sel, dout, dw, out_f * (uint32_t)sizeof(float));
        return;
    }
    if (OB == 4 && n_sel >= 2u) {
        mdy_asm_gemm_wgrad_cols4x2(saved, n_sel / 2u, dout, dw, out_f * (uint32_t)sizeof(float));
        j = n_sel & ~1u;
        dw += (size_t)j * out_f;
    }
#endif
    float g[8];
    MDY_UNROLL
    for (int b = 0; b < OB; ++b) {
        g[b] = dout[b];
    }
    for (; j < n_sel; ++j, dw += out_f) {
        const float x = saved[j];
        float v[8];
        MDY_UNROLL
        for (int b = 0; b < OB; ++b) {
            v[b] = dw[b];
        }
        MDY_UNROLL
        for (int b = 0; b < OB; ++b) {
            dw[b] = v[b] + x * g[b];
        }
    }
}

/* The last 1-3 outputs: 4 slices per iteration, so the loop's own instructions do not
 * outnumber the MACs. */
MDY_ALWAYS_INLINE void wg_tail(const float *MDY_RESTRICT saved, uint32_t n_sel,
                               const float *MDY_RESTRICT dout, uint32_t out_f,
                               float *MDY_RESTRICT dw, const int OB)
{
    float g[3];
    MDY_UNROLL
    for (int b = 0; b < OB; ++b) {
        g[b] = dout[b];
    }
    uint32_t j = 0;
    for (; j + 4u <= n_sel; j += 4u, dw += 4u * out_f) {
        float v[4][3];
        MDY_UNROLL
        for (int q = 0; q < 4; ++q) {
            MDY_UNROLL
            for (int b = 0; b < OB; ++b) {
                v[q][b] = dw[(uint32_t)q * out_f + (uint32_t)b];
            }
        }
        MDY_UNROLL
        for (int q = 0; q < 4; ++q) {
            const float x = saved[j + (uint32_t)q];
            MDY_UNROLL
            for (int b = 0; b < OB; ++b) {
                dw[(uint32_t)q * out_f + (uint32_t)b] = v[q][b] + x * g[b];
            }
        }
    }
    for (; j < n_sel; ++j, dw += out_f) {
        const float x = saved[j];
        MDY_UNROLL
        for (int b = 0; b < OB; ++b) {
            dw[b] += x * g[b];
        }
    }
}

void mdy_gemm_weight_grad_f32(const float *saved, uint32_t n_sel, const float *dout,
                              uint32_t out_f, float *dw_slices)
{
    uint32_t o = 0;
#ifdef MDY_HAVE_FWD_ASM
    if (out_f >= 1u && out_f <= 3u) {
        /* a 1-3 output head: dw_slices [n_sel][out_f] is one contiguous run */
        const uint32_t per = out_f == 1u ? 8u : 4u;
        const uint32_t blocks = n_sel / per, done = blocks * per;
        if (blocks > 0u) {
            mdy_asm_gemm_wgrad_flat(saved, blocks, dout, out_f, dw_slices);
        }
        saved += done;
        n_sel -= done;
        dw_slices += (size_t)done * out_f;
    }
#endif
    for (; o + 8u <= out_f; o += 8u) {
        wg_outs(saved, n_sel, dout + o, out_f, dw_slices + o, 8);
    }
    if (o + 4u <= out_f) {
        wg_outs(saved, n_sel, dout + o, out_f, dw_slices + o, 4);
        o += 4u;
    }
    switch (out_f - o) {
    case 3u:
        wg_tail(saved, n_sel, dout + o, out_f, dw_slices + o, 3);
        break;
    case 2u:
        wg_tail(saved, n_sel, dout + o, out_f, dw_slices + o, 2);
        break;
    case 1u:
        wg_tail(saved, n_sel, dout + o, out_f, dw_slices + o, 1);
        break;
    default:
        break;
    }
}
