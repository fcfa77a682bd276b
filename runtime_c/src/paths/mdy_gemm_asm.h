/*
 * Inner loops of the Gemm kernels for row counts the 4-row blocks of mdy_fwd_asm.h do
 * not cover, in Thumb-2 + FPv4/FPv5 inline assembly (Cortex-M4F / M7 / M33): heads with
 * 1, 2 or 3 outputs, the 1-3 rows left over after blocks of 4, and the input and weight
 * gradients. Why: GCC loads every float with its own vldr, so a 2-output head ran at 4.3
 * (forward) to 8.3 (input gradient) instructions per MAC; one vldm of 8 floats per
 * operand brings each below 2. Other targets use the C loops of the callers.
 * Registers: s0-s15 accumulators / kept operands, s16-s31 streamed operands.
 */
#ifndef MEDYATE_GEMM_ASM_H
#define MEDYATE_GEMM_ASM_H

#include <stdint.h>

#include "mdy_fwd_asm_pw.h"

#ifdef MDY_HAVE_FWD_ASM

/* Eight VFMAs of the 8 floats in s16-s23 into s8-s15 with the scalar s<g>. */
#define MDY_GEMM_FMA8_ROW(g)                                                               \
    MDY_FMA(8, 16, g) MDY_FMA(9, 17, g) MDY_FMA(10, 18, g) MDY_FMA(11, 19, g)              \
        MDY_FMA(12, 20, g) MDY_FMA(13, 21, g) MDY_FMA(14, 22, g) MDY_FMA(15, 23, g)

/*
 * out[a] = clamp(b[a] + sum_{i < 8 n8 + rem} w_a[i] * x[i]) for a < ROWS (1, 2 or 4
 * rows w_a, in r0-r3); n8 >= 0, rem = t->rem < 8; b: ROWS initial sums (the bias, or zeros).
 * Per 8 inputs: one vldm of x, one per row, 8 VFMA per row (even / odd inputs in two
 * partial sums, added at the end); the rem last inputs as a block of 4, of 2 and of 1
 * (one vldm of x and one per row each; lsls #30 puts rem bit 2 in C, bit 1 in N, and
 * nothing until the 2-block touches the flags; lsls #2 then puts bit 0 in C). Then the clamp and the stores in the same block
 * (a C tail after the block made GCC spill its pointers around the asm): the integer
 * ReLU / ReLU6 of mdy_fwd_asm_pw.h on core registers r0-r3, or the vcmp clamps.
 * t: the per-call template (zeros for the odd partial sums, the clamp constants).
 */
typedef struct {
    float zero[4];
    uint32_t c; /* MDY_PW_RELU6: mdy_irelu6_c(bits(hi)) */
    float lo, hi;
    uint32_t rem; /* in_f % 8 */
} mdy_gemv_tmpl_t;

#define MDY_GEMV_ROW8(a, odd, r)                                                           \
    "vldmia r" #r "!, {s24-s31}\n\t" MDY_FMA(a, 16, 24) MDY_FMA(odd, 17, 25)               \
        MDY_FMA(a, 18, 26) MDY_FMA(odd, 19, 27) MDY_FMA(a, 20, 28) MDY_FMA(odd, 21, 29)    \
            MDY_FMA(a, 22, 30) MDY_FMA(odd, 23, 31)
#define MDY_GEMV_ROW4(a, r)                                                                \
    "vldmia r" #r "!, {s24-s27}\n\t" MDY_FMA(a, 16, 24) MDY_FMA(a, 17, 25)                 \
        MDY_FMA(a, 18, 26) MDY_FMA(a, 19, 27)
#define MDY_GEMV_ROW2(a, r)                                                                \
    "vldmia r" #r "!, {s24-s25}\n\t" MDY_FMA(a, 16, 24) MDY_FMA(a, 17, 25)
