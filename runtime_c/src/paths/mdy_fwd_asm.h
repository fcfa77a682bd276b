/*
 * Inner loops of the forward GEMM-like kernels in Thumb-2 + FPv4/FPv5 single-precision
 * inline assembly (Cortex-M4F / M7 / M33 with 32 single registers).
 *
 * Why assembly: GCC never turns consecutive float loads into one `vldm`, and with 16
 * accumulators it runs out of registers and shuffles them with `vmov`. Here one
 * `vldm` fetches 4..8 consecutive floats, so a MAC costs one VFMA plus a fraction of a
 * load: 1.25-1.3 instructions per MAC in the loop instead of 1.75-2.
 * Other targets (the host build, the tests) use the C loops of the callers; the
 * assembly computes the same sums in the same per-accumulator order except where noted.
 * Registers: s0-s15 accumulators, s16-s31 operands (callee-saved: the clobber lists
 * make GCC save them once per call).
 */
#ifndef MEDYATE_FWD_ASM_H
#define MEDYATE_FWD_ASM_H

#include <stdint.h>

#if defined(__GNUC__) && defined(__thumb2__) && defined(__ARM_FP) && (__ARM_FP & 4) && \
    !defined(MDY_NO_ASM)
#define MDY_HAVE_FWD_ASM 1

#define MDY_ASM_CLOBBER_S16_31                                                             \
    "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24", "s25", "s26", "s27",   \
        "s28", "s29", "s30", "s31"
#define MDY_ASM_CLOBBER_S0_15                                                              \
    "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12",      \
        "s13", "s14", "s15"

/*
 * acc[a] += sum_{i < 8 n8} w_a[i] * x[i] for the 4 rows w_a (a = 0..3); n8 >= 1.
 * Per 8 inputs: 1 vldm of x, 4 vldm of 8 weights, 32 VFMA. Each row's sum is split
 * over two accumulators (even / odd inputs, added at the end) so that consecutive
 * VFMAs do not wait on each other.
 */
static inline __attribute__((always_inline)) void mdy_asm_gemv4x8(
    const float *w0, const float *w1, const float *w2, const float *w3, const float *x,
    uint32_t n8, float *acc)
{
    __asm__ volatile(
        "vldmia %[acc], {s0-s3}\n\t"
        "vmov s4, %[zero]\n\t"          /* s4-s7 = 0 (odd-input partial sums) */
        "vmov.f32 s5, s4\n\t"
        "vmov.f32 s6, s4\n\t"
        "vmov.f32 s7, s4\n\t"
        "1:\n\t"
        "vldmia %[x]!, {s16-s23}\n\t"
        "vldmia %[w0]!, {s24-s31}\n\t"
        "vfma.f32 s0, s16, s24\n\t"
        "vfma.f32 s4, s17, s25\n\t"
        "vfma.f32 s0, s18, s26\n\t"
        "vfma.f32 s4, s19, s27\n\t"
        "vfma.f32 s0, s20, s28\n\t"
        "vfma.f32 s4, s21, s29\n\t"
        "vfma.f32 s0, s22, s30\n\t"
        "vfma.f32 s4, s23, s31\n\t"
        "vldmia %[w1]!, {s24-s31}\n\t"
        "vfma.f32 s1, s16, s24\n\t"
        "vfma.f32 s5, s17, s25\n\t"
        "vfma.f32 s1, s18, s26\n\t"
        "vfma.f32 s5, s19, s27\n\t"
        "vfma.f32 s1, s20, s28\n\t"
        "vfma.f32 s5, s21, s29\n\t"
        "vfma.f32 s1, s22, s30\n\t"
        "vfma.f32 s5, s23, s31\n\t"
        "vldmia %[w2]!, {s24-s31}\n\t"
        "vfma.f32 s2, s16, s24\n\t"
        "vfma.f32 s6, s17, s25\n\t"
        "vfma.f32 s2, s18, s26\n\t"
        "vfma.f32 s6, s19, s27\n\t"
        "vfma.f32 s2, s20, s28\n\t"
        "vfma.f32 s6, s21, s29\n\t"
        "vfma.f32 s2, s22, s30\n\t"
        "vfma.f32 s6, s23, s31\n\t"
        "vldmia %[w3]!, {s24-s31}\n\t"
        "vfma.f32 s3, s16, s24\n\t"
        "vfma.f32 s7, s17, s25\n\t"
        "vfma.f32 s3, s18, s26\n\t"
        "vfma.f32 s7, s19, s27\n\t"
        "vfma.f32 s3, s20, s28\n\t"
        "vfma.f32 s7, s21, s29\n\t"
        "vfma.f32 s3, s22, s30\n\t"
        "vfma.f32 s7, s23, s31\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 1b\n\t"
        "vadd.f32 s0, s0, s4\n\t"
        "vadd.f32 s1, s1, s5\n\t"
        "vadd.f32 s2, s2, s6\n\t"
        "vadd.f32 s3, s3, s7\n\t"
        "vstmia %[acc], {s0-s3}\n\t"
        : [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3), [x] "+r"(x),
          [n] "+r"(n8)
        : [acc] "r"(acc), [zero] "r"(0u)
        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", MDY_ASM_CLOBBER_S16_31, "cc",
          "memory");
}

#define MDY_ASM_PW4X4X2_LOOP \
        "1:\n\t" \
        "vldmia %[x], {s16-s19}\n\t" \
        "add %[x], %[x], %[hw]\n\t" \
        "vldmia %[x], {s20-s23}\n\t" \
        "add %[x], %[x], %[hw]\n\t" \
        "vldmia %[w0]!, {s24-s25}\n\t" \
        "vldmia %[w1]!, {s26-s27}\n\t" \
        "vldmia %[w2]!, {s28-s29}\n\t" \
        "vldmia %[w3]!, {s30-s31}\n\t" \
        "vfma.f32 s0, s24, s16\n\t" \
        "vfma.f32 s1, s24, s17\n\t" \
        "vfma.f32 s2, s24, s18\n\t" \
        "vfma.f32 s3, s24, s19\n\t" \
        "vfma.f32 s4, s26, s16\n\t" \
        "vfma.f32 s5, s26, s17\n\t" \
        "vfma.f32 s6, s26, s18\n\t" \
        "vfma.f32 s7, s26, s19\n\t" \
        "vfma.f32 s8, s28, s16\n\t" \
        "vfma.f32 s9, s28, s17\n\t" \
        "vfma.f32 s10, s28, s18\n\t" \
        "vfma.f32 s11, s28, s19\n\t" \
        "vfma.f32 s12, s30, s16\n\t" \
        "vfma.f32 s13, s30, s17\n\t" \
        "vfma.f32 s14, s30, s18\n\t" \
        "vfma.f32 s15, s30, s19\n\t" \
        "vfma.f32 s0, s25, s20\n\t" \
        "vfma.f32 s1, s25, s21\n\t" \
        "vfma.f32 s2, s25, s22\n\t" \
        "vfma.f32 s3, s25, s23\n\t" \
        "vfma.f32 s4, s27, s20\n\t" \
        "vfma.f32 s5, s27, s21\n\t" \
        "vfma.f32 s6, s27, s22\n\t" \
        "vfma.f32 s7, s27, s23\n\t" \
        "vfma.f32 s8, s29, s20\n\t" \
        "vfma.f32 s9, s29, s21\n\t" \
        "vfma.f32 s10, s29, s22\n\t" \
        "vfma.f32 s11, s29, s23\n\t" \
        "vfma.f32 s12, s31, s20\n\t" \
        "vfma.f32 s13, s31, s21\n\t" \
        "vfma.f32 s14, s31, s22\n\t" \
        "vfma.f32 s15, s31, s23\n\t" \
        "subs %[n], %[n], #1\n\t" \
        "bne 1b\n\t"

/*
 * The pointwise 4 output channels x 4 pixels block: acc[a*4 + q] += sum over 2 n2
 * input channels i of w_a[i] * x[i * hw + q]. x points at pixel 0 of the first input
 * channel, hw_bytes = 4 * hw; n2 >= 1 (two input channels per iteration).
 * Per iteration: 2 vldm of 4 pixels, 4 vldm of a weight pair, 32 VFMA.
 */
static inline __attribute__((always_inline)) void mdy_asm_pw4x4x2(
    const float *w0, const float *w1, const float *w2, const float *w3, const float *x,
    uint32_t hw_bytes, uint32_t n2, float *acc)
{
    __asm__ volatile(
        "vldmia %[acc], {s0-s15}\n\t"
        MDY_ASM_PW4X4X2_LOOP
        "vstmia %[acc], {s0-s15}\n\t"
        : [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3), [x] "+r"(x),
          [n] "+r"(n2)
        : [acc] "r"(acc), [hw] "r"(hw_bytes)
        : MDY_ASM_CLOBBER_S0_15, MDY_ASM_CLOBBER_S16_31, "cc", "memory");
}


/* Clamps of the 16 accumulators against s16 = lo, s17 = hi, as mdy_clampf: `mi` (less,
 * ordered) and `gt` (greater, ordered) leave a NaN unchanged. */
#define MDY_ASM_CLAMP16_LO \
    "vcmp.f32 s0, s16\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s0, s16\n\t" \
    "vcmp.f32 s1, s16\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s1, s16\n\t" \
    "vcmp.f32 s2, s16\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s2, s16\n\t" \
    "vcmp.f32 s3, s16\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s3, s16\n\t" \
    "vcmp.f32 s4, s16\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s4, s16\n\t" \
    "vcmp.f32 s5, s16\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s5, s16\n\t" \
    "vcmp.f32 s6, s16\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s6, s16\n\t" \
    "vcmp.f32 s7, s16\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s7, s16\n\t" \
    "vcmp.f32 s8, s16\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s8, s16\n\t" \
    "vcmp.f32 s9, s16\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s9, s16\n\t" \
    "vcmp.f32 s10, s16\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s10, s16\n\t" \
    "vcmp.f32 s11, s16\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s11, s16\n\t" \
    "vcmp.f32 s12, s16\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s12, s16\n\t" \
    "vcmp.f32 s13, s16\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s13, s16\n\t" \
    "vcmp.f32 s14, s16\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s14, s16\n\t" \
    "vcmp.f32 s15, s16\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s15, s16\n\t"
#define MDY_ASM_CLAMP16_HI \
    "vcmp.f32 s0, s17\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s0, s17\n\t" \
    "vcmp.f32 s1, s17\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s1, s17\n\t" \
    "vcmp.f32 s2, s17\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s2, s17\n\t" \
    "vcmp.f32 s3, s17\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s3, s17\n\t" \
    "vcmp.f32 s4, s17\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s4, s17\n\t" \
    "vcmp.f32 s5, s17\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s5, s17\n\t" \
    "vcmp.f32 s6, s17\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s6, s17\n\t" \
    "vcmp.f32 s7, s17\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s7, s17\n\t" \
    "vcmp.f32 s8, s17\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s8, s17\n\t" \
    "vcmp.f32 s9, s17\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s9, s17\n\t" \
    "vcmp.f32 s10, s17\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s10, s17\n\t" \
    "vcmp.f32 s11, s17\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s11, s17\n\t" \
    "vcmp.f32 s12, s17\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s12, s17\n\t" \
    "vcmp.f32 s13, s17\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s13, s17\n\t" \
    "vcmp.f32 s14, s17\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s14, s17\n\t" \
    "vcmp.f32 s15, s17\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s15, s17\n\t"
