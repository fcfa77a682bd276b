/*
 * The depthwise strip path's inline assembly (mdy_conv_depthwise_f32: 3x3 rows, 5x5 and
 * 7x7 rows) for Thumb-2 + FPv4/FPv5 single precision; the helpers, register conventions
 * and the clamp text are in mdy_fwd_asm.h. Without MDY_HAVE_FWD_ASM the C loops run.
 */
#ifndef MEDYATE_FWD_ASM_DW_H
#define MEDYATE_FWD_ASM_DW_H

#include "mdy_fwd_asm_pw.h"

#ifdef MDY_HAVE_FWD_ASM

/*
 * Depthwise 3x3 (mdy_conv_depthwise_f32 strip path), stride S = 1 or 2: blocks of 4
 * consecutive output pixels of whole output rows. x0..x2: the 3 strip rows of the
 * window at the first block; wt: the channel's 9 weights; k: 4 copies of the bias (the
 * block's sums start from one vldm), lo, hi, block count (as uint32 bits). The weights
 * stay in s16-s24 for the whole call; per block 3 vldm of (4 - 1) * S + 3 inputs, 36
 * VFMA, the clamp (as mdy_clampf) and one vstm.
 * Registers: s0-s3 sums, s4-s12 inputs, s16-s24 weights, s25 bias, s26 lo, s27 hi.
 */
#define MDY_ASM_DW3_S1 \
    "1:\n\t" \
    "vldmia %[k], {s0-s3}\n\t" \
    "vldmia %[x0], {s4-s9}\n\t" \
    "add %[x0], %[x0], #16\n\t" \
    MDY_FMA4(0, 1, 2, 3, 16, 4, 5, 6, 7) \
    MDY_FMA4(0, 1, 2, 3, 17, 5, 6, 7, 8) \
    MDY_FMA4(0, 1, 2, 3, 18, 6, 7, 8, 9) \
    "vldmia %[x1], {s4-s9}\n\t" \
    "add %[x1], %[x1], #16\n\t" \
    MDY_FMA4(0, 1, 2, 3, 19, 4, 5, 6, 7) \
    MDY_FMA4(0, 1, 2, 3, 20, 5, 6, 7, 8) \
    MDY_FMA4(0, 1, 2, 3, 21, 6, 7, 8, 9) \
    "vldmia %[x2], {s4-s9}\n\t" \
    "add %[x2], %[x2], #16\n\t" \
    MDY_FMA4(0, 1, 2, 3, 22, 4, 5, 6, 7) \
    MDY_FMA4(0, 1, 2, 3, 23, 5, 6, 7, 8) \
    "vfma.f32 s0, s24, s6\n\t" \
    "vfma.f32 s1, s24, s7\n\t" \
    "vfma.f32 s2, s24, s8\n\t" \
    "vfma.f32 s3, s24, s9\n\t"
#define MDY_ASM_DW3_S2 \
    "1:\n\t" \
    "vldmia %[k], {s0-s3}\n\t" \
    "vldmia %[x0], {s4-s12}\n\t" \
    "add %[x0], %[x0], #32\n\t" \
    MDY_FMA4(0, 1, 2, 3, 16, 4, 6, 8, 10) \
    MDY_FMA4(0, 1, 2, 3, 17, 5, 7, 9, 11) \
    MDY_FMA4(0, 1, 2, 3, 18, 6, 8, 10, 12) \
    "vldmia %[x1], {s4-s12}\n\t" \
    "add %[x1], %[x1], #32\n\t" \
    MDY_FMA4(0, 1, 2, 3, 19, 4, 6, 8, 10) \
    MDY_FMA4(0, 1, 2, 3, 20, 5, 7, 9, 11) \
    MDY_FMA4(0, 1, 2, 3, 21, 6, 8, 10, 12) \
    "vldmia %[x2], {s4-s12}\n\t" \
    "add %[x2], %[x2], #32\n\t" \
    MDY_FMA4(0, 1, 2, 3, 22, 4, 6, 8, 10) \
    MDY_FMA4(0, 1, 2, 3, 23, 5, 7, 9, 11) \
    "vfma.f32 s0, s24, s6\n\t" \
    "vfma.f32 s1, s24, s8\n\t" \
    "vfma.f32 s2, s24, s10\n\t" \
    "vfma.f32 s3, s24, s12\n\t"