#define MDY_GEMV_ROW1(a, r) "vldmia r" #r "!, {s24}\n\t" MDY_FMA(a, 16, 24)
#define MDY_GEMV_ASM(LOAD, BODY8, ADDS, T4, T2, T1, EPILOGUE)                              \
    __asm__ volatile(LOAD                                                                  \
                     "vldmia %[t], {s4-s7}\n\t"                                            \
                     "cmp %[n], #0\n\t"                                                    \
                     "beq 2f\n\t"                                                          \
                     "1:\n\t"                                                              \
                     "vldmia %[x]!, {s16-s23}\n\t" BODY8                                   \
                     "subs %[n], %[n], #1\n\t"                                             \
                     "bne 1b\n\t"                                                          \
                     "2:\n\t" ADDS                                                         \
                     "ldr %[n], [%[t], #28]\n\t"                                           \
                     "lsls %[n], %[n], #30\n\t"                                            \
                     "bcc 5f\n\t"                                                          \
                     "vldmia %[x]!, {s16-s19}\n\t" T4                                      \
                     "5:\n\t"                                                              \
                     "bpl 6f\n\t"                                                          \
                     "vldmia %[x]!, {s16-s17}\n\t" T2                                      \
                     "6:\n\t"                                                              \
                     "lsls %[n], %[n], #2\n\t"                                             \
                     "bcc 4f\n\t"                                                          \
                     "vldmia %[x]!, {s16}\n\t" T1                                          \
                     "4:\n\t" EPILOGUE                                                     \
                     : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3), [x] "+r"(x), [n] "+r"(n8)   \
                     : [b] "r"(b), [t] "r"(t), [y] "r"(y)                                  \
                     : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s16", "s17", "s18", \
                       "s19", "s20", "s21", "s22", "s23", "s24", "s25", "s26", "s27",      \
                       "s28", "s29", "s30", "s31", "cc", "memory")