#define MDY_ASM_STORE4X4 \
    "vstmia %[y], {s0-s3}\n\t" \
    "add %[y], %[y], %[hw]\n\t" \
    "vstmia %[y], {s4-s7}\n\t" \
    "add %[y], %[y], %[hw]\n\t" \
    "vstmia %[y], {s8-s11}\n\t" \
    "add %[y], %[y], %[hw]\n\t" \
    "vstmia %[y], {s12-s15}\n\t"

/*
 * mdy_asm_pw4x4x2 followed by the fused clamp and the stores: the accumulators never go
 * back to memory. acc: 16 initial sums, then lo and hi at acc[16], acc[17]; y: output
 * row of the first channel at the block's first pixel, the next rows hw_bytes apart.
 * ACT (compile-time): MDY_ACT_NONE / _LO / _BOTH (mdy_internal.h).
 */
#define MDY_ASM_PW_STORE(CLAMP)                                                            \
    __asm__ volatile("vldmia %[acc], {s0-s15}\n\t" MDY_ASM_PW4X4X2_LOOP                  \
                     "vldr s16, [%[acc], #64]\n\t"                                       \
                     "vldr s17, [%[acc], #68]\n\t" CLAMP MDY_ASM_STORE4X4                \
                     : [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3),        \
                       [x] "+r"(x), [n] "+r"(n2), [y] "+r"(y)                             \
                     : [acc] "r"(acc), [hw] "r"(hw_bytes)                                  \
                     : MDY_ASM_CLOBBER_S0_15, MDY_ASM_CLOBBER_S16_31, "cc", "memory")

static inline __attribute__((always_inline)) void mdy_asm_pw4x4x2_store(
    const float *w0, const float *w1, const float *w2, const float *w3, const float *x,
    uint32_t hw_bytes, uint32_t n2, const float *acc, float *y, const int ACT)
{
    if (ACT == 0) {
        MDY_ASM_PW_STORE("");
    } else if (ACT == 1) {
        MDY_ASM_PW_STORE(MDY_ASM_CLAMP16_LO);
    } else {
        MDY_ASM_PW_STORE(MDY_ASM_CLAMP16_LO MDY_ASM_CLAMP16_HI);
    }
}

/*
 * The 3x3 KxK block (mdy_conv_kxk_f32): 4 output channels x 4 pixels of one output row
 * over n >= 1 buffered input channels, stride S = 1 or 2. Per channel and window row:
 * one vldm of the (PB - 1) * S + 3 input values the block reads, one vldm (with
 * writeback) of each output channel's 3 weights of that row, 48 VFMA -- 53 instructions
 * for 48 MACs. Weights stream: [o][c][kh][kw] puts channel c + 1 right after c.
 * x: strip row of the window's first tap, first pixel, of the first channel;
 * pw_bytes: strip row stride; cs_bytes: channel stride minus 2 rows (the loop has
 * already stepped 2 rows). The clamp kinds and the stores as mdy_asm_pw4x4x2_store,
 * with the output channels k->plane_bytes apart.
 */
typedef struct {
    float acc[16];
    float lo, hi;
    uint32_t plane_bytes;
} mdy_asm_k3_t;

#define MDY_ASM_K3_LOOP_S1 \
    "1:\n\t" \
    "vldmia %[x], {s16-s21}\n\t" \
    "vldmia %[w0]!, {s22-s24}\n\t" \
    "vfma.f32 s0, s22, s16\n\t" \
    "vfma.f32 s1, s22, s17\n\t" \
    "vfma.f32 s2, s22, s18\n\t" \
    "vfma.f32 s3, s22, s19\n\t" \
    "vfma.f32 s0, s23, s17\n\t" \
    "vfma.f32 s1, s23, s18\n\t" \
    "vfma.f32 s2, s23, s19\n\t" \
    "vfma.f32 s3, s23, s20\n\t" \
    "vfma.f32 s0, s24, s18\n\t" \
    "vfma.f32 s1, s24, s19\n\t" \
    "vfma.f32 s2, s24, s20\n\t" \
    "vfma.f32 s3, s24, s21\n\t" \
    "vldmia %[w1]!, {s25-s27}\n\t" \
    "vfma.f32 s4, s25, s16\n\t" \
    "vfma.f32 s5, s25, s17\n\t" \
    "vfma.f32 s6, s25, s18\n\t" \
    "vfma.f32 s7, s25, s19\n\t" \
    "vfma.f32 s4, s26, s17\n\t" \
    "vfma.f32 s5, s26, s18\n\t" \
    "vfma.f32 s6, s26, s19\n\t" \
    "vfma.f32 s7, s26, s20\n\t" \
    "vfma.f32 s4, s27, s18\n\t" \
    "vfma.f32 s5, s27, s19\n\t" \
    "vfma.f32 s6, s27, s20\n\t" \
    "vfma.f32 s7, s27, s21\n\t" \
    "vldmia %[w2]!, {s22-s24}\n\t" \
    "vfma.f32 s8, s22, s16\n\t" \
    "vfma.f32 s9, s22, s17\n\t" \
    "vfma.f32 s10, s22, s18\n\t" \
    "vfma.f32 s11, s22, s19\n\t" \
    "vfma.f32 s8, s23, s17\n\t" \
    "vfma.f32 s9, s23, s18\n\t" \
    "vfma.f32 s10, s23, s19\n\t" \
    "vfma.f32 s11, s23, s20\n\t" \
    "vfma.f32 s8, s24, s18\n\t" \
    "vfma.f32 s9, s24, s19\n\t" \
    "vfma.f32 s10, s24, s20\n\t" \
    "vfma.f32 s11, s24, s21\n\t" \
    "vldmia %[w3]!, {s25-s27}\n\t" \
    "vfma.f32 s12, s25, s16\n\t" \
    "vfma.f32 s13, s25, s17\n\t" \
    "vfma.f32 s14, s25, s18\n\t" \
    "vfma.f32 s15, s25, s19\n\t" \
    "vfma.f32 s12, s26, s17\n\t" \
    "vfma.f32 s13, s26, s18\n\t" \
    "vfma.f32 s14, s26, s19\n\t" \
    "vfma.f32 s15, s26, s20\n\t" \
    "vfma.f32 s12, s27, s18\n\t" \
    "vfma.f32 s13, s27, s19\n\t" \
    "vfma.f32 s14, s27, s20\n\t" \
    "vfma.f32 s15, s27, s21\n\t" \
    "add %[x], %[x], %[pw]\n\t" \
    "vldmia %[x], {s16-s21}\n\t" \
    "vldmia %[w0]!, {s22-s24}\n\t" \
    "vfma.f32 s0, s22, s16\n\t" \
    "vfma.f32 s1, s22, s17\n\t" \
    "vfma.f32 s2, s22, s18\n\t" \
    "vfma.f32 s3, s22, s19\n\t" \
    "vfma.f32 s0, s23, s17\n\t" \
    "vfma.f32 s1, s23, s18\n\t" \
    "vfma.f32 s2, s23, s19\n\t" \
    "vfma.f32 s3, s23, s20\n\t" \
    "vfma.f32 s0, s24, s18\n\t" \
    "vfma.f32 s1, s24, s19\n\t" \
    "vfma.f32 s2, s24, s20\n\t" \
    "vfma.f32 s3, s24, s21\n\t" \
    "vldmia %[w1]!, {s25-s27}\n\t" \
    "vfma.f32 s4, s25, s16\n\t" \
    "vfma.f32 s5, s25, s17\n\t" \
    "vfma.f32 s6, s25, s18\n\t" \
    "vfma.f32 s7, s25, s19\n\t" \
    "vfma.f32 s4, s26, s17\n\t" \
    "vfma.f32 s5, s26, s18\n\t" \
    "vfma.f32 s6, s26, s19\n\t" \
    "vfma.f32 s7, s26, s20\n\t" \
    "vfma.f32 s4, s27, s18\n\t" \
    "vfma.f32 s5, s27, s19\n\t" \
    "vfma.f32 s6, s27, s20\n\t" \
    "vfma.f32 s7, s27, s21\n\t" \
    "vldmia %[w2]!, {s22-s24}\n\t" \
    "vfma.f32 s8, s22, s16\n\t" \
    "vfma.f32 s9, s22, s17\n\t" \
    "vfma.f32 s10, s22, s18\n\t" \
    "vfma.f32 s11, s22, s19\n\t" \
    "vfma.f32 s8, s23, s17\n\t" \
    "vfma.f32 s9, s23, s18\n\t" \
    "vfma.f32 s10, s23, s19\n\t" \
    "vfma.f32 s11, s23, s20\n\t" \
    "vfma.f32 s8, s24, s18\n\t" \
    "vfma.f32 s9, s24, s19\n\t" \
    "vfma.f32 s10, s24, s20\n\t" \
    "vfma.f32 s11, s24, s21\n\t" \
    "vldmia %[w3]!, {s25-s27}\n\t" \
    "vfma.f32 s12, s25, s16\n\t" \
    "vfma.f32 s13, s25, s17\n\t" \
    "vfma.f32 s14, s25, s18\n\t" \
    "vfma.f32 s15, s25, s19\n\t" \
    "vfma.f32 s12, s26, s17\n\t" \
    "vfma.f32 s13, s26, s18\n\t" \
    "vfma.f32 s14, s26, s19\n\t" \
    "vfma.f32 s15, s26, s20\n\t" \
    "vfma.f32 s12, s27, s18\n\t" \
    "vfma.f32 s13, s27, s19\n\t" \
    "vfma.f32 s14, s27, s20\n\t" \
    "vfma.f32 s15, s27, s21\n\t" \
    "add %[x], %[x], %[pw]\n\t" \
    "vldmia %[x], {s16-s21}\n\t" \
    "vldmia %[w0]!, {s22-s24}\n\t" \
    "vfma.f32 s0, s22, s16\n\t" \
    "vfma.f32 s1, s22, s17\n\t" \
    "vfma.f32 s2, s22, s18\n\t" \
    "vfma.f32 s3, s22, s19\n\t" \
    "vfma.f32 s0, s23, s17\n\t" \
    "vfma.f32 s1, s23, s18\n\t" \
    "vfma.f32 s2, s23, s19\n\t" \
    "vfma.f32 s3, s23, s20\n\t" \
    "vfma.f32 s0, s24, s18\n\t" \
    "vfma.f32 s1, s24, s19\n\t" \
    "vfma.f32 s2, s24, s20\n\t" \
    "vfma.f32 s3, s24, s21\n\t" \
    "vldmia %[w1]!, {s25-s27}\n\t" \
    "vfma.f32 s4, s25, s16\n\t" \
    "vfma.f32 s5, s25, s17\n\t" \
    "vfma.f32 s6, s25, s18\n\t" \
    "vfma.f32 s7, s25, s19\n\t" \
    "vfma.f32 s4, s26, s17\n\t" \
    "vfma.f32 s5, s26, s18\n\t" \
    "vfma.f32 s6, s26, s19\n\t" \
    "vfma.f32 s7, s26, s20\n\t" \
    "vfma.f32 s4, s27, s18\n\t" \
    "vfma.f32 s5, s27, s19\n\t" \
    "vfma.f32 s6, s27, s20\n\t" \
    "vfma.f32 s7, s27, s21\n\t" \
    "vldmia %[w2]!, {s22-s24}\n\t" \
    "vfma.f32 s8, s22, s16\n\t" \
    "vfma.f32 s9, s22, s17\n\t" \
    "vfma.f32 s10, s22, s18\n\t" \
    "vfma.f32 s11, s22, s19\n\t" \
    "vfma.f32 s8, s23, s17\n\t" \
    "vfma.f32 s9, s23, s18\n\t" \
    "vfma.f32 s10, s23, s19\n\t" \
    "vfma.f32 s11, s23, s20\n\t" \
    "vfma.f32 s8, s24, s18\n\t" \
    "vfma.f32 s9, s24, s19\n\t" \
    "vfma.f32 s10, s24, s20\n\t" \
    "vfma.f32 s11, s24, s21\n\t" \
    "vldmia %[w3]!, {s25-s27}\n\t" \
    "vfma.f32 s12, s25, s16\n\t" \
    "vfma.f32 s13, s25, s17\n\t" \
    "vfma.f32 s14, s25, s18\n\t" \
    "vfma.f32 s15, s25, s19\n\t" \
    "vfma.f32 s12, s26, s17\n\t" \
    "vfma.f32 s13, s26, s18\n\t" \
    "vfma.f32 s14, s26, s19\n\t" \
    "vfma.f32 s15, s26, s20\n\t" \
    "vfma.f32 s12, s27, s18\n\t" \
    "vfma.f32 s13, s27, s19\n\t" \
    "vfma.f32 s14, s27, s20\n\t" \
    "vfma.f32 s15, s27, s21\n\t" \
    "add %[x], %[x], %[cs]\n\t" \
    "subs %[n], %[n], #1\n\t" \
    "bne 1b\n\t"
