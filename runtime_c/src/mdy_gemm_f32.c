/*
 * mdy_gemm_f32: out[o] = clamp(sum_i w[o * in_f + i] * in[i] + bias[o]).
 *   in [in_f], w [out_f][in_f] (row-major, y = W x + b), bias [out_f] or NULL,
 *   out [out_f] overwritten (must not alias in). No scratch.
 * Four output rows per pass (4 accumulators): each input value is loaded once for four
 * MACs, so a MAC costs about one weight load and one VFMA; on FPU Thumb-2 targets the
 * loads are 8-float vldm and the clamp and the stores are in the same assembly block
 * (mdy_gemm_asm.h; ReLU / ReLU6 as integer ops), about 1.3 instructions per MAC. The 1-3
 * rows left over (and heads of 1-3 outputs) run as a pair and a single row block.
 */
#include "mdy_internal.h"
#include <string.h>

#include "paths/mdy_gemm_asm.h"

#ifdef MDY_HAVE_FWD_ASM
static const float gemm_zero[4] = {0.0f, 0.0f, 0.0f, 0.0f};

/* OB rows from o, clamp kind KIND (MDY_PW_*), all in one assembly block */
#define GEMM_RUN(KIND)                                                                      \
    do {                                                                                    \
        uint32_t o = 0;                                                                     \
        for (; o + 4u <= out_f; o += 4u) {                                                  \
            const float *r = w + (size_t)o * in_f;                                          \
            mdy_asm_gemv_store(r, r + in_f, r + 2u * in_f, r + 3u * in_f, in, in_f / 8u,   \
                               bias ? bias + o : gemm_zero, tp, out + o, 4, KIND);          \
        }                                                                                   \
        if (o + 2u <= out_f) {                                                              \
            const float *r = w + (size_t)o * in_f;                                          \
            mdy_asm_gemv_store(r, r + in_f, r, r, in, in_f / 8u,                            \
                               bias ? bias + o : gemm_zero, tp, out + o, 2, KIND);          \
            o += 2u;                                                                        \
        }                                                                                   \
        if (o < out_f) {                                                                    \
            const float *r = w + (size_t)o * in_f;                                          \
            mdy_asm_gemv_store(r, r, r, r, in, in_f / 8u,                                   \
                               bias ? bias + o : gemm_zero, tp, out + o, 1, KIND);          \
        }                                                                                   \
    } while (0)

#define GEMM_KIND_FN(NAME, KIND)                                                            \
    MDY_ALWAYS_INLINE void NAME(const float *in, uint32_t in_f,                              \
                                               uint32_t out_f, const float *w,               \
                                               const float *bias, const mdy_gemv_tmpl_t *tp, \
                                               float *out)                                   \
    {                                                                                       \
        GEMM_RUN(KIND);                                                                     \
    }

GEMM_KIND_FN(gemm_none, MDY_PW_NONE)
GEMM_KIND_FN(gemm_relu, MDY_PW_RELU)
GEMM_KIND_FN(gemm_relu6, MDY_PW_RELU6)

void mdy_gemm_f32(const float *in, uint32_t in_f, uint32_t out_f, const float *w,
                  const float *bias, float act_min, float act_max, float *out)
{
    mdy_gemv_tmpl_t t = {{0.0f, 0.0f, 0.0f, 0.0f}, 0u, act_min, act_max, in_f % 8u};
    uint32_t hi_bits;
    memcpy(&hi_bits, &act_max, sizeof hi_bits);
    t.c = mdy_irelu6_c(hi_bits);
    const int act = mdy_act_kind(act_min, act_max);
    if (act == MDY_ACT_BOTH && act_min == 0.0f && act_max > 0.0f) {
        gemm_relu6(in, in_f, out_f, w, bias, &t, out);
    } else if (act == MDY_ACT_LO && act_min == 0.0f) {
        gemm_relu(in, in_f, out_f, w, bias, &t, out);
    } else {
        gemm_none(in, in_f, out_f, w, bias, &t, out);
        if (act != MDY_ACT_NONE) {
            /* other bounds (rare): the clamp in C saves the vcmp variants' code */
            for (uint32_t o = 0; o < out_f; ++o) {
                out[o] = mdy_clampf(out[o], act_min, act_max);
            }
        }
    }
}
#else
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
#endif