static inline __attribute__((always_inline)) void mdy_asm_gemv_store(
    const float *w0, const float *w1, const float *w2, const float *w3, const float *x,
    uint32_t n8, const float *b, const mdy_gemv_tmpl_t *t, float *y, const int ROWS,
    const int KIND)
{
    register const float *r0 __asm__("r0") = w0;
    register const float *r1 __asm__("r1") = w1;
    register const float *r2 __asm__("r2") = w2;
    register const float *r3 __asm__("r3") = w3;
#define MDY_GEMV4(EPI)                                                                     \
    MDY_GEMV_ASM("vldmia %[b], {s0-s3}\n\t",                                               \
                 MDY_GEMV_ROW8(0, 4, 0) MDY_GEMV_ROW8(1, 5, 1) MDY_GEMV_ROW8(2, 6, 2)      \
                     MDY_GEMV_ROW8(3, 7, 3),                                               \
                 "vadd.f32 s0, s0, s4\n\tvadd.f32 s1, s1, s5\n\t"                          \
                 "vadd.f32 s2, s2, s6\n\tvadd.f32 s3, s3, s7\n\t",                         \
                 MDY_GEMV_ROW4(0, 0) MDY_GEMV_ROW4(1, 1) MDY_GEMV_ROW4(2, 2)               \
                     MDY_GEMV_ROW4(3, 3),                                                  \
                 MDY_GEMV_ROW2(0, 0) MDY_GEMV_ROW2(1, 1) MDY_GEMV_ROW2(2, 2)               \
                     MDY_GEMV_ROW2(3, 3),                                                  \
                 MDY_GEMV_ROW1(0, 0) MDY_GEMV_ROW1(1, 1) MDY_GEMV_ROW1(2, 2)               \
                     MDY_GEMV_ROW1(3, 3),                                                  \
                 EPI)
#define MDY_GEMV2(EPI)                                                                     \
    MDY_GEMV_ASM("vldmia %[b], {s0-s1}\n\t", MDY_GEMV_ROW8(0, 4, 0) MDY_GEMV_ROW8(1, 5, 1), \
                 "vadd.f32 s0, s0, s4\n\tvadd.f32 s1, s1, s5\n\t",                         \
                 MDY_GEMV_ROW4(0, 0) MDY_GEMV_ROW4(1, 1),                                  \
                 MDY_GEMV_ROW2(0, 0) MDY_GEMV_ROW2(1, 1),                                  \
                 MDY_GEMV_ROW1(0, 0) MDY_GEMV_ROW1(1, 1), EPI)
#define MDY_GEMV1(EPI)                                                                     \
    MDY_GEMV_ASM("vldr s0, [%[b]]\n\t", MDY_GEMV_ROW8(0, 4, 0), "vadd.f32 s0, s0, s4\n\t",  \
                 MDY_GEMV_ROW4(0, 0), MDY_GEMV_ROW2(0, 0), MDY_GEMV_ROW1(0, 0), EPI)
#define MDY_GEMV_RELU2 "bic r0, r0, r0, asr #31\n\tbic r1, r1, r1, asr #31\n\t"
#define MDY_GEMV_FPLO(LO) "vldr s16, [%[t], #20]\n\t" LO
#define MDY_GEMV_FPCL(LO, HI) MDY_GEMV_FPLO(LO) "vldr s17, [%[t], #24]\n\t" HI
    if (ROWS == 4) {
        if (KIND == MDY_PW_NONE) {
            MDY_GEMV4("vstmia %[y], {s0-s3}\n\t");
        } else if (KIND == MDY_PW_RELU) {
            MDY_GEMV4("vmov r0, r1, s0, s1\n\tvmov r2, r3, s2, s3\n\t" MDY_IRELU4
                      "stmia %[y], {r0-r3}\n\t");
        } else if (KIND == MDY_PW_RELU6) {
            MDY_GEMV4("vmov r0, r1, s0, s1\n\tvmov r2, r3, s2, s3\n\t"
                      "ldr %[x], [%[t], #16]\n\t" MDY_IRELU4 MDY_IMIN4
                      "stmia %[y], {r0-r3}\n\t");
        } else if (KIND == MDY_PW_LO) {
            MDY_GEMV4(MDY_GEMV_FPLO(MDY_CLAMP_LO(0, 16) MDY_CLAMP_LO(1, 16) MDY_CLAMP_LO(2, 16)
                                        MDY_CLAMP_LO(3, 16))
                      "vstmia %[y], {s0-s3}\n\t");
        } else {
            MDY_GEMV4(MDY_GEMV_FPCL(MDY_CLAMP_LO(0, 16) MDY_CLAMP_LO(1, 16) MDY_CLAMP_LO(2, 16)
                                        MDY_CLAMP_LO(3, 16),
                                    MDY_CLAMP_HI(0, 17) MDY_CLAMP_HI(1, 17) MDY_CLAMP_HI(2, 17)
                                        MDY_CLAMP_HI(3, 17))
                      "vstmia %[y], {s0-s3}\n\t");
        }
    } else if (ROWS == 2) {
        if (KIND == MDY_PW_NONE) {
            MDY_GEMV2("vstmia %[y], {s0-s1}\n\t");
        } else if (KIND == MDY_PW_RELU) {
            MDY_GEMV2("vmov r0, r1, s0, s1\n\t" MDY_GEMV_RELU2 "stmia %[y], {r0-r1}\n\t");
        } else if (KIND == MDY_PW_RELU6) {
            MDY_GEMV2("vmov r0, r1, s0, s1\n\tldr %[x], [%[t], #16]\n\t" MDY_GEMV_RELU2
                      MDY_IMIN1("r0") MDY_IMIN1("r1") "stmia %[y], {r0-r1}\n\t");
        } else if (KIND == MDY_PW_LO) {
            MDY_GEMV2(MDY_GEMV_FPLO(MDY_CLAMP_LO(0, 16) MDY_CLAMP_LO(1, 16))
                      "vstmia %[y], {s0-s1}\n\t");
        } else {
            MDY_GEMV2(MDY_GEMV_FPCL(MDY_CLAMP_LO(0, 16) MDY_CLAMP_LO(1, 16),
                                    MDY_CLAMP_HI(0, 17) MDY_CLAMP_HI(1, 17))
                      "vstmia %[y], {s0-s1}\n\t");
        }
    } else {
        if (KIND == MDY_PW_NONE) {
            MDY_GEMV1("vstr s0, [%[y]]\n\t");
        } else if (KIND == MDY_PW_RELU) {
            MDY_GEMV1("vmov r0, s0\n\tbic r0, r0, r0, asr #31\n\tstr r0, [%[y]]\n\t");
        } else if (KIND == MDY_PW_RELU6) {
            MDY_GEMV1("vmov r0, s0\n\tldr %[x], [%[t], #16]\n\tbic r0, r0, r0, asr #31\n\t"
                      MDY_IMIN1("r0") "str r0, [%[y]]\n\t");
        } else if (KIND == MDY_PW_LO) {
            MDY_GEMV1(MDY_GEMV_FPLO(MDY_CLAMP_LO(0, 16)) "vstr s0, [%[y]]\n\t");
        } else {
            MDY_GEMV1(MDY_GEMV_FPCL(MDY_CLAMP_LO(0, 16), MDY_CLAMP_HI(0, 17))
                      "vstr s0, [%[y]]\n\t");
        }
    }
#undef MDY_GEMV4
#undef MDY_GEMV2
#undef MDY_GEMV1
#undef MDY_GEMV_RELU2
#undef MDY_GEMV_FPLO
#undef MDY_GEMV_FPCL
}