#define MDY_ASM_K3_LOOP_S2 \
    "1:\n\t" \
    "vldmia %[x], {s16-s24}\n\t" \
    "vldmia %[w0]!, {s25-s27}\n\t" \
    "vfma.f32 s0, s25, s16\n\t" \
    "vfma.f32 s1, s25, s18\n\t" \
    "vfma.f32 s2, s25, s20\n\t" \
    "vfma.f32 s3, s25, s22\n\t" \
    "vfma.f32 s0, s26, s17\n\t" \
    "vfma.f32 s1, s26, s19\n\t" \
    "vfma.f32 s2, s26, s21\n\t" \
    "vfma.f32 s3, s26, s23\n\t" \
    "vfma.f32 s0, s27, s18\n\t" \
    "vfma.f32 s1, s27, s20\n\t" \
    "vfma.f32 s2, s27, s22\n\t" \
    "vfma.f32 s3, s27, s24\n\t" \
    "vldmia %[w1]!, {s28-s30}\n\t" \
    "vfma.f32 s4, s28, s16\n\t" \
    "vfma.f32 s5, s28, s18\n\t" \
    "vfma.f32 s6, s28, s20\n\t" \
    "vfma.f32 s7, s28, s22\n\t" \
    "vfma.f32 s4, s29, s17\n\t" \
    "vfma.f32 s5, s29, s19\n\t" \
    "vfma.f32 s6, s29, s21\n\t" \
    "vfma.f32 s7, s29, s23\n\t" \
    "vfma.f32 s4, s30, s18\n\t" \
    "vfma.f32 s5, s30, s20\n\t" \
    "vfma.f32 s6, s30, s22\n\t" \
    "vfma.f32 s7, s30, s24\n\t" \
    "vldmia %[w2]!, {s25-s27}\n\t" \
    "vfma.f32 s8, s25, s16\n\t" \
    "vfma.f32 s9, s25, s18\n\t" \
    "vfma.f32 s10, s25, s20\n\t" \
    "vfma.f32 s11, s25, s22\n\t" \
    "vfma.f32 s8, s26, s17\n\t" \
    "vfma.f32 s9, s26, s19\n\t" \
    "vfma.f32 s10, s26, s21\n\t" \
    "vfma.f32 s11, s26, s23\n\t" \
    "vfma.f32 s8, s27, s18\n\t" \
    "vfma.f32 s9, s27, s20\n\t" \
    "vfma.f32 s10, s27, s22\n\t" \
    "vfma.f32 s11, s27, s24\n\t" \
    "vldmia %[w3]!, {s28-s30}\n\t" \
    "vfma.f32 s12, s28, s16\n\t" \
    "vfma.f32 s13, s28, s18\n\t" \
    "vfma.f32 s14, s28, s20\n\t" \
    "vfma.f32 s15, s28, s22\n\t" \
    "vfma.f32 s12, s29, s17\n\t" \
    "vfma.f32 s13, s29, s19\n\t" \
    "vfma.f32 s14, s29, s21\n\t" \
    "vfma.f32 s15, s29, s23\n\t" \
    "vfma.f32 s12, s30, s18\n\t" \
    "vfma.f32 s13, s30, s20\n\t" \
    "vfma.f32 s14, s30, s22\n\t" \
    "vfma.f32 s15, s30, s24\n\t" \
    "add %[x], %[x], %[pw]\n\t" \
    "vldmia %[x], {s16-s24}\n\t" \
    "vldmia %[w0]!, {s25-s27}\n\t" \
    "vfma.f32 s0, s25, s16\n\t" \
    "vfma.f32 s1, s25, s18\n\t" \
    "vfma.f32 s2, s25, s20\n\t" \
    "vfma.f32 s3, s25, s22\n\t" \
    "vfma.f32 s0, s26, s17\n\t" \
    "vfma.f32 s1, s26, s19\n\t" \
    "vfma.f32 s2, s26, s21\n\t" \
    "vfma.f32 s3, s26, s23\n\t" \
    "vfma.f32 s0, s27, s18\n\t" \
    "vfma.f32 s1, s27, s20\n\t" \
    "vfma.f32 s2, s27, s22\n\t" \
    "vfma.f32 s3, s27, s24\n\t" \
    "vldmia %[w1]!, {s28-s30}\n\t" \
    "vfma.f32 s4, s28, s16\n\t" \
    "vfma.f32 s5, s28, s18\n\t" \
    "vfma.f32 s6, s28, s20\n\t" \
    "vfma.f32 s7, s28, s22\n\t" \
    "vfma.f32 s4, s29, s17\n\t" \
    "vfma.f32 s5, s29, s19\n\t" \
    "vfma.f32 s6, s29, s21\n\t" \
    "vfma.f32 s7, s29, s23\n\t" \
    "vfma.f32 s4, s30, s18\n\t" \
    "vfma.f32 s5, s30, s20\n\t" \
    "vfma.f32 s6, s30, s22\n\t" \
    "vfma.f32 s7, s30, s24\n\t" \
    "vldmia %[w2]!, {s25-s27}\n\t" \
    "vfma.f32 s8, s25, s16\n\t" \
    "vfma.f32 s9, s25, s18\n\t" \
    "vfma.f32 s10, s25, s20\n\t" \
    "vfma.f32 s11, s25, s22\n\t" \
    "vfma.f32 s8, s26, s17\n\t" \
    "vfma.f32 s9, s26, s19\n\t" \
    "vfma.f32 s10, s26, s21\n\t" \
    "vfma.f32 s11, s26, s23\n\t" \
    "vfma.f32 s8, s27, s18\n\t" \
    "vfma.f32 s9, s27, s20\n\t" \
    "vfma.f32 s10, s27, s22\n\t" \
    "vfma.f32 s11, s27, s24\n\t" \
    "vldmia %[w3]!, {s28-s30}\n\t" \
    "vfma.f32 s12, s28, s16\n\t" \
    "vfma.f32 s13, s28, s18\n\t" \
    "vfma.f32 s14, s28, s20\n\t" \
    "vfma.f32 s15, s28, s22\n\t" \
    "vfma.f32 s12, s29, s17\n\t" \
    "vfma.f32 s13, s29, s19\n\t" \
    "vfma.f32 s14, s29, s21\n\t" \
    "vfma.f32 s15, s29, s23\n\t" \
    "vfma.f32 s12, s30, s18\n\t" \
    "vfma.f32 s13, s30, s20\n\t" \
    "vfma.f32 s14, s30, s22\n\t" \
    "vfma.f32 s15, s30, s24\n\t" \
    "add %[x], %[x], %[pw]\n\t" \
    "vldmia %[x], {s16-s24}\n\t" \
    "vldmia %[w0]!, {s25-s27}\n\t" \
    "vfma.f32 s0, s25, s16\n\t" \
    "vfma.f32 s1, s25, s18\n\t" \
    "vfma.f32 s2, s25, s20\n\t" \
    "vfma.f32 s3, s25, s22\n\t" \
    "vfma.f32 s0, s26, s17\n\t" \
    "vfma.f32 s1, s26, s19\n\t" \
    "vfma.f32 s2, s26, s21\n\t" \
    "vfma.f32 s3, s26, s23\n\t" \
    "vfma.f32 s0, s27, s18\n\t" \
    "vfma.f32 s1, s27, s20\n\t" \
    "vfma.f32 s2, s27, s22\n\t" \
    "vfma.f32 s3, s27, s24\n\t" \
    "vldmia %[w1]!, {s28-s30}\n\t" \
    "vfma.f32 s4, s28, s16\n\t" \
    "vfma.f32 s5, s28, s18\n\t" \
    "vfma.f32 s6, s28, s20\n\t" \
    "vfma.f32 s7, s28, s22\n\t" \
    "vfma.f32 s4, s29, s17\n\t" \
    "vfma.f32 s5, s29, s19\n\t" \
    "vfma.f32 s6, s29, s21\n\t" \
    "vfma.f32 s7, s29, s23\n\t" \
    "vfma.f32 s4, s30, s18\n\t" \
    "vfma.f32 s5, s30, s20\n\t" \
    "vfma.f32 s6, s30, s22\n\t" \
    "vfma.f32 s7, s30, s24\n\t" \
    "vldmia %[w2]!, {s25-s27}\n\t" \
    "vfma.f32 s8, s25, s16\n\t" \
    "vfma.f32 s9, s25, s18\n\t" \
    "vfma.f32 s10, s25, s20\n\t" \
    "vfma.f32 s11, s25, s22\n\t" \
    "vfma.f32 s8, s26, s17\n\t" \
    "vfma.f32 s9, s26, s19\n\t" \
    "vfma.f32 s10, s26, s21\n\t" \
    "vfma.f32 s11, s26, s23\n\t" \
    "vfma.f32 s8, s27, s18\n\t" \
    "vfma.f32 s9, s27, s20\n\t" \
    "vfma.f32 s10, s27, s22\n\t" \
    "vfma.f32 s11, s27, s24\n\t" \
    "vldmia %[w3]!, {s28-s30}\n\t" \
    "vfma.f32 s12, s28, s16\n\t" \
    "vfma.f32 s13, s28, s18\n\t" \
    "vfma.f32 s14, s28, s20\n\t" \
    "vfma.f32 s15, s28, s22\n\t" \
    "vfma.f32 s12, s29, s17\n\t" \
    "vfma.f32 s13, s29, s19\n\t" \
    "vfma.f32 s14, s29, s21\n\t" \
    "vfma.f32 s15, s29, s23\n\t" \
    "vfma.f32 s12, s30, s18\n\t" \
    "vfma.f32 s13, s30, s20\n\t" \
    "vfma.f32 s14, s30, s22\n\t" \
    "vfma.f32 s15, s30, s24\n\t" \
    "add %[x], %[x], %[cs]\n\t" \
    "subs %[n], %[n], #1\n\t" \
    "bne 1b\n\t"