#define MDY_ASM_CLAMP4_LO \
    MDY_CLAMP_LO(0, 26) \
    MDY_CLAMP_LO(1, 26) \
    MDY_CLAMP_LO(2, 26) \
    MDY_CLAMP_LO(3, 26)
#define MDY_ASM_CLAMP4_HI \
    MDY_CLAMP_HI(0, 27) \
    MDY_CLAMP_HI(1, 27) \
    MDY_CLAMP_HI(2, 27) \
    MDY_CLAMP_HI(3, 27)
#define MDY_ASM_DW3_TAIL \
    "vstmia %[y]!, {s0-s3}\n\t" \
    "subs %[n], %[n], #1\n\t" \
    "bne 1b\n\t"

/* The 1- and 2-pixel row tails (after the row's whole blocks; x0..x2 stay at the
 * tail's first input, y advances past it), sums in s0 (s1), inputs from s4, with the
 * clamp text CL; summation order as the 4-pixel blocks. */
#define MDY_ASM_DW3_T1(CL) \
    "vmov.f32 s0, s25\n\t" \
    "vldmia %[x0], {s4-s6}\n\t" \
    "vldmia %[x1], {s7-s9}\n\t" \
    "vldmia %[x2], {s10-s12}\n\t" \
    MDY_FMA(0, 16, 4) MDY_FMA(0, 17, 5) MDY_FMA(0, 18, 6) \
    MDY_FMA(0, 19, 7) MDY_FMA(0, 20, 8) MDY_FMA(0, 21, 9) \
    MDY_FMA(0, 22, 10) MDY_FMA(0, 23, 11) MDY_FMA(0, 24, 12) \
    CL "vstmia %[y]!, {s0}\n\t"
#define MDY_ASM_DW3_T2_ROW_S1(X, W0, W1, W2) \
    "vldmia %[" #X "], {s4-s7}\n\t" \
    MDY_FMA(0, W0, 4) MDY_FMA(1, W0, 5) MDY_FMA(0, W1, 5) MDY_FMA(1, W1, 6) \
    MDY_FMA(0, W2, 6) MDY_FMA(1, W2, 7)
#define MDY_ASM_DW3_T2_ROW_S2(X, W0, W1, W2) \
    "vldmia %[" #X "], {s4-s8}\n\t" \
    MDY_FMA(0, W0, 4) MDY_FMA(1, W0, 6) MDY_FMA(0, W1, 5) MDY_FMA(1, W1, 7) \
    MDY_FMA(0, W2, 6) MDY_FMA(1, W2, 8)
#define MDY_ASM_DW3_T2(ROW, CL) \
    "vmov.f32 s0, s25\n\t" \
    "vmov.f32 s1, s25\n\t" \
    ROW(x0, 16, 17, 18) ROW(x1, 19, 20, 21) ROW(x2, 22, 23, 24) \
    CL "vstmia %[y]!, {s0-s1}\n\t"

/* Per output row: nb = k[6] >= 1 blocks, then the tail of `tail` (0, 1, 2) pixels. */
#define MDY_ASM_DW3(BODY, CLAMP, T1, T2)                                                    \
    __asm__ volatile("vldmia %[wt], {s16-s24}\n\t"                                         \
                     "vldr s25, [%[k]]\n\t"                                                \
                     "vldr s26, [%[k], #16]\n\t"                                           \
                     "vldr s27, [%[k], #20]\n\t"                                           \
                     "2:\n\t"                                                              \
                     "ldr %[n], [%[k], #24]\n\t" BODY CLAMP MDY_ASM_DW3_TAIL              \
                     "cmp %[t], #1\n\t"                                                    \
                     "blo 7f\n\t"                                                          \
                     "bne 6f\n\t" T1 "b 7f\n"                                              \
                     "6:\n\t" T2 "7:\n\t"                                                  \
                     "add %[x0], %[x0], %[skip]\n\t"                                       \
                     "add %[x1], %[x1], %[skip]\n\t"                                       \
                     "add %[x2], %[x2], %[skip]\n\t"                                       \
                     "sub %[y], %[y], %[yback]\n\t"                                       \
                     "subs %[r], %[r], #1\n\t"                                             \
                     "bne 2b\n\t"                                                          \
                     : [x0] "+r"(x0), [x1] "+r"(x1), [x2] "+r"(x2), [y] "+r"(y),          \
                       [n] "=&r"(n), [r] "+r"(rows)                                       \
                     : [wt] "r"(wt), [k] "r"(k), [skip] "r"(skip_bytes),                  \
                       [yback] "r"(yback_bytes), [t] "r"(tail)                             \
                     : MDY_ASM_CLOBBER_S0_15, MDY_ASM_CLOBBER_S16_31, "cc", "memory")