/*
 * Input gradient, 8 inputs per iteration over n8 >= 1 iterations:
 *   din[i] = (FIRST ? 0 : din[i]) + sum_{a < ROWS} w_a[i] * g[a],  ROWS in 1..4,
 * rows w_a = w + a * row_bytes / 4. g holds exactly ROWS floats (no read past it).
 * Per iteration: ROWS + 1 (+1 unless FIRST) vldm, 8 ROWS VFMA (a vmul for the first
 * row when FIRST), one vstm.
 */
#define MDY_GEMM_IG_ROW(a, g)                                                              \
    "vldmia %[w" #a "]!, {s16-s23}\n\t" MDY_GEMM_FMA8_ROW(g)
#define MDY_GEMM_IG_FIRST_ROW                                                              \
    "vldmia %[w0]!, {s16-s23}\n\t"                                                         \
    "vmul.f32 s8, s16, s0\n\tvmul.f32 s9, s17, s0\n\tvmul.f32 s10, s18, s0\n\t"            \
    "vmul.f32 s11, s19, s0\n\tvmul.f32 s12, s20, s0\n\tvmul.f32 s13, s21, s0\n\t"          \
    "vmul.f32 s14, s22, s0\n\tvmul.f32 s15, s23, s0\n\t"
#define MDY_GEMM_IG_LOOP(LOAD_G, START, ROWS_REST)                                         \
    __asm__ volatile(LOAD_G "1:\n\t" START ROWS_REST                                       \
                     "vstmia %[d]!, {s8-s15}\n\t"                                          \
                     "subs %[n], %[n], #1\n\t"                                             \
                     "bne 1b\n\t"                                                          \
                     : [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3),         \
                       [d] "+r"(din), [n] "+r"(n8)                                         \
                     : [g] "r"(g)                                                          \
                     : "s0", "s1", "s2", "s3", "s8", "s9", "s10", "s11", "s12", "s13",     \
                       "s14", "s15", "s16", "s17", "s18", "s19", "s20", "s21", "s22",      \
                       "s23", "cc", "memory")
#define MDY_GEMM_IG_ACC "vldmia %[d], {s8-s15}\n\t" MDY_GEMM_IG_ROW(0, 0)