#define MDY_ASM_K3(LOOP, CLAMP)                                                             \
    __asm__ volatile("vldmia %[k], {s0-s15}\n\t" LOOP                                    \
                     "vldr s16, [%[k], #64]\n\t"                                         \
                     "vldr s17, [%[k], #68]\n\t"                                         \
                     "ldr %[n], [%[k], #72]\n\t" CLAMP                                  \
                     "vstmia %[y], {s0-s3}\n\t"                                          \
                     "add %[y], %[y], %[n]\n\t"                                          \
                     "vstmia %[y], {s4-s7}\n\t"                                          \
                     "add %[y], %[y], %[n]\n\t"                                          \
                     "vstmia %[y], {s8-s11}\n\t"                                         \
                     "add %[y], %[y], %[n]\n\t"                                          \
                     "vstmia %[y], {s12-s15}\n\t"                                        \
                     : [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3),        \
                       [x] "+r"(x), [n] "+r"(n), [y] "+r"(y)                              \
                     : [k] "r"(k), [pw] "r"(pw_bytes), [cs] "r"(cs_bytes)                  \
                     : MDY_ASM_CLOBBER_S0_15, MDY_ASM_CLOBBER_S16_31, "cc", "memory")

static inline __attribute__((always_inline)) void mdy_asm_k3_4x4(
    const float *w0, const float *w1, const float *w2, const float *w3, const float *x,
    uint32_t pw_bytes, uint32_t cs_bytes, uint32_t n, const mdy_asm_k3_t *k, float *y,
    const int S, const int ACT)
{
    if (S == 1) {
        if (ACT == 0) {
            MDY_ASM_K3(MDY_ASM_K3_LOOP_S1, "");
        } else if (ACT == 1) {
            MDY_ASM_K3(MDY_ASM_K3_LOOP_S1, MDY_ASM_CLAMP16_LO);
        } else {
            MDY_ASM_K3(MDY_ASM_K3_LOOP_S1, MDY_ASM_CLAMP16_LO MDY_ASM_CLAMP16_HI);
        }
    } else {
        if (ACT == 0) {
            MDY_ASM_K3(MDY_ASM_K3_LOOP_S2, "");
        } else if (ACT == 1) {
            MDY_ASM_K3(MDY_ASM_K3_LOOP_S2, MDY_ASM_CLAMP16_LO);
        } else {
            MDY_ASM_K3(MDY_ASM_K3_LOOP_S2, MDY_ASM_CLAMP16_LO MDY_ASM_CLAMP16_HI);
        }
    }
}

/*
 * Depthwise 3x3 (mdy_conv_depthwise_f32 strip path), stride S = 1 or 2: blocks of 4
 * consecutive output pixels of whole output rows. x0..x2: the 3 strip rows of the
 * window at the first block; k: the channel's 9 weights, then bias, lo, hi, block count. The weights
 * stay in s16-s24 for the whole row; per block 3 vldm of (4 - 1) * S + 3 inputs, 36 VFMA,
 * the clamp (as mdy_clampf) and one vstm. y advances past the row's blocks.
 * Registers: s0-s3 sums, s4-s12 inputs, s16-s24 weights, s25 bias, s26 lo, s27 hi.
 */
#define MDY_ASM_DW3_S1 \
    "1:\n\t" \
    "vmov.f32 s0, s25\n\t" \
    "vmov.f32 s1, s25\n\t" \
    "vmov.f32 s2, s25\n\t" \
    "vmov.f32 s3, s25\n\t" \
    "vldmia %[x0], {s4-s9}\n\t" \
    "add %[x0], %[x0], #16\n\t" \
    "vfma.f32 s0, s16, s4\n\t" \
    "vfma.f32 s1, s16, s5\n\t" \
    "vfma.f32 s2, s16, s6\n\t" \
    "vfma.f32 s3, s16, s7\n\t" \
    "vfma.f32 s0, s17, s5\n\t" \
    "vfma.f32 s1, s17, s6\n\t" \
    "vfma.f32 s2, s17, s7\n\t" \
    "vfma.f32 s3, s17, s8\n\t" \
    "vfma.f32 s0, s18, s6\n\t" \
    "vfma.f32 s1, s18, s7\n\t" \
    "vfma.f32 s2, s18, s8\n\t" \
    "vfma.f32 s3, s18, s9\n\t" \
    "vldmia %[x1], {s4-s9}\n\t" \
    "add %[x1], %[x1], #16\n\t" \
    "vfma.f32 s0, s19, s4\n\t" \
    "vfma.f32 s1, s19, s5\n\t" \
    "vfma.f32 s2, s19, s6\n\t" \
    "vfma.f32 s3, s19, s7\n\t" \
    "vfma.f32 s0, s20, s5\n\t" \
    "vfma.f32 s1, s20, s6\n\t" \
    "vfma.f32 s2, s20, s7\n\t" \
    "vfma.f32 s3, s20, s8\n\t" \
    "vfma.f32 s0, s21, s6\n\t" \
    "vfma.f32 s1, s21, s7\n\t" \
    "vfma.f32 s2, s21, s8\n\t" \
    "vfma.f32 s3, s21, s9\n\t" \
    "vldmia %[x2], {s4-s9}\n\t" \
    "add %[x2], %[x2], #16\n\t" \
    "vfma.f32 s0, s22, s4\n\t" \
    "vfma.f32 s1, s22, s5\n\t" \
    "vfma.f32 s2, s22, s6\n\t" \
    "vfma.f32 s3, s22, s7\n\t" \
    "vfma.f32 s0, s23, s5\n\t" \
    "vfma.f32 s1, s23, s6\n\t" \
    "vfma.f32 s2, s23, s7\n\t" \
    "vfma.f32 s3, s23, s8\n\t" \
    "vfma.f32 s0, s24, s6\n\t" \
    "vfma.f32 s1, s24, s7\n\t" \
    "vfma.f32 s2, s24, s8\n\t" \
    "vfma.f32 s3, s24, s9\n\t"
#define MDY_ASM_DW3_S2 \
    "1:\n\t" \
    "vmov.f32 s0, s25\n\t" \
    "vmov.f32 s1, s25\n\t" \
    "vmov.f32 s2, s25\n\t" \
    "vmov.f32 s3, s25\n\t" \
    "vldmia %[x0], {s4-s12}\n\t" \
    "add %[x0], %[x0], #32\n\t" \
    "vfma.f32 s0, s16, s4\n\t" \
    "vfma.f32 s1, s16, s6\n\t" \
    "vfma.f32 s2, s16, s8\n\t" \
    "vfma.f32 s3, s16, s10\n\t" \
    "vfma.f32 s0, s17, s5\n\t" \
    "vfma.f32 s1, s17, s7\n\t" \
    "vfma.f32 s2, s17, s9\n\t" \
    "vfma.f32 s3, s17, s11\n\t" \
    "vfma.f32 s0, s18, s6\n\t" \
    "vfma.f32 s1, s18, s8\n\t" \
    "vfma.f32 s2, s18, s10\n\t" \
    "vfma.f32 s3, s18, s12\n\t" \
    "vldmia %[x1], {s4-s12}\n\t" \
    "add %[x1], %[x1], #32\n\t" \
    "vfma.f32 s0, s19, s4\n\t" \
    "vfma.f32 s1, s19, s6\n\t" \
    "vfma.f32 s2, s19, s8\n\t" \
    "vfma.f32 s3, s19, s10\n\t" \
    "vfma.f32 s0, s20, s5\n\t" \
    "vfma.f32 s1, s20, s7\n\t" \
    "vfma.f32 s2, s20, s9\n\t" \
    "vfma.f32 s3, s20, s11\n\t" \
    "vfma.f32 s0, s21, s6\n\t" \
    "vfma.f32 s1, s21, s8\n\t" \
    "vfma.f32 s2, s21, s10\n\t" \
    "vfma.f32 s3, s21, s12\n\t" \
    "vldmia %[x2], {s4-s12}\n\t" \
    "add %[x2], %[x2], #32\n\t" \
    "vfma.f32 s0, s22, s4\n\t" \
    "vfma.f32 s1, s22, s6\n\t" \
    "vfma.f32 s2, s22, s8\n\t" \
    "vfma.f32 s3, s22, s10\n\t" \
    "vfma.f32 s0, s23, s5\n\t" \
    "vfma.f32 s1, s23, s7\n\t" \
    "vfma.f32 s2, s23, s9\n\t" \
    "vfma.f32 s3, s23, s11\n\t" \
    "vfma.f32 s0, s24, s6\n\t" \
    "vfma.f32 s1, s24, s8\n\t" \
    "vfma.f32 s2, s24, s10\n\t" \
    "vfma.f32 s3, s24, s12\n\t"
#define MDY_ASM_CLAMP4_LO \
    "vcmp.f32 s0, s26\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s0, s26\n\t" \
    "vcmp.f32 s1, s26\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s1, s26\n\t" \
    "vcmp.f32 s2, s26\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s2, s26\n\t" \
    "vcmp.f32 s3, s26\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s3, s26\n\t"
#define MDY_ASM_CLAMP4_HI \
    "vcmp.f32 s0, s27\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s0, s27\n\t" \
    "vcmp.f32 s1, s27\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s1, s27\n\t" \
    "vcmp.f32 s2, s27\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s2, s27\n\t" \
    "vcmp.f32 s3, s27\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s3, s27\n\t"
#define MDY_ASM_DW3_TAIL \
    "vstmia %[y]!, {s0-s3}\n\t" \
    "subs %[n], %[n], #1\n\t" \
    "bne 1b\n\t"

#define MDY_ASM_DW3(BODY, CLAMP)                                                            \
    __asm__ volatile("vldmia %[k], {s16-s27}\n\t"                                          \
                     "2:\n\t"                                                              \
                     "ldr %[n], [%[k], #48]\n\t" BODY CLAMP MDY_ASM_DW3_TAIL              \
                     "add %[x0], %[x0], %[skip]\n\t"                                       \
                     "add %[x1], %[x1], %[skip]\n\t"                                       \
                     "add %[x2], %[x2], %[skip]\n\t"                                       \
                     "subs %[r], %[r], #1\n\t"                                             \
                     "bne 2b\n\t"                                                          \
                     : [x0] "+r"(x0), [x1] "+r"(x1), [x2] "+r"(x2), [y] "+r"(y),          \
                       [n] "=&r"(n), [r] "+r"(rows)                                       \
                     : [k] "r"(k), [skip] "r"(skip_bytes)                                  \
                     : MDY_ASM_CLOBBER_S0_15, MDY_ASM_CLOBBER_S16_31, "cc", "memory")

/* rows >= 1 output rows of nb = k[12] (as uint32) >= 1 blocks each; the outputs of the
 * rows are contiguous (out_w == 4 nb); skip_bytes: from the end of one row's last block
 * to the next row's first (S strip rows down). */
static inline __attribute__((always_inline)) float *mdy_asm_dw3_rows(
    const float *x0, const float *x1, const float *x2, uint32_t rows, uint32_t skip_bytes,
    const float *k, float *y, const int S, const int ACT)
{
    uint32_t n;
    if (S == 1) {
        if (ACT == 0) {
            MDY_ASM_DW3(MDY_ASM_DW3_S1, "");
        } else if (ACT == 1) {
            MDY_ASM_DW3(MDY_ASM_DW3_S1, MDY_ASM_CLAMP4_LO);
        } else {
            MDY_ASM_DW3(MDY_ASM_DW3_S1, MDY_ASM_CLAMP4_LO MDY_ASM_CLAMP4_HI);
        }
    } else {
        if (ACT == 0) {
            MDY_ASM_DW3(MDY_ASM_DW3_S2, "");
        } else if (ACT == 1) {
            MDY_ASM_DW3(MDY_ASM_DW3_S2, MDY_ASM_CLAMP4_LO);
        } else {
            MDY_ASM_DW3(MDY_ASM_DW3_S2, MDY_ASM_CLAMP4_LO MDY_ASM_CLAMP4_HI);
        }
    }
    (void)n;
    return y;
}