#define MDY_ASM_CL1_LO MDY_CLAMP_LO(0, 26)
#define MDY_ASM_CL1_BOTH MDY_CLAMP_LO(0, 26) MDY_CLAMP_HI(0, 27)
#define MDY_ASM_CL2_LO MDY_CLAMP_LO(0, 26) MDY_CLAMP_LO(1, 26)
#define MDY_ASM_CL2_BOTH MDY_ASM_CL2_LO MDY_CLAMP_HI(0, 27) MDY_CLAMP_HI(1, 27)

/*
 * The same rows with the integer ReLU (CLI = MDY_DW3_IRELU) or ReLU6 (MDY_DW3_IRELU6) of
 * mdy_fwd_asm_pw.h instead of the vcmp clamps: two sums at a time to core registers a, b
 * (one vmov), clamped there and stored by one strd -- 8 instead of 17 instructions per
 * two ReLU6 outputs. Three registers more than MDY_ASM_DW3, so the per-row values come
 * from k (as uint32 bits): k[7] = c (mdy_irelu6_c; kept in the weight pointer's register
 * once the weights are loaded), k[8] = tail, k[9] = skip_bytes, k[10] = yback_bytes.
 */
#define MDY_DW3_IRELU(r) "bic %[" #r "], %[" #r "], %[" #r "], asr #31\n\t"
#if defined(__ARM_FEATURE_DSP)
#define MDY_DW3_IRELU6(r)                                                                  \
    MDY_DW3_IRELU(r) "qadd %[" #r "], %[" #r "], %[wt]\n\tsub %[" #r "], %[" #r "], %[wt]\n\t"
#else
#define MDY_DW3_IRELU6(r)                                                                  \
    MDY_DW3_IRELU(r) "cmp %[" #r "], %[wt]\n\tit gt\n\tmovgt %[" #r "], %[wt]\n\t"
#endif
#define MDY_DW3_ISTORE2(CLI, s0, s1)                                                       \
    "vmov %[a], %[b], s" #s0 ", s" #s1 "\n\t" CLI(a) CLI(b) "strd %[a], %[b], [%[y]], #8\n\t"
#define MDY_ASM_DW3_T1_ACC                                                                 \
    "vmov.f32 s0, s25\n\t"                                                                 \
    "vldmia %[x0], {s4-s6}\n\t"                                                            \
    "vldmia %[x1], {s7-s9}\n\t"                                                            \
    "vldmia %[x2], {s10-s12}\n\t"                                                          \
    MDY_FMA(0, 16, 4) MDY_FMA(0, 17, 5) MDY_FMA(0, 18, 6)                                  \
    MDY_FMA(0, 19, 7) MDY_FMA(0, 20, 8) MDY_FMA(0, 21, 9)                                  \
    MDY_FMA(0, 22, 10) MDY_FMA(0, 23, 11) MDY_FMA(0, 24, 12)