static inline __attribute__((always_inline)) void mdy_asm_gemm_igrad_x8(
    const float *w, uint32_t row_floats, const float *g, float *din, uint32_t n8,
    const int ROWS, const int FIRST)
{
    const float *w0 = w, *w1 = w + row_floats, *w2 = w1 + row_floats, *w3 = w2 + row_floats;
    if (ROWS == 1) {
        if (FIRST) {
            MDY_GEMM_IG_LOOP("vldr s0, [%[g]]\n\t", MDY_GEMM_IG_FIRST_ROW, "");
        } else {
            MDY_GEMM_IG_LOOP("vldr s0, [%[g]]\n\t", MDY_GEMM_IG_ACC, "");
        }
    } else if (ROWS == 2) {
        if (FIRST) {
            MDY_GEMM_IG_LOOP("vldmia %[g], {s0-s1}\n\t", MDY_GEMM_IG_FIRST_ROW,
                             MDY_GEMM_IG_ROW(1, 1));
        } else {
            MDY_GEMM_IG_LOOP("vldmia %[g], {s0-s1}\n\t", MDY_GEMM_IG_ACC, MDY_GEMM_IG_ROW(1, 1));
        }
    } else if (ROWS == 3) {
        if (FIRST) {
            MDY_GEMM_IG_LOOP("vldmia %[g], {s0-s2}\n\t", MDY_GEMM_IG_FIRST_ROW,
                             MDY_GEMM_IG_ROW(1, 1) MDY_GEMM_IG_ROW(2, 2));
        } else {
            MDY_GEMM_IG_LOOP("vldmia %[g], {s0-s2}\n\t", MDY_GEMM_IG_ACC,
                             MDY_GEMM_IG_ROW(1, 1) MDY_GEMM_IG_ROW(2, 2));
        }
    } else {
        if (FIRST) {
            MDY_GEMM_IG_LOOP("vldmia %[g], {s0-s3}\n\t", MDY_GEMM_IG_FIRST_ROW,
                             MDY_GEMM_IG_ROW(1, 1) MDY_GEMM_IG_ROW(2, 2) MDY_GEMM_IG_ROW(3, 3));
        } else {
            MDY_GEMM_IG_LOOP("vldmia %[g], {s0-s3}\n\t", MDY_GEMM_IG_ACC,
                             MDY_GEMM_IG_ROW(1, 1) MDY_GEMM_IG_ROW(2, 2) MDY_GEMM_IG_ROW(3, 3));
        }
    }
}

/*
 * Weight gradient, blocks of 8 or 4 consecutive outputs of every slice:
 *   dw[j * out_f + b] += x[j] * g[b] for j < n (n >= 1), b < 8 (or 4),
 * g kept in s0-s7, one slice per iteration: a vldr of x, one vldm and one vstm of the
 * block, 8 (4) VFMA.
 */
static inline __attribute__((always_inline)) void mdy_asm_gemm_wgrad_cols8(
    const float *x, uint32_t n, const float *g, float *dw, uint32_t row_bytes)
{
    __asm__ volatile(
        "vldmia %[g], {s0-s7}\n\t"
        "1:\n\t"
        "vldmia %[x]!, {s8}\n\t"
        "vldmia %[dw], {s16-s23}\n\t"
        MDY_FMA(16, 8, 0) MDY_FMA(17, 8, 1) MDY_FMA(18, 8, 2) MDY_FMA(19, 8, 3)
        MDY_FMA(20, 8, 4) MDY_FMA(21, 8, 5) MDY_FMA(22, 8, 6) MDY_FMA(23, 8, 7)
        "vstmia %[dw], {s16-s23}\n\t"
        "add %[dw], %[dw], %[stride]\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 1b\n\t"
        : [x] "+r"(x), [dw] "+r"(dw), [n] "+r"(n)
        : [g] "r"(g), [stride] "r"(row_bytes)
        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s16", "s17", "s18", "s19",
          "s20", "s21", "s22", "s23", "cc", "memory");
}

/* The same for 4 outputs, two slices per iteration (n2 >= 1 pairs). */
static inline __attribute__((always_inline)) void mdy_asm_gemm_wgrad_cols4x2(
    const float *x, uint32_t n2, const float *g, float *dw, uint32_t row_bytes)
{
    float *dw2;
    __asm__ volatile(
        "vldmia %[g], {s0-s3}\n\t"
        "1:\n\t"
        "vldmia %[x]!, {s8-s9}\n\t"
        "vldmia %[dw], {s16-s19}\n\t"
        "add %[dw2], %[dw], %[stride]\n\t"
        "vldmia %[dw2], {s20-s23}\n\t"
        MDY_FMA(16, 8, 0) MDY_FMA(17, 8, 1) MDY_FMA(18, 8, 2) MDY_FMA(19, 8, 3)
        MDY_FMA(20, 9, 0) MDY_FMA(21, 9, 1) MDY_FMA(22, 9, 2) MDY_FMA(23, 9, 3)
        "vstmia %[dw], {s16-s19}\n\t"
        "vstmia %[dw2], {s20-s23}\n\t"
        "add %[dw], %[dw2], %[stride]\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 1b\n\t"
        : [x] "+r"(x), [dw] "+r"(dw), [n] "+r"(n2), [dw2] "=&r"(dw2)
        : [g] "r"(g), [stride] "r"(row_bytes)
        : "s0", "s1", "s2", "s3", "s8", "s9", "s16", "s17", "s18", "s19", "s20", "s21",
          "s22", "s23", "cc", "memory");
}