/*
 * Depthwise 5x5 / 7x7 (strip path), stride S = 1 or 2, clamp [lo, hi]: n >= 1 blocks of
 * 4 output pixels of one output row. x: strip row of the window's first tap at the
 * first block, pw_bytes: strip row stride, w: the channel's K*K weights, k: bias, lo,
 * hi. Per window row: one vldm of (4 - 1) * S + K inputs, one vldm of the K weights,
 * 4K VFMA (7x7: 7 * 30 instructions for 196 MACs). y advances past the row's blocks.
 * Registers: s0-s3 sums, s4.. inputs, then the row's weights, s29 bias, s30 lo, s31 hi.
 */
#define MDY_ASM_DW5_S1 \
    "1:\n\t" \
    "vmov.f32 s0, s29\n\t" \
    "vmov.f32 s1, s29\n\t" \
    "vmov.f32 s2, s29\n\t" \
    "vmov.f32 s3, s29\n\t" \
    "mov %[t], %[x]\n\t" \
    "vldmia %[t], {s4-s11}\n\t" \
    "add %[t], %[t], %[pw]\n\t" \
    "vldmia %[w]!, {s12-s16}\n\t" \
    "vfma.f32 s0, s12, s4\n\t" \
    "vfma.f32 s1, s12, s5\n\t" \
    "vfma.f32 s2, s12, s6\n\t" \
    "vfma.f32 s3, s12, s7\n\t" \
    "vfma.f32 s0, s13, s5\n\t" \
    "vfma.f32 s1, s13, s6\n\t" \
    "vfma.f32 s2, s13, s7\n\t" \
    "vfma.f32 s3, s13, s8\n\t" \
    "vfma.f32 s0, s14, s6\n\t" \
    "vfma.f32 s1, s14, s7\n\t" \
    "vfma.f32 s2, s14, s8\n\t" \
    "vfma.f32 s3, s14, s9\n\t" \
    "vfma.f32 s0, s15, s7\n\t" \
    "vfma.f32 s1, s15, s8\n\t" \
    "vfma.f32 s2, s15, s9\n\t" \
    "vfma.f32 s3, s15, s10\n\t" \
    "vfma.f32 s0, s16, s8\n\t" \
    "vfma.f32 s1, s16, s9\n\t" \
    "vfma.f32 s2, s16, s10\n\t" \
    "vfma.f32 s3, s16, s11\n\t" \
    "vldmia %[t], {s4-s11}\n\t" \
    "add %[t], %[t], %[pw]\n\t" \
    "vldmia %[w]!, {s12-s16}\n\t" \
    "vfma.f32 s0, s12, s4\n\t" \
    "vfma.f32 s1, s12, s5\n\t" \
    "vfma.f32 s2, s12, s6\n\t" \
    "vfma.f32 s3, s12, s7\n\t" \
    "vfma.f32 s0, s13, s5\n\t" \
    "vfma.f32 s1, s13, s6\n\t" \
    "vfma.f32 s2, s13, s7\n\t" \
    "vfma.f32 s3, s13, s8\n\t" \
    "vfma.f32 s0, s14, s6\n\t" \
    "vfma.f32 s1, s14, s7\n\t" \
    "vfma.f32 s2, s14, s8\n\t" \
    "vfma.f32 s3, s14, s9\n\t" \
    "vfma.f32 s0, s15, s7\n\t" \
    "vfma.f32 s1, s15, s8\n\t" \
    "vfma.f32 s2, s15, s9\n\t" \
    "vfma.f32 s3, s15, s10\n\t" \
    "vfma.f32 s0, s16, s8\n\t" \
    "vfma.f32 s1, s16, s9\n\t" \
    "vfma.f32 s2, s16, s10\n\t" \
    "vfma.f32 s3, s16, s11\n\t" \
    "vldmia %[t], {s4-s11}\n\t" \
    "add %[t], %[t], %[pw]\n\t" \
    "vldmia %[w]!, {s12-s16}\n\t" \
    "vfma.f32 s0, s12, s4\n\t" \
    "vfma.f32 s1, s12, s5\n\t" \
    "vfma.f32 s2, s12, s6\n\t" \
    "vfma.f32 s3, s12, s7\n\t" \
    "vfma.f32 s0, s13, s5\n\t" \
    "vfma.f32 s1, s13, s6\n\t" \
    "vfma.f32 s2, s13, s7\n\t" \
    "vfma.f32 s3, s13, s8\n\t" \
    "vfma.f32 s0, s14, s6\n\t" \
    "vfma.f32 s1, s14, s7\n\t" \
    "vfma.f32 s2, s14, s8\n\t" \
    "vfma.f32 s3, s14, s9\n\t" \
    "vfma.f32 s0, s15, s7\n\t" \
    "vfma.f32 s1, s15, s8\n\t" \
    "vfma.f32 s2, s15, s9\n\t" \
    "vfma.f32 s3, s15, s10\n\t" \
    "vfma.f32 s0, s16, s8\n\t" \
    "vfma.f32 s1, s16, s9\n\t" \
    "vfma.f32 s2, s16, s10\n\t" \
    "vfma.f32 s3, s16, s11\n\t" \
    "vldmia %[t], {s4-s11}\n\t" \
    "add %[t], %[t], %[pw]\n\t" \
    "vldmia %[w]!, {s12-s16}\n\t" \
    "vfma.f32 s0, s12, s4\n\t" \
    "vfma.f32 s1, s12, s5\n\t" \
    "vfma.f32 s2, s12, s6\n\t" \
    "vfma.f32 s3, s12, s7\n\t" \
    "vfma.f32 s0, s13, s5\n\t" \
    "vfma.f32 s1, s13, s6\n\t" \
    "vfma.f32 s2, s13, s7\n\t" \
    "vfma.f32 s3, s13, s8\n\t" \
    "vfma.f32 s0, s14, s6\n\t" \
    "vfma.f32 s1, s14, s7\n\t" \
    "vfma.f32 s2, s14, s8\n\t" \
    "vfma.f32 s3, s14, s9\n\t" \
    "vfma.f32 s0, s15, s7\n\t" \
    "vfma.f32 s1, s15, s8\n\t" \
    "vfma.f32 s2, s15, s9\n\t" \
    "vfma.f32 s3, s15, s10\n\t" \
    "vfma.f32 s0, s16, s8\n\t" \
    "vfma.f32 s1, s16, s9\n\t" \
    "vfma.f32 s2, s16, s10\n\t" \
    "vfma.f32 s3, s16, s11\n\t" \
    "vldmia %[t], {s4-s11}\n\t" \
    "vldmia %[w]!, {s12-s16}\n\t" \
    "vfma.f32 s0, s12, s4\n\t" \
    "vfma.f32 s1, s12, s5\n\t" \
    "vfma.f32 s2, s12, s6\n\t" \
    "vfma.f32 s3, s12, s7\n\t" \
    "vfma.f32 s0, s13, s5\n\t" \
    "vfma.f32 s1, s13, s6\n\t" \
    "vfma.f32 s2, s13, s7\n\t" \
    "vfma.f32 s3, s13, s8\n\t" \
    "vfma.f32 s0, s14, s6\n\t" \
    "vfma.f32 s1, s14, s7\n\t" \
    "vfma.f32 s2, s14, s8\n\t" \
    "vfma.f32 s3, s14, s9\n\t" \
    "vfma.f32 s0, s15, s7\n\t" \
    "vfma.f32 s1, s15, s8\n\t" \
    "vfma.f32 s2, s15, s9\n\t" \
    "vfma.f32 s3, s15, s10\n\t" \
    "vfma.f32 s0, s16, s8\n\t" \
    "vfma.f32 s1, s16, s9\n\t" \
    "vfma.f32 s2, s16, s10\n\t" \
    "vfma.f32 s3, s16, s11\n\t" \
    "sub %[w], %[w], #100\n\t" \
    "add %[x], %[x], #16\n\t" \
    "vcmp.f32 s0, s30\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s0, s30\n\t" \
    "vcmp.f32 s0, s31\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s0, s31\n\t" \
    "vcmp.f32 s1, s30\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s1, s30\n\t" \
    "vcmp.f32 s1, s31\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s1, s31\n\t" \
    "vcmp.f32 s2, s30\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s2, s30\n\t" \
    "vcmp.f32 s2, s31\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s2, s31\n\t" \
    "vcmp.f32 s3, s30\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s3, s30\n\t" \
    "vcmp.f32 s3, s31\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s3, s31\n\t" \
    "vstmia %[y]!, {s0-s3}\n\t" \
    "subs %[n], %[n], #1\n\t" \
    "bne 1b\n\t"
