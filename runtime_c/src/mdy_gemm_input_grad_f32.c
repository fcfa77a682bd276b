/*
 * mdy_gemm_input_grad_f32: din[i] = sum_o w[o * in_f + i] * dout[o] (W^T dout).
 *   dout [out_f], w [out_f][in_f], din [in_f] OVERWRITTEN (must not alias dout).
 * Walks W row by row (contiguous) accumulating into din. No scratch.
 * Blocks of up to 4 output rows per pass: din[i] += w0[i] g0 + w1[i] g1 + w2[i] g2 +
 * w3[i] g3, so each din element is loaded and stored once per 4 MACs. The first block
 * (the out_f % 4 rows, or 4) writes din instead of adding to it: no zeroing pass, and a
 * 1-3 output head makes one pass. On FPU Thumb-2 targets 8 inputs go per vldm
 * (mdy_gemm_asm.h).
 */
#include <string.h>

#include "mdy_internal.h"
#include "paths/mdy_gemm_asm.h"

MDY_ALWAYS_INLINE void ig_rows(const float *MDY_RESTRICT g, const float *MDY_RESTRICT w,
                               uint32_t in_f, float *MDY_RESTRICT din, const int OB,
                               const int FIRST)
{
    uint32_t i = 0;
#ifdef MDY_HAVE_FWD_ASM
    if (in_f >= 8u) {
        mdy_asm_gemm_igrad_x8(w, in_f, g, din, in_f / 8u, OB, FIRST);
        i = in_f & ~7u;
    }
#endif
    for (; i < in_f; ++i) {
        float acc = FIRST ? 0.0f : din[i];
        MDY_UNROLL
        for (int a = 0; a < OB; ++a) {
            acc += w[(size_t)a * in_f + i] * g[a];
        }
        din[i] = acc;
    }
}

void mdy_gemm_input_grad_f32(const float *dout, const float *w, uint32_t in_f,
                             uint32_t out_f, float *din)
{
    if (out_f == 0u) {
        memset(din, 0, (size_t)in_f * sizeof(float));
        return;
    }
    uint32_t o = out_f & 3u ? out_f & 3u : 4u;
    switch (o) {
    case 1u:
        ig_rows(dout, w, in_f, din, 1, 1);
        break;
    case 2u:
        ig_rows(dout, w, in_f, din, 2, 1);
        break;
    case 3u:
        ig_rows(dout, w, in_f, din, 3, 1);
        break;
    default:
        ig_rows(dout, w, in_f, din, 4, 1);
        break;
    }
    for (; o < out_f; o += 4u) {
        ig_rows(dout + o, w + (size_t)o * in_f, in_f, din, 4, 0);
    }
}