/*
 * Weight gradient of a whole head with out_f = 1, 2 or 3 outputs: dw [n][out_f] is
 * contiguous, so a block of slices is one run of floats. dw[j * out_f + b] += x[j] * g[b]
 * for j < 8 n8 (out_f 1) or j < 4 n8 (out_f 2, 3); n8 >= 1. Per iteration: a vldm of x,
 * a vldm and a vstm of 8 (12) floats, 8 (12) VFMA.
 */
#define MDY_GEMM_WG_FLAT(LOAD_X, DW_REGS, FMAS)                                            \
    __asm__ volatile("vldmia %[g], {s0-s2}\n\t"                                            \
                     "1:\n\t" LOAD_X "vldmia %[dw], {" DW_REGS "}\n\t" FMAS              \
                     "vstmia %[dw]!, {" DW_REGS "}\n\t"                                   \
                     "subs %[n], %[n], #1\n\t"                                            \
                     "bne 1b\n\t"                                                         \
                     : [x] "+r"(x), [dw] "+r"(dw), [n] "+r"(n8)                             \
                     : [g] "r"(g3)                                                          \
                     : "s0", "s1", "s2", "s8", "s9", "s10", "s11", "s12", "s13", "s14",     \
                       "s15", "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23",       \
                       "s24", "s25", "s26", "s27", "cc", "memory")

static inline __attribute__((always_inline)) void mdy_asm_gemm_wgrad_flat(
    const float *x, uint32_t n8, const float *g, uint32_t out_f, float *dw)
{
    /* g is copied to 3 floats so the vldm never reads past the caller's dout */
    const float g3[3] = {g[0], out_f > 1u ? g[1] : 0.0f, out_f > 2u ? g[2] : 0.0f};
    if (out_f == 1u) {
        MDY_GEMM_WG_FLAT("vldmia %[x]!, {s8-s15}\n\t", "s16-s23",
                         MDY_FMA(16, 8, 0) MDY_FMA(17, 9, 0) MDY_FMA(18, 10, 0)
                         MDY_FMA(19, 11, 0) MDY_FMA(20, 12, 0) MDY_FMA(21, 13, 0)
                         MDY_FMA(22, 14, 0) MDY_FMA(23, 15, 0));
    } else if (out_f == 2u) {
        MDY_GEMM_WG_FLAT("vldmia %[x]!, {s8-s11}\n\t", "s16-s23",
                         MDY_FMA(16, 8, 0) MDY_FMA(17, 8, 1) MDY_FMA(18, 9, 0)
                         MDY_FMA(19, 9, 1) MDY_FMA(20, 10, 0) MDY_FMA(21, 10, 1)
                         MDY_FMA(22, 11, 0) MDY_FMA(23, 11, 1));
    } else {
        MDY_GEMM_WG_FLAT("vldmia %[x]!, {s8-s11}\n\t", "s16-s27",
                         MDY_FMA(16, 8, 0) MDY_FMA(17, 8, 1) MDY_FMA(18, 8, 2)
                         MDY_FMA(19, 9, 0) MDY_FMA(20, 9, 1) MDY_FMA(21, 9, 2)
                         MDY_FMA(22, 10, 0) MDY_FMA(23, 10, 1) MDY_FMA(24, 10, 2)
                         MDY_FMA(25, 11, 0) MDY_FMA(26, 11, 1) MDY_FMA(27, 11, 2));
    }
}

#endif /* MDY_HAVE_FWD_ASM */

#endif /* MEDYATE_GEMM_ASM_H */
