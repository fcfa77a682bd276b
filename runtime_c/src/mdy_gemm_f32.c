/*
 * mdy_gemm_f32: out[o] = clamp(sum_i w[o * in_f + i] * in[i] + bias[o]).
 *   in [in_f], w [out_f][in_f] (row-major, y = W x + b), bias [out_f] or NULL,
 *   out [out_f] overwritten (must not alias in). No scratch.
 * Four output rows per pass (4 accumulators): each input value is loaded once for four
 * MACs, so a MAC costs about one weight load and one VFMA; on FPU Thumb-2 targets the
 * loads are 8-float vldm (mdy_fwd_asm.h), about 1.3 instructions per MAC. The 1-3
 * rows left over (and heads of 1-3 outputs) run as a pair and a single row block.
 */
#include "mdy_internal.h"
#include "paths/mdy_gemm_asm.h"

MDY_ALWAYS_INLINE void gemm_rows(const float *MDY_RESTRICT in, uint32_t in_f,
                                 const float *MDY_RESTRICT w, const float *bias,
                                 float act_min, float act_max, float *MDY_RESTRICT out,
                                 uint32_t o, const int OB)
{
    float acc[4];
    const float *row[4];
    MDY_UNROLL
    for (int a = 0; a < OB; ++a) {
        acc[a] = bias ? bias[o + (uint32_t)a] : 0.0f;
        row[a] = w + (size_t)(o + (uint32_t)a) * in_f;
    }
    uint32_t i = 0;
#ifdef MDY_HAVE_FWD_ASM
    /* 8 inputs x OB rows per iteration, one vldm per row, then the last in_f % 8
     * inputs, all in one block (mdy_gemm_asm.h) */
    mdy_asm_gemv_rows(row[0], OB > 1 ? row[1] : row[0], OB > 2 ? row[2] : row[0],
                      OB > 3 ? row[3] : row[0], in, in_f / 8u, in_f % 8u, acc, OB);
    i = in_f;
#endif
    for (; i + 4u <= in_f; i += 4u) {
        float xv[4];
        MDY_UNROLL
        for (int k = 0; k < 4; ++k) {
            xv[k] = in[i + (uint32_t)k];
        }
        MDY_UNROLL
        for (int a = 0; a < OB; ++a) {
            MDY_UNROLL
            for (int k = 0; k < 4; ++k) {
                acc[a] += row[a][i + (uint32_t)k] * xv[k];
            }
        }
    }
    for (; i < in_f; ++i) {
        MDY_UNROLL
        for (int a = 0; a < OB; ++a) {
            acc[a] += row[a][i] * in[i];
        }
    }
    MDY_UNROLL
    for (int a = 0; a < OB; ++a) {
        out[o + (uint32_t)a] = mdy_clampf(acc[a], act_min, act_max);
    }
}

void mdy_gemm_f32(const float *in, uint32_t in_f, uint32_t out_f, const float *w,
                  const float *bias, float act_min, float act_max, float *out)
{
    uint32_t o = 0;
    for (; o + 4u <= out_f; o += 4u) {
        gemm_rows(in, in_f, w, bias, act_min, act_max, out, o, 4);
    }
    /* 1-3 rows left (2-class heads, out_f % 4): a pair block reads x once for both */
    if (o + 2u <= out_f) {
        gemm_rows(in, in_f, w, bias, act_min, act_max, out, o, 2);
        o += 2u;
    }
    if (o < out_f) {
        gemm_rows(in, in_f, w, bias, act_min, act_max, out, o, 1);
    }
}