#define MDY_ASM_DW3I(BODY, ROW, CLI)                                                       \
    __asm__ volatile("vldmia %[wt], {s16-s24}\n\t"                                         \
                     "vldr s25, [%[k]]\n\t"                                                \
                     "ldr %[wt], [%[k], #28]\n\t"                                          \
                     "2:\n\t"                                                              \
                     "ldr %[n], [%[k], #24]\n\t" BODY                                      \
                     MDY_DW3_ISTORE2(CLI, 0, 1) MDY_DW3_ISTORE2(CLI, 2, 3)                 \
                     "subs %[n], %[n], #1\n\t"                                             \
                     "bne 1b\n\t"                                                          \
                     "ldr %[a], [%[k], #32]\n\t"                                           \
                     "cmp %[a], #1\n\t"                                                    \
                     "blo 7f\n\t"                                                          \
                     "bne 6f\n\t" MDY_ASM_DW3_T1_ACC                                       \
                     "vmov %[a], s0\n\t" CLI(a) "str %[a], [%[y]], #4\n\t"                 \
                     "b 7f\n"                                                              \
                     "6:\n\t"                                                              \
                     "vmov.f32 s0, s25\n\t"                                                \
                     "vmov.f32 s1, s25\n\t"                                                \
                     ROW(x0, 16, 17, 18) ROW(x1, 19, 20, 21) ROW(x2, 22, 23, 24)           \
                     MDY_DW3_ISTORE2(CLI, 0, 1)                                            \
                     "7:\n\t"                                                              \
                     "ldrd %[a], %[b], [%[k], #36]\n\t"                                    \
                     "add %[x0], %[x0], %[a]\n\t"                                          \
                     "add %[x1], %[x1], %[a]\n\t"                                          \
                     "add %[x2], %[x2], %[a]\n\t"                                          \
                     "sub %[y], %[y], %[b]\n\t"                                            \
                     "subs %[r], %[r], #1\n\t"                                             \
                     "bne 2b\n\t"                                                          \
                     : [x0] "+r"(x0), [x1] "+r"(x1), [x2] "+r"(x2), [y] "+r"(y),          \
                       [n] "=&r"(n), [r] "+r"(rows), [wt] "+r"(wt), [a] "=&r"(ta),         \
                       [b] "=&r"(tb)                                                       \
                     : [k] "r"(k)                                                          \
                     : MDY_ASM_CLOBBER_S0_15, MDY_ASM_CLOBBER_S16_31, "cc", "memory")

/* rows >= 1 output rows as mdy_asm_dw3_rows, integer clamp RELU6 (0: ReLU), the row
 * values in k[7..10] (see MDY_ASM_DW3I). */
static inline __attribute__((always_inline)) void mdy_asm_dw3_rows_int(
    const float *x0, const float *x1, const float *x2, uint32_t rows, const float *wt,
    const float *k, float *y, int S, int RELU6)
{
    uint32_t n, ta, tb;
    if (S == 1) {
        if (RELU6) {
            MDY_ASM_DW3I(MDY_ASM_DW3_S1, MDY_ASM_DW3_T2_ROW_S1, MDY_DW3_IRELU6);
        } else {
            MDY_ASM_DW3I(MDY_ASM_DW3_S1, MDY_ASM_DW3_T2_ROW_S1, MDY_DW3_IRELU);
        }
    } else {
        if (RELU6) {
            MDY_ASM_DW3I(MDY_ASM_DW3_S2, MDY_ASM_DW3_T2_ROW_S2, MDY_DW3_IRELU6);
        } else {
            MDY_ASM_DW3I(MDY_ASM_DW3_S2, MDY_ASM_DW3_T2_ROW_S2, MDY_DW3_IRELU);
        }
    }
    (void)n;
    (void)ta;
    (void)tb;
}

/* rows >= 1 output rows of nb = k[6] (as uint32) >= 1 blocks and a tail of `tail` (0, 1
 * or 2) pixels each; skip_bytes: from the end of one row's last block to the next
 * row's first (S strip rows down); yback_bytes: 4 (4 nb - out_w) with no tail, how far
 * the last block ran past the output row (into the next row, which the next pass
 * overwrites), 0 with a tail. */