#define MDY_ASM_DW5_S2 \
    "1:\n\t" \
    "vmov.f32 s0, s29\n\t" \
    "vmov.f32 s1, s29\n\t" \
    "vmov.f32 s2, s29\n\t" \
    "vmov.f32 s3, s29\n\t" \
    "mov %[t], %[x]\n\t" \
    "vldmia %[t], {s4-s14}\n\t" \
    "add %[t], %[t], %[pw]\n\t" \
    "vldmia %[w]!, {s15-s19}\n\t" \
    "vfma.f32 s0, s15, s4\n\t" \
    "vfma.f32 s1, s15, s6\n\t" \
    "vfma.f32 s2, s15, s8\n\t" \
    "vfma.f32 s3, s15, s10\n\t" \
    "vfma.f32 s0, s16, s5\n\t" \
    "vfma.f32 s1, s16, s7\n\t" \
    "vfma.f32 s2, s16, s9\n\t" \
    "vfma.f32 s3, s16, s11\n\t" \
    "vfma.f32 s0, s17, s6\n\t" \
    "vfma.f32 s1, s17, s8\n\t" \
    "vfma.f32 s2, s17, s10\n\t" \
    "vfma.f32 s3, s17, s12\n\t" \
    "vfma.f32 s0, s18, s7\n\t" \
    "vfma.f32 s1, s18, s9\n\t" \
    "vfma.f32 s2, s18, s11\n\t" \
    "vfma.f32 s3, s18, s13\n\t" \
    "vfma.f32 s0, s19, s8\n\t" \
    "vfma.f32 s1, s19, s10\n\t" \
    "vfma.f32 s2, s19, s12\n\t" \
    "vfma.f32 s3, s19, s14\n\t" \
    "vldmia %[t], {s4-s14}\n\t" \
    "add %[t], %[t], %[pw]\n\t" \
    "vldmia %[w]!, {s15-s19}\n\t" \
    "vfma.f32 s0, s15, s4\n\t" \
    "vfma.f32 s1, s15, s6\n\t" \
    "vfma.f32 s2, s15, s8\n\t" \
    "vfma.f32 s3, s15, s10\n\t" \
    "vfma.f32 s0, s16, s5\n\t" \
    "vfma.f32 s1, s16, s7\n\t" \
    "vfma.f32 s2, s16, s9\n\t" \
    "vfma.f32 s3, s16, s11\n\t" \
    "vfma.f32 s0, s17, s6\n\t" \
    "vfma.f32 s1, s17, s8\n\t" \
    "vfma.f32 s2, s17, s10\n\t" \
    "vfma.f32 s3, s17, s12\n\t" \
    "vfma.f32 s0, s18, s7\n\t" \
    "vfma.f32 s1, s18, s9\n\t" \
    "vfma.f32 s2, s18, s11\n\t" \
    "vfma.f32 s3, s18, s13\n\t" \
    "vfma.f32 s0, s19, s8\n\t" \
    "vfma.f32 s1, s19, s10\n\t" \
    "vfma.f32 s2, s19, s12\n\t" \
    "vfma.f32 s3, s19, s14\n\t" \
    "vldmia %[t], {s4-s14}\n\t" \
    "add %[t], %[t], %[pw]\n\t" \
    "vldmia %[w]!, {s15-s19}\n\t" \
    "vfma.f32 s0, s15, s4\n\t" \
    "vfma.f32 s1, s15, s6\n\t" \
    "vfma.f32 s2, s15, s8\n\t" \
    "vfma.f32 s3, s15, s10\n\t" \
    "vfma.f32 s0, s16, s5\n\t" \
    "vfma.f32 s1, s16, s7\n\t" \
    "vfma.f32 s2, s16, s9\n\t" \
    "vfma.f32 s3, s16, s11\n\t" \
    "vfma.f32 s0, s17, s6\n\t" \
    "vfma.f32 s1, s17, s8\n\t" \
    "vfma.f32 s2, s17, s10\n\t" \
    "vfma.f32 s3, s17, s12\n\t" \
    "vfma.f32 s0, s18, s7\n\t" \
    "vfma.f32 s1, s18, s9\n\t" \
    "vfma.f32 s2, s18, s11\n\t" \
    "vfma.f32 s3, s18, s13\n\t" \
    "vfma.f32 s0, s19, s8\n\t" \
    "vfma.f32 s1, s19, s10\n\t" \
    "vfma.f32 s2, s19, s12\n\t" \
    "vfma.f32 s3, s19, s14\n\t" \
    "vldmia %[t], {s4-s14}\n\t" \
    "add %[t], %[t], %[pw]\n\t" \
    "vldmia %[w]!, {s15-s19}\n\t" \
    "vfma.f32 s0, s15, s4\n\t" \
    "vfma.f32 s1, s15, s6\n\t" \
    "vfma.f32 s2, s15, s8\n\t" \
    "vfma.f32 s3, s15, s10\n\t" \
    "vfma.f32 s0, s16, s5\n\t" \
    "vfma.f32 s1, s16, s7\n\t" \
    "vfma.f32 s2, s16, s9\n\t" \
    "vfma.f32 s3, s16, s11\n\t" \
    "vfma.f32 s0, s17, s6\n\t" \
    "vfma.f32 s1, s17, s8\n\t" \
    "vfma.f32 s2, s17, s10\n\t" \
    "vfma.f32 s3, s17, s12\n\t" \
    "vfma.f32 s0, s18, s7\n\t" \
    "vfma.f32 s1, s18, s9\n\t" \
    "vfma.f32 s2, s18, s11\n\t" \
    "vfma.f32 s3, s18, s13\n\t" \
    "vfma.f32 s0, s19, s8\n\t" \
    "vfma.f32 s1, s19, s10\n\t" \
    "vfma.f32 s2, s19, s12\n\t" \
    "vfma.f32 s3, s19, s14\n\t" \
    "vldmia %[t], {s4-s14}\n\t" \
    "vldmia %[w]!, {s15-s19}\n\t" \
    "vfma.f32 s0, s15, s4\n\t" \
    "vfma.f32 s1, s15, s6\n\t" \
    "vfma.f32 s2, s15, s8\n\t" \
    "vfma.f32 s3, s15, s10\n\t" \
    "vfma.f32 s0, s16, s5\n\t" \
    "vfma.f32 s1, s16, s7\n\t" \
    "vfma.f32 s2, s16, s9\n\t" \
    "vfma.f32 s3, s16, s11\n\t" \
    "vfma.f32 s0, s17, s6\n\t" \
    "vfma.f32 s1, s17, s8\n\t" \
    "vfma.f32 s2, s17, s10\n\t" \
    "vfma.f32 s3, s17, s12\n\t" \
    "vfma.f32 s0, s18, s7\n\t" \
    "vfma.f32 s1, s18, s9\n\t" \
    "vfma.f32 s2, s18, s11\n\t" \
    "vfma.f32 s3, s18, s13\n\t" \
    "vfma.f32 s0, s19, s8\n\t" \
    "vfma.f32 s1, s19, s10\n\t" \
    "vfma.f32 s2, s19, s12\n\t" \
    "vfma.f32 s3, s19, s14\n\t" \
    "sub %[w], %[w], #100\n\t" \
    "add %[x], %[x], #32\n\t" \
    "vcmp.f32 s0, s30\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s0, s30\n\t" \
    "vcmp.f32 s0, s31\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s0, s31\n\t" \
    "vcmp.f32 s1, s30\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s1, s30\n\t" \
    "vcmp.f32 s1, s31\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s1, s31\n\t" \
    "vcmp.f32 s2, s30\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s2, s30\n\t" \
    "vcmp.f32 s2, s31\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s2, s31\n\t" \
    "vcmp.f32 s3, s30\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s3, s30\n\t" \
    "vcmp.f32 s3, s31\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s3, s31\n\t" \
    "vstmia %[y]!, {s0-s3}\n\t" \
    "subs %[n], %[n], #1\n\t" \
    "bne 1b\n\t"