static inline __attribute__((always_inline)) float *mdy_asm_dw3_rows(
    const float *x0, const float *x1, const float *x2, uint32_t rows, uint32_t skip_bytes,
    uint32_t yback_bytes, uint32_t tail, const float *wt, const float *k, float *y,
    const int S, const int ACT)
{
    uint32_t n;
    if (S == 1) {
        if (ACT == 0) {
            MDY_ASM_DW3(MDY_ASM_DW3_S1, "", MDY_ASM_DW3_T1(""),
                        MDY_ASM_DW3_T2(MDY_ASM_DW3_T2_ROW_S1, ""));
        } else if (ACT == 1) {
            MDY_ASM_DW3(MDY_ASM_DW3_S1, MDY_ASM_CLAMP4_LO, MDY_ASM_DW3_T1(MDY_ASM_CL1_LO),
                        MDY_ASM_DW3_T2(MDY_ASM_DW3_T2_ROW_S1, MDY_ASM_CL2_LO));
        } else {
            MDY_ASM_DW3(MDY_ASM_DW3_S1, MDY_ASM_CLAMP4_LO MDY_ASM_CLAMP4_HI,
                        MDY_ASM_DW3_T1(MDY_ASM_CL1_BOTH),
                        MDY_ASM_DW3_T2(MDY_ASM_DW3_T2_ROW_S1, MDY_ASM_CL2_BOTH));
        }
    } else {
        if (ACT == 0) {
            MDY_ASM_DW3(MDY_ASM_DW3_S2, "", MDY_ASM_DW3_T1(""),
                        MDY_ASM_DW3_T2(MDY_ASM_DW3_T2_ROW_S2, ""));
        } else if (ACT == 1) {
            MDY_ASM_DW3(MDY_ASM_DW3_S2, MDY_ASM_CLAMP4_LO, MDY_ASM_DW3_T1(MDY_ASM_CL1_LO),
                        MDY_ASM_DW3_T2(MDY_ASM_DW3_T2_ROW_S2, MDY_ASM_CL2_LO));
        } else {
            MDY_ASM_DW3(MDY_ASM_DW3_S2, MDY_ASM_CLAMP4_LO MDY_ASM_CLAMP4_HI,
                        MDY_ASM_DW3_T1(MDY_ASM_CL1_BOTH),
                        MDY_ASM_DW3_T2(MDY_ASM_DW3_T2_ROW_S2, MDY_ASM_CL2_BOTH));
        }
    }
    (void)n;
    return y;
}

/*
 * Depthwise 5x5 / 7x7 (strip path), stride S = 1 or 2, clamp [lo, hi]: rows of n >= 1
 * blocks of 4 output pixels (n = k[6] as uint32). x: strip row of the window's first tap
 * at the first block, pw_bytes: strip row stride, w: the channel's K*K weights, k: 4 x
 * bias, lo, hi, n. Per window row: one vldm of (4 - 1) * S + K inputs, one vldm of the K weights,
 * 4K VFMA (7x7: 7 * 30 instructions for 196 MACs). y advances past the row's blocks.
 * Registers: s0-s3 sums, s4.. inputs, then the row's weights, s30 lo, s31 hi.
 */
/* The parts every unrolled KxK block shares: sums start at the bias (4 copies at k), t
 * walks the strip rows; at the end w and x step back/forward by their byte counts, the 4
 * sums are clamped to [s30, s31] and stored, and the loop runs n blocks. */
#define MDY_ASM_DW_BLOCK_START \
    "1:\n\t" \
    "vldmia %[k], {s0-s3}\n\t" \
    "mov %[t], %[x]\n\t"
#define MDY_ASM_DW_NEXT_ROW "add %[t], %[t], %[pw]\n\t"
#define MDY_ASM_DW_BLOCK_END(W_BYTES, X_BYTES) \
    "sub %[w], %[w], #" #W_BYTES "\n\t" \
    "add %[x], %[x], #" #X_BYTES "\n\t" \
    MDY_CLAMP_LO(0, 30) \
    MDY_CLAMP_HI(0, 31) \
    MDY_CLAMP_LO(1, 30) \
    MDY_CLAMP_HI(1, 31) \
    MDY_CLAMP_LO(2, 30) \
    MDY_CLAMP_HI(2, 31) \
    MDY_CLAMP_LO(3, 30) \
    MDY_CLAMP_HI(3, 31) \
    "vstmia %[y]!, {s0-s3}\n\t" \
    "subs %[n], %[n], #1\n\t" \
    "bne 1b\n\t"
#define MDY_ASM_DW5_S1_ROW(NEXT) \
    "vldmia %[t], {s4-s11}\n\t" NEXT "vldmia %[w]!, {s12-s16}\n\t" \
    MDY_FMA4(0, 1, 2, 3, 12, 4, 5, 6, 7) \
    MDY_FMA4(0, 1, 2, 3, 13, 5, 6, 7, 8) \
    MDY_FMA4(0, 1, 2, 3, 14, 6, 7, 8, 9) \
    MDY_FMA4(0, 1, 2, 3, 15, 7, 8, 9, 10) \
    MDY_FMA4(0, 1, 2, 3, 16, 8, 9, 10, 11)
#define MDY_ASM_DW5_S1 \
    MDY_ASM_DW_BLOCK_START \
    MDY_ASM_DW5_S1_ROW(MDY_ASM_DW_NEXT_ROW) \
    MDY_ASM_DW5_S1_ROW(MDY_ASM_DW_NEXT_ROW) \
    MDY_ASM_DW5_S1_ROW(MDY_ASM_DW_NEXT_ROW) \
    MDY_ASM_DW5_S1_ROW(MDY_ASM_DW_NEXT_ROW) \
    MDY_ASM_DW5_S1_ROW() \
    MDY_ASM_DW_BLOCK_END(100, 16)
#define MDY_ASM_DW5_S2_ROW(NEXT) \
    "vldmia %[t], {s4-s14}\n\t" NEXT "vldmia %[w]!, {s15-s19}\n\t" \
    MDY_FMA4(0, 1, 2, 3, 15, 4, 6, 8, 10) \
    MDY_FMA4(0, 1, 2, 3, 16, 5, 7, 9, 11) \
    MDY_FMA4(0, 1, 2, 3, 17, 6, 8, 10, 12) \
    MDY_FMA4(0, 1, 2, 3, 18, 7, 9, 11, 13) \
    MDY_FMA4(0, 1, 2, 3, 19, 8, 10, 12, 14)
#define MDY_ASM_DW5_S2 \
    MDY_ASM_DW_BLOCK_START \
    MDY_ASM_DW5_S2_ROW(MDY_ASM_DW_NEXT_ROW) \
    MDY_ASM_DW5_S2_ROW(MDY_ASM_DW_NEXT_ROW) \
    MDY_ASM_DW5_S2_ROW(MDY_ASM_DW_NEXT_ROW) \
    MDY_ASM_DW5_S2_ROW(MDY_ASM_DW_NEXT_ROW) \
    MDY_ASM_DW5_S2_ROW() \
    MDY_ASM_DW_BLOCK_END(100, 32)
#define MDY_ASM_DW7_S1_ROW(NEXT) \
    "vldmia %[t], {s4-s13}\n\t" NEXT "vldmia %[w]!, {s14-s20}\n\t" \
    MDY_FMA4(0, 1, 2, 3, 14, 4, 5, 6, 7) \
    MDY_FMA4(0, 1, 2, 3, 15, 5, 6, 7, 8) \
    MDY_FMA4(0, 1, 2, 3, 16, 6, 7, 8, 9) \
    MDY_FMA4(0, 1, 2, 3, 17, 7, 8, 9, 10) \
    MDY_FMA4(0, 1, 2, 3, 18, 8, 9, 10, 11) \
    MDY_FMA4(0, 1, 2, 3, 19, 9, 10, 11, 12) \
    MDY_FMA4(0, 1, 2, 3, 20, 10, 11, 12, 13)
#define MDY_ASM_DW7_S1 \
    MDY_ASM_DW_BLOCK_START \
    MDY_ASM_DW7_S1_ROW(MDY_ASM_DW_NEXT_ROW) \
    MDY_ASM_DW7_S1_ROW(MDY_ASM_DW_NEXT_ROW) \
    MDY_ASM_DW7_S1_ROW(MDY_ASM_DW_NEXT_ROW) \
    MDY_ASM_DW7_S1_ROW(MDY_ASM_DW_NEXT_ROW) \
    MDY_ASM_DW7_S1_ROW(MDY_ASM_DW_NEXT_ROW) \
    MDY_ASM_DW7_S1_ROW(MDY_ASM_DW_NEXT_ROW) \
    MDY_ASM_DW7_S1_ROW() \
    MDY_ASM_DW_BLOCK_END(196, 16)