#define MDY_ASM_DW7_S1 \
    "1:\n\t" \
    "vmov.f32 s0, s29\n\t" \
    "vmov.f32 s1, s29\n\t" \
    "vmov.f32 s2, s29\n\t" \
    "vmov.f32 s3, s29\n\t" \
    "mov %[t], %[x]\n\t" \
    "vldmia %[t], {s4-s13}\n\t" \
    "add %[t], %[t], %[pw]\n\t" \
    "vldmia %[w]!, {s14-s20}\n\t" \
    "vfma.f32 s0, s14, s4\n\t" \
    "vfma.f32 s1, s14, s5\n\t" \
    "vfma.f32 s2, s14, s6\n\t" \
    "vfma.f32 s3, s14, s7\n\t" \
    "vfma.f32 s0, s15, s5\n\t" \
    "vfma.f32 s1, s15, s6\n\t" \
    "vfma.f32 s2, s15, s7\n\t" \
    "vfma.f32 s3, s15, s8\n\t" \
    "vfma.f32 s0, s16, s6\n\t" \
    "vfma.f32 s1, s16, s7\n\t" \
    "vfma.f32 s2, s16, s8\n\t" \
    "vfma.f32 s3, s16, s9\n\t" \
    "vfma.f32 s0, s17, s7\n\t" \
    "vfma.f32 s1, s17, s8\n\t" \
    "vfma.f32 s2, s17, s9\n\t" \
    "vfma.f32 s3, s17, s10\n\t" \
    "vfma.f32 s0, s18, s8\n\t" \
    "vfma.f32 s1, s18, s9\n\t" \
    "vfma.f32 s2, s18, s10\n\t" \
    "vfma.f32 s3, s18, s11\n\t" \
    "vfma.f32 s0, s19, s9\n\t" \
    "vfma.f32 s1, s19, s10\n\t" \
    "vfma.f32 s2, s19, s11\n\t" \
    "vfma.f32 s3, s19, s12\n\t" \
    "vfma.f32 s0, s20, s10\n\t" \
    "vfma.f32 s1, s20, s11\n\t" \
    "vfma.f32 s2, s20, s12\n\t" \
    "vfma.f32 s3, s20, s13\n\t" \
    "vldmia %[t], {s4-s13}\n\t" \
    "add %[t], %[t], %[pw]\n\t" \
    "vldmia %[w]!, {s14-s20}\n\t" \
    "vfma.f32 s0, s14, s4\n\t" \
    "vfma.f32 s1, s14, s5\n\t" \
    "vfma.f32 s2, s14, s6\n\t" \
    "vfma.f32 s3, s14, s7\n\t" \
    "vfma.f32 s0, s15, s5\n\t" \
    "vfma.f32 s1, s15, s6\n\t" \
    "vfma.f32 s2, s15, s7\n\t" \
    "vfma.f32 s3, s15, s8\n\t" \
    "vfma.f32 s0, s16, s6\n\t" \
    "vfma.f32 s1, s16, s7\n\t" \
    "vfma.f32 s2, s16, s8\n\t" \
    "vfma.f32 s3, s16, s9\n\t" \
    "vfma.f32 s0, s17, s7\n\t" \
    "vfma.f32 s1, s17, s8\n\t" \
    "vfma.f32 s2, s17, s9\n\t" \
    "vfma.f32 s3, s17, s10\n\t" \
    "vfma.f32 s0, s18, s8\n\t" \
    "vfma.f32 s1, s18, s9\n\t" \
    "vfma.f32 s2, s18, s10\n\t" \
    "vfma.f32 s3, s18, s11\n\t" \
    "vfma.f32 s0, s19, s9\n\t" \
    "vfma.f32 s1, s19, s10\n\t" \
    "vfma.f32 s2, s19, s11\n\t" \
    "vfma.f32 s3, s19, s12\n\t" \
    "vfma.f32 s0, s20, s10\n\t" \
    "vfma.f32 s1, s20, s11\n\t" \
    "vfma.f32 s2, s20, s12\n\t" \
    "vfma.f32 s3, s20, s13\n\t" \
    "vldmia %[t], {s4-s13}\n\t" \
    "add %[t], %[t], %[pw]\n\t" \
    "vldmia %[w]!, {s14-s20}\n\t" \
    "vfma.f32 s0, s14, s4\n\t" \
    "vfma.f32 s1, s14, s5\n\t" \
    "vfma.f32 s2, s14, s6\n\t" \
    "vfma.f32 s3, s14, s7\n\t" \
    "vfma.f32 s0, s15, s5\n\t" \
    "vfma.f32 s1, s15, s6\n\t" \
    "vfma.f32 s2, s15, s7\n\t" \
    "vfma.f32 s3, s15, s8\n\t" \
    "vfma.f32 s0, s16, s6\n\t" \
    "vfma.f32 s1, s16, s7\n\t" \
    "vfma.f32 s2, s16, s8\n\t" \
    "vfma.f32 s3, s16, s9\n\t" \
    "vfma.f32 s0, s17, s7\n\t" \
    "vfma.f32 s1, s17, s8\n\t" \
    "vfma.f32 s2, s17, s9\n\t" \
    "vfma.f32 s3, s17, s10\n\t" \
    "vfma.f32 s0, s18, s8\n\t" \
    "vfma.f32 s1, s18, s9\n\t" \
    "vfma.f32 s2, s18, s10\n\t" \
    "vfma.f32 s3, s18, s11\n\t" \
    "vfma.f32 s0, s19, s9\n\t" \
    "vfma.f32 s1, s19, s10\n\t" \
    "vfma.f32 s2, s19, s11\n\t" \
    "vfma.f32 s3, s19, s12\n\t" \
    "vfma.f32 s0, s20, s10\n\t" \
    "vfma.f32 s1, s20, s11\n\t" \
    "vfma.f32 s2, s20, s12\n\t" \
    "vfma.f32 s3, s20, s13\n\t" \
    "vldmia %[t], {s4-s13}\n\t" \
    "add %[t], %[t], %[pw]\n\t" \
    "vldmia %[w]!, {s14-s20}\n\t" \
    "vfma.f32 s0, s14, s4\n\t" \
    "vfma.f32 s1, s14, s5\n\t" \
    "vfma.f32 s2, s14, s6\n\t" \
    "vfma.f32 s3, s14, s7\n\t" \
    "vfma.f32 s0, s15, s5\n\t" \
    "vfma.f32 s1, s15, s6\n\t" \
    "vfma.f32 s2, s15, s7\n\t" \
    "vfma.f32 s3, s15, s8\n\t" \
    "vfma.f32 s0, s16, s6\n\t" \
    "vfma.f32 s1, s16, s7\n\t" \
    "vfma.f32 s2, s16, s8\n\t" \
    "vfma.f32 s3, s16, s9\n\t" \
    "vfma.f32 s0, s17, s7\n\t" \
    "vfma.f32 s1, s17, s8\n\t" \
    "vfma.f32 s2, s17, s9\n\t" \
    "vfma.f32 s3, s17, s10\n\t" \
    "vfma.f32 s0, s18, s8\n\t" \
    "vfma.f32 s1, s18, s9\n\t" \
    "vfma.f32 s2, s18, s10\n\t" \
    "vfma.f32 s3, s18, s11\n\t" \
    "vfma.f32 s0, s19, s9\n\t" \
    "vfma.f32 s1, s19, s10\n\t" \
    "vfma.f32 s2, s19, s11\n\t" \
    "vfma.f32 s3, s19, s12\n\t" \
    "vfma.f32 s0, s20, s10\n\t" \
    "vfma.f32 s1, s20, s11\n\t" \
    "vfma.f32 s2, s20, s12\n\t" \
    "vfma.f32 s3, s20, s13\n\t" \
    "vldmia %[t], {s4-s13}\n\t" \
    "add %[t], %[t], %[pw]\n\t" \
    "vldmia %[w]!, {s14-s20}\n\t" \
    "vfma.f32 s0, s14, s4\n\t" \
    "vfma.f32 s1, s14, s5\n\t" \
    "vfma.f32 s2, s14, s6\n\t" \
    "vfma.f32 s3, s14, s7\n\t" \
    "vfma.f32 s0, s15, s5\n\t" \
    "vfma.f32 s1, s15, s6\n\t" \
    "vfma.f32 s2, s15, s7\n\t" \
    "vfma.f32 s3, s15, s8\n\t" \
    "vfma.f32 s0, s16, s6\n\t" \
    "vfma.f32 s1, s16, s7\n\t" \
    "vfma.f32 s2, s16, s8\n\t" \
    "vfma.f32 s3, s16, s9\n\t" \
    "vfma.f32 s0, s17, s7\n\t" \
    "vfma.f32 s1, s17, s8\n\t" \
    "vfma.f32 s2, s17, s9\n\t" \
    "vfma.f32 s3, s17, s10\n\t" \
    "vfma.f32 s0, s18, s8\n\t" \
    "vfma.f32 s1, s18, s9\n\t" \
    "vfma.f32 s2, s18, s10\n\t" \
    "vfma.f32 s3, s18, s11\n\t" \
    "vfma.f32 s0, s19, s9\n\t" \
    "vfma.f32 s1, s19, s10\n\t" \
    "vfma.f32 s2, s19, s11\n\t" \
    "vfma.f32 s3, s19, s12\n\t" \
    "vfma.f32 s0, s20, s10\n\t" \
    "vfma.f32 s1, s20, s11\n\t" \
    "vfma.f32 s2, s20, s12\n\t" \
    "vfma.f32 s3, s20, s13\n\t" \
    "vldmia %[t], {s4-s13}\n\t" \
    "add %[t], %[t], %[pw]\n\t" \
    "vldmia %[w]!, {s14-s20}\n\t" \
    "vfma.f32 s0, s14, s4\n\t" \
    "vfma.f32 s1, s14, s5\n\t" \
    "vfma.f32 s2, s14, s6\n\t" \
    "vfma.f32 s3, s14, s7\n\t" \
    "vfma.f32 s0, s15, s5\n\t" \
    "vfma.f32 s1, s15, s6\n\t" \
    "vfma.f32 s2, s15, s7\n\t" \
    "vfma.f32 s3, s15, s8\n\t" \
    "vfma.f32 s0, s16, s6\n\t" \
    "vfma.f32 s1, s16, s7\n\t" \
    "vfma.f32 s2, s16, s8\n\t" \
    "vfma.f32 s3, s16, s9\n\t" \
    "vfma.f32 s0, s17, s7\n\t" \
    "vfma.f32 s1, s17, s8\n\t" \
    "vfma.f32 s2, s17, s9\n\t" \
    "vfma.f32 s3, s17, s10\n\t" \
    "vfma.f32 s0, s18, s8\n\t" \
    "vfma.f32 s1, s18, s9\n\t" \
    "vfma.f32 s2, s18, s10\n\t" \
    "vfma.f32 s3, s18, s11\n\t" \
    "vfma.f32 s0, s19, s9\n\t" \
    "vfma.f32 s1, s19, s10\n\t" \
    "vfma.f32 s2, s19, s11\n\t" \
    "vfma.f32 s3, s19, s12\n\t" \
    "vfma.f32 s0, s20, s10\n\t" \
    "vfma.f32 s1, s20, s11\n\t" \
    "vfma.f32 s2, s20, s12\n\t" \
    "vfma.f32 s3, s20, s13\n\t" \
    "vldmia %[t], {s4-s13}\n\t" \
    "vldmia %[w]!, {s14-s20}\n\t" \
    "vfma.f32 s0, s14, s4\n\t" \
    "vfma.f32 s1, s14, s5\n\t" \
    "vfma.f32 s2, s14, s6\n\t" \
    "vfma.f32 s3, s14, s7\n\t" \
    "vfma.f32 s0, s15, s5\n\t" \
    "vfma.f32 s1, s15, s6\n\t" \
    "vfma.f32 s2, s15, s7\n\t" \
    "vfma.f32 s3, s15, s8\n\t" \
    "vfma.f32 s0, s16, s6\n\t" \
    "vfma.f32 s1, s16, s7\n\t" \
    "vfma.f32 s2, s16, s8\n\t" \
    "vfma.f32 s3, s16, s9\n\t" \
    "vfma.f32 s0, s17, s7\n\t" \
    "vfma.f32 s1, s17, s8\n\t" \
    "vfma.f32 s2, s17, s9\n\t" \
    "vfma.f32 s3, s17, s10\n\t" \
    "vfma.f32 s0, s18, s8\n\t" \
    "vfma.f32 s1, s18, s9\n\t" \
    "vfma.f32 s2, s18, s10\n\t" \
    "vfma.f32 s3, s18, s11\n\t" \
    "vfma.f32 s0, s19, s9\n\t" \
    "vfma.f32 s1, s19, s10\n\t" \
    "vfma.f32 s2, s19, s11\n\t" \
    "vfma.f32 s3, s19, s12\n\t" \
    "vfma.f32 s0, s20, s10\n\t" \
    "vfma.f32 s1, s20, s11\n\t" \
    "vfma.f32 s2, s20, s12\n\t" \
    "vfma.f32 s3, s20, s13\n\t" \
    "sub %[w], %[w], #196\n\t" \
    "add %[x], %[x], #16\n\t" \
    "vcmp.f32 s0, s30\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s0, s30\n\t" \
    "vcmp.f32 s0, s31\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s0, s31\n\t" \
    "vcmp.f32 s1, s30\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s1, s30\n\t" \
    "vcmp.f32 s1, s31\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s1, s31\n\t" \
    "vcmp.f32 s2, s30\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s2, s30\n\t" \
    "vcmp.f32 s2, s31\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s2, s31\n\t" \
    "vcmp.f32 s3, s30\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s3, s30\n\t" \
    "vcmp.f32 s3, s31\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s3, s31\n\t" \
    "vstmia %[y]!, {s0-s3}\n\t" \
    "subs %[n], %[n], #1\n\t" \
    "bne 1b\n\t"