#define MDY_ASM_DW7_S2_ROW(NEXT) \
    "vldmia %[t], {s4-s16}\n\t" NEXT "vldmia %[w]!, {s17-s23}\n\t" \
    MDY_FMA4(0, 1, 2, 3, 17, 4, 6, 8, 10) \
    MDY_FMA4(0, 1, 2, 3, 18, 5, 7, 9, 11) \
    MDY_FMA4(0, 1, 2, 3, 19, 6, 8, 10, 12) \
    MDY_FMA4(0, 1, 2, 3, 20, 7, 9, 11, 13) \
    MDY_FMA4(0, 1, 2, 3, 21, 8, 10, 12, 14) \
    MDY_FMA4(0, 1, 2, 3, 22, 9, 11, 13, 15) \
    MDY_FMA4(0, 1, 2, 3, 23, 10, 12, 14, 16)
#define MDY_ASM_DW7_S2 \
    MDY_ASM_DW_BLOCK_START \
    MDY_ASM_DW7_S2_ROW(MDY_ASM_DW_NEXT_ROW) \
    MDY_ASM_DW7_S2_ROW(MDY_ASM_DW_NEXT_ROW) \
    MDY_ASM_DW7_S2_ROW(MDY_ASM_DW_NEXT_ROW) \
    MDY_ASM_DW7_S2_ROW(MDY_ASM_DW_NEXT_ROW) \
    MDY_ASM_DW7_S2_ROW(MDY_ASM_DW_NEXT_ROW) \
    MDY_ASM_DW7_S2_ROW(MDY_ASM_DW_NEXT_ROW) \
    MDY_ASM_DW7_S2_ROW() \
    MDY_ASM_DW_BLOCK_END(196, 32)

/* rows >= 1 output rows of nb = k[6] (as uint32) >= 1 blocks: skip_bytes from the end
 * of a row's last block to the next row's first, yback_bytes (modulo 2^32) from the end
 * of a row's last block back to the next output row's start. */
#define MDY_ASM_DWK(BODY)                                                                   \
    __asm__ volatile("vldr s30, [%[k], #16]\n\t"                                         \
                     "vldr s31, [%[k], #20]\n\t"                                           \
                     "2:\n\t"                                                              \
                     "ldr %[n], [%[k], #24]\n\t" BODY                                      \
                     "add %[x], %[x], %[skip]\n\t"                                         \
                     "sub %[y], %[y], %[yback]\n\t"                                       \
                     "subs %[r], %[r], #1\n\t"                                             \
                     "bne 2b\n\t"                                                          \
                     : [x] "+r"(x), [w] "+r"(w), [y] "+r"(y), [n] "=&r"(n), [t] "=&r"(t),  \
                       [r] "+r"(rows)                                                      \
                     : [k] "r"(k), [pw] "r"(pw_bytes), [skip] "r"(skip_bytes),            \
                       [yback] "r"(yback_bytes)                                            \
                     : MDY_ASM_CLOBBER_S0_15, MDY_ASM_CLOBBER_S16_31, "cc", "memory")

static inline __attribute__((always_inline)) void mdy_asm_dwk_rows(
    const float *x, uint32_t pw_bytes, uint32_t rows, uint32_t skip_bytes,
    uint32_t yback_bytes, const float *w, const float *k, float *y, const int K, const int S)
{
    const float *t;
    uint32_t n;
    if (K == 5) {
        if (S == 1) {
            MDY_ASM_DWK(MDY_ASM_DW5_S1);
        } else {
            MDY_ASM_DWK(MDY_ASM_DW5_S2);
        }
    } else {
        if (S == 1) {
            MDY_ASM_DWK(MDY_ASM_DW7_S1);
        } else {
            MDY_ASM_DWK(MDY_ASM_DW7_S2);
        }
    }
    (void)t;
    (void)n;
}

#endif /* MDY_HAVE_FWD_ASM */

#endif /* MEDYATE_FWD_ASM_DW_H */