#define MDY_ASM_DW7_S2 \
    "1:\n\t" \
    "vmov.f32 s0, s29\n\t" \
    "vmov.f32 s1, s29\n\t" \
    "vmov.f32 s2, s29\n\t" \
    "vmov.f32 s3, s29\n\t" \
    "mov %[t], %[x]\n\t" \
    "vldmia %[t], {s4-s16}\n\t" \
    "add %[t], %[t], %[pw]\n\t" \
    "vldmia %[w]!, {s17-s23}\n\t" \
    "vfma.f32 s0, s17, s4\n\t" \
    "vfma.f32 s1, s17, s6\n\t" \
    "vfma.f32 s2, s17, s8\n\t" \
    "vfma.f32 s3, s17, s10\n\t" \
    "vfma.f32 s0, s18, s5\n\t" \
    "vfma.f32 s1, s18, s7\n\t" \
    "vfma.f32 s2, s18, s9\n\t" \
    "vfma.f32 s3, s18, s11\n\t" \
    "vfma.f32 s0, s19, s6\n\t" \
    "vfma.f32 s1, s19, s8\n\t" \
    "vfma.f32 s2, s19, s10\n\t" \
    "vfma.f32 s3, s19, s12\n\t" \
    "vfma.f32 s0, s20, s7\n\t" \
    "vfma.f32 s1, s20, s9\n\t" \
    "vfma.f32 s2, s20, s11\n\t" \
    "vfma.f32 s3, s20, s13\n\t" \
    "vfma.f32 s0, s21, s8\n\t" \
    "vfma.f32 s1, s21, s10\n\t" \
    "vfma.f32 s2, s21, s12\n\t" \
    "vfma.f32 s3, s21, s14\n\t" \
    "vfma.f32 s0, s22, s9\n\t" \
    "vfma.f32 s1, s22, s11\n\t" \
    "vfma.f32 s2, s22, s13\n\t" \
    "vfma.f32 s3, s22, s15\n\t" \
    "vfma.f32 s0, s23, s10\n\t" \
    "vfma.f32 s1, s23, s12\n\t" \
    "vfma.f32 s2, s23, s14\n\t" \
    "vfma.f32 s3, s23, s16\n\t" \
    "vldmia %[t], {s4-s16}\n\t" \
    "add %[t], %[t], %[pw]\n\t" \
    "vldmia %[w]!, {s17-s23}\n\t" \
    "vfma.f32 s0, s17, s4\n\t" \
    "vfma.f32 s1, s17, s6\n\t" \
    "vfma.f32 s2, s17, s8\n\t" \
    "vfma.f32 s3, s17, s10\n\t" \
    "vfma.f32 s0, s18, s5\n\t" \
    "vfma.f32 s1, s18, s7\n\t" \
    "vfma.f32 s2, s18, s9\n\t" \
    "vfma.f32 s3, s18, s11\n\t" \
    "vfma.f32 s0, s19, s6\n\t" \
    "vfma.f32 s1, s19, s8\n\t" \
    "vfma.f32 s2, s19, s10\n\t" \
    "vfma.f32 s3, s19, s12\n\t" \
    "vfma.f32 s0, s20, s7\n\t" \
    "vfma.f32 s1, s20, s9\n\t" \
    "vfma.f32 s2, s20, s11\n\t" \
    "vfma.f32 s3, s20, s13\n\t" \
    "vfma.f32 s0, s21, s8\n\t" \
    "vfma.f32 s1, s21, s10\n\t" \
    "vfma.f32 s2, s21, s12\n\t" \
    "vfma.f32 s3, s21, s14\n\t" \
    "vfma.f32 s0, s22, s9\n\t" \
    "vfma.f32 s1, s22, s11\n\t" \
    "vfma.f32 s2, s22, s13\n\t" \
    "vfma.f32 s3, s22, s15\n\t" \
    "vfma.f32 s0, s23, s10\n\t" \
    "vfma.f32 s1, s23, s12\n\t" \
    "vfma.f32 s2, s23, s14\n\t" \
    "vfma.f32 s3, s23, s16\n\t" \
    "vldmia %[t], {s4-s16}\n\t" \
    "add %[t], %[t], %[pw]\n\t" \
    "vldmia %[w]!, {s17-s23}\n\t" \
    "vfma.f32 s0, s17, s4\n\t" \
    "vfma.f32 s1, s17, s6\n\t" \
    "vfma.f32 s2, s17, s8\n\t" \
    "vfma.f32 s3, s17, s10\n\t" \
    "vfma.f32 s0, s18, s5\n\t" \
    "vfma.f32 s1, s18, s7\n\t" \
    "vfma.f32 s2, s18, s9\n\t" \
    "vfma.f32 s3, s18, s11\n\t" \
    "vfma.f32 s0, s19, s6\n\t" \
    "vfma.f32 s1, s19, s8\n\t" \
    "vfma.f32 s2, s19, s10\n\t" \
    "vfma.f32 s3, s19, s12\n\t" \
    "vfma.f32 s0, s20, s7\n\t" \
    "vfma.f32 s1, s20, s9\n\t" \
    "vfma.f32 s2, s20, s11\n\t" \
    "vfma.f32 s3, s20, s13\n\t" \
    "vfma.f32 s0, s21, s8\n\t" \
    "vfma.f32 s1, s21, s10\n\t" \
    "vfma.f32 s2, s21, s12\n\t" \
    "vfma.f32 s3, s21, s14\n\t" \
    "vfma.f32 s0, s22, s9\n\t" \
    "vfma.f32 s1, s22, s11\n\t" \
    "vfma.f32 s2, s22, s13\n\t" \
    "vfma.f32 s3, s22, s15\n\t" \
    "vfma.f32 s0, s23, s10\n\t" \
    "vfma.f32 s1, s23, s12\n\t" \
    "vfma.f32 s2, s23, s14\n\t" \
    "vfma.f32 s3, s23, s16\n\t" \
    "vldmia %[t], {s4-s16}\n\t" \
    "add %[t], %[t], %[pw]\n\t" \
    "vldmia %[w]!, {s17-s23}\n\t" \
    "vfma.f32 s0, s17, s4\n\t" \
    "vfma.f32 s1, s17, s6\n\t" \
    "vfma.f32 s2, s17, s8\n\t" \
    "vfma.f32 s3, s17, s10\n\t" \
    "vfma.f32 s0, s18, s5\n\t" \
    "vfma.f32 s1, s18, s7\n\t" \
    "vfma.f32 s2, s18, s9\n\t" \
    "vfma.f32 s3, s18, s11\n\t" \
    "vfma.f32 s0, s19, s6\n\t" \
    "vfma.f32 s1, s19, s8\n\t" \
    "vfma.f32 s2, s19, s10\n\t" \
    "vfma.f32 s3, s19, s12\n\t" \
    "vfma.f32 s0, s20, s7\n\t" \
    "vfma.f32 s1, s20, s9\n\t" \
    "vfma.f32 s2, s20, s11\n\t" \
    "vfma.f32 s3, s20, s13\n\t" \
    "vfma.f32 s0, s21, s8\n\t" \
    "vfma.f32 s1, s21, s10\n\t" \
    "vfma.f32 s2, s21, s12\n\t" \
    "vfma.f32 s3, s21, s14\n\t" \
    "vfma.f32 s0, s22, s9\n\t" \
    "vfma.f32 s1, s22, s11\n\t" \
    "vfma.f32 s2, s22, s13\n\t" \
    "vfma.f32 s3, s22, s15\n\t" \
    "vfma.f32 s0, s23, s10\n\t" \
    "vfma.f32 s1, s23, s12\n\t" \
    "vfma.f32 s2, s23, s14\n\t" \
    "vfma.f32 s3, s23, s16\n\t" \
    "vldmia %[t], {s4-s16}\n\t" \
    "add %[t], %[t], %[pw]\n\t" \
    "vldmia %[w]!, {s17-s23}\n\t" \
    "vfma.f32 s0, s17, s4\n\t" \
    "vfma.f32 s1, s17, s6\n\t" \
    "vfma.f32 s2, s17, s8\n\t" \
    "vfma.f32 s3, s17, s10\n\t" \
    "vfma.f32 s0, s18, s5\n\t" \
    "vfma.f32 s1, s18, s7\n\t" \
    "vfma.f32 s2, s18, s9\n\t" \
    "vfma.f32 s3, s18, s11\n\t" \
    "vfma.f32 s0, s19, s6\n\t" \
    "vfma.f32 s1, s19, s8\n\t" \
    "vfma.f32 s2, s19, s10\n\t" \
    "vfma.f32 s3, s19, s12\n\t" \
    "vfma.f32 s0, s20, s7\n\t" \
    "vfma.f32 s1, s20, s9\n\t" \
    "vfma.f32 s2, s20, s11\n\t" \
    "vfma.f32 s3, s20, s13\n\t" \
    "vfma.f32 s0, s21, s8\n\t" \
    "vfma.f32 s1, s21, s10\n\t" \
    "vfma.f32 s2, s21, s12\n\t" \
    "vfma.f32 s3, s21, s14\n\t" \
    "vfma.f32 s0, s22, s9\n\t" \
    "vfma.f32 s1, s22, s11\n\t" \
    "vfma.f32 s2, s22, s13\n\t" \
    "vfma.f32 s3, s22, s15\n\t" \
    "vfma.f32 s0, s23, s10\n\t" \
    "vfma.f32 s1, s23, s12\n\t" \
    "vfma.f32 s2, s23, s14\n\t" \
    "vfma.f32 s3, s23, s16\n\t" \
    "vldmia %[t], {s4-s16}\n\t" \
    "add %[t], %[t], %[pw]\n\t" \
    "vldmia %[w]!, {s17-s23}\n\t" \
    "vfma.f32 s0, s17, s4\n\t" \
    "vfma.f32 s1, s17, s6\n\t" \
    "vfma.f32 s2, s17, s8\n\t" \
    "vfma.f32 s3, s17, s10\n\t" \
    "vfma.f32 s0, s18, s5\n\t" \
    "vfma.f32 s1, s18, s7\n\t" \
    "vfma.f32 s2, s18, s9\n\t" \
    "vfma.f32 s3, s18, s11\n\t" \
    "vfma.f32 s0, s19, s6\n\t" \
    "vfma.f32 s1, s19, s8\n\t" \
    "vfma.f32 s2, s19, s10\n\t" \
    "vfma.f32 s3, s19, s12\n\t" \
    "vfma.f32 s0, s20, s7\n\t" \
    "vfma.f32 s1, s20, s9\n\t" \
    "vfma.f32 s2, s20, s11\n\t" \
    "vfma.f32 s3, s20, s13\n\t" \
    "vfma.f32 s0, s21, s8\n\t" \
    "vfma.f32 s1, s21, s10\n\t" \
    "vfma.f32 s2, s21, s12\n\t" \
    "vfma.f32 s3, s21, s14\n\t" \
    "vfma.f32 s0, s22, s9\n\t" \
    "vfma.f32 s1, s22, s11\n\t" \
    "vfma.f32 s2, s22, s13\n\t" \
    "vfma.f32 s3, s22, s15\n\t" \
    "vfma.f32 s0, s23, s10\n\t" \
    "vfma.f32 s1, s23, s12\n\t" \
    "vfma.f32 s2, s23, s14\n\t" \
    "vfma.f32 s3, s23, s16\n\t" \
    "vldmia %[t], {s4-s16}\n\t" \
    "vldmia %[w]!, {s17-s23}\n\t" \
    "vfma.f32 s0, s17, s4\n\t" \
    "vfma.f32 s1, s17, s6\n\t" \
    "vfma.f32 s2, s17, s8\n\t" \
    "vfma.f32 s3, s17, s10\n\t" \
    "vfma.f32 s0, s18, s5\n\t" \
    "vfma.f32 s1, s18, s7\n\t" \
    "vfma.f32 s2, s18, s9\n\t" \
    "vfma.f32 s3, s18, s11\n\t" \
    "vfma.f32 s0, s19, s6\n\t" \
    "vfma.f32 s1, s19, s8\n\t" \
    "vfma.f32 s2, s19, s10\n\t" \
    "vfma.f32 s3, s19, s12\n\t" \
    "vfma.f32 s0, s20, s7\n\t" \
    "vfma.f32 s1, s20, s9\n\t" \
    "vfma.f32 s2, s20, s11\n\t" \
    "vfma.f32 s3, s20, s13\n\t" \
    "vfma.f32 s0, s21, s8\n\t" \
    "vfma.f32 s1, s21, s10\n\t" \
    "vfma.f32 s2, s21, s12\n\t" \
    "vfma.f32 s3, s21, s14\n\t" \
    "vfma.f32 s0, s22, s9\n\t" \
    "vfma.f32 s1, s22, s11\n\t" \
    "vfma.f32 s2, s22, s13\n\t" \
    "vfma.f32 s3, s22, s15\n\t" \
    "vfma.f32 s0, s23, s10\n\t" \
    "vfma.f32 s1, s23, s12\n\t" \
    "vfma.f32 s2, s23, s14\n\t" \
    "vfma.f32 s3, s23, s16\n\t" \
    "sub %[w], %[w], #196\n\t" \
    "add %[x], %[x], #32\n\t" \
    "vcmp.f32 s0, s30\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s0, s30\n\t" \
    "vcmp.f32 s0, s31\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s0, s31\n\t" \
    "vcmp.f32 s1, s30\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s1, s30\n\t" \
    "vcmp.f32 s1, s31\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s1, s31\n\t" \
    "vcmp.f32 s2, s30\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s2, s30\n\t" \
    "vcmp.f32 s2, s31\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s2, s31\n\t" \
    "vcmp.f32 s3, s30\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it mi\n\t" \
    "vmovmi.f32 s3, s30\n\t" \
    "vcmp.f32 s3, s31\n\t" \
    "vmrs APSR_nzcv, fpscr\n\t" \
    "it gt\n\t" \
    "vmovgt.f32 s3, s31\n\t" \
    "vstmia %[y]!, {s0-s3}\n\t" \
    "subs %[n], %[n], #1\n\t" \
    "bne 1b\n\t"

#define MDY_ASM_DWK(BODY)                                                                   \
    __asm__ volatile("vldmia %[k], {s29-s31}\n\t" BODY                                    \
                     : [x] "+r"(x), [w] "+r"(w), [y] "+r"(y), [n] "+r"(n), [t] "=&r"(t)   \
                     : [k] "r"(k), [pw] "r"(pw_bytes)                                      \
                     : MDY_ASM_CLOBBER_S0_15, MDY_ASM_CLOBBER_S16_31, "cc", "memory")

static inline __attribute__((always_inline)) float *mdy_asm_dwk_row(
    const float *x, uint32_t pw_bytes, const float *w, uint32_t n, const float *k, float *y,
    const int K, const int S)
{
    const float *t;
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
    return y;
}

#endif /* asm available */

#endif /* MEDYATE_FWD_ASM_H */
