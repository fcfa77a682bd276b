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

/* One VFMA, four VFMAs sharing a weight register, and the clamp of one accumulator
 * (as mdy_clampf: `mi` and `gt` are false for a NaN, which stays), as assembly text. */
#define MDY_FMA(d, a, b) "vfma.f32 s" #d ", s" #a ", s" #b "\n\t"
#define MDY_FMA4(d0, d1, d2, d3, w, x0, x1, x2, x3)                                         \
    MDY_FMA(d0, w, x0) MDY_FMA(d1, w, x1) MDY_FMA(d2, w, x2) MDY_FMA(d3, w, x3)
/* The 4x4 block: accumulators s0-s15 (four output channels of four pixels), weights
 * w0..w3 (one per channel), inputs x0..x3 (one per pixel). */
#define MDY_FMA4X4(w0, w1, w2, w3, x0, x1, x2, x3)                                          \
    MDY_FMA4(0, 1, 2, 3, w0, x0, x1, x2, x3) MDY_FMA4(4, 5, 6, 7, w1, x0, x1, x2, x3)        \
    MDY_FMA4(8, 9, 10, 11, w2, x0, x1, x2, x3) MDY_FMA4(12, 13, 14, 15, w3, x0, x1, x2, x3)
#define MDY_CLAMP_LO(k, lo)                                                                 \
    "vcmp.f32 s" #k ", s" #lo "\n\tvmrs APSR_nzcv, fpscr\n\tit mi\n\tvmovmi.f32 s" #k       \
    ", s" #lo "\n\t"
#define MDY_CLAMP_HI(k, hi)                                                                 \
    "vcmp.f32 s" #k ", s" #hi "\n\tvmrs APSR_nzcv, fpscr\n\tit gt\n\tvmovgt.f32 s" #k       \
    ", s" #hi "\n\t"

#define MDY_ASM_CLOBBER_S16_31                                                             \
    "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24", "s25", "s26", "s27",   \
        "s28", "s29", "s30", "s31"
#define MDY_ASM_CLOBBER_S0_15                                                              \
    "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12",      \
        "s13", "s14", "s15"

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
        MDY_FMA4X4(24, 26, 28, 30, 16, 17, 18, 19) \
        MDY_FMA4X4(25, 27, 29, 31, 20, 21, 22, 23) \
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
    MDY_CLAMP_LO(0, 16) \
    MDY_CLAMP_LO(1, 16) \
    MDY_CLAMP_LO(2, 16) \
    MDY_CLAMP_LO(3, 16) \
    MDY_CLAMP_LO(4, 16) \
    MDY_CLAMP_LO(5, 16) \
    MDY_CLAMP_LO(6, 16) \
    MDY_CLAMP_LO(7, 16) \
    MDY_CLAMP_LO(8, 16) \
    MDY_CLAMP_LO(9, 16) \
    MDY_CLAMP_LO(10, 16) \
    MDY_CLAMP_LO(11, 16) \
    MDY_CLAMP_LO(12, 16) \
    MDY_CLAMP_LO(13, 16) \
    MDY_CLAMP_LO(14, 16) \
    MDY_CLAMP_LO(15, 16)
#define MDY_ASM_CLAMP16_HI \
    MDY_CLAMP_HI(0, 17) \
    MDY_CLAMP_HI(1, 17) \
    MDY_CLAMP_HI(2, 17) \
    MDY_CLAMP_HI(3, 17) \
    MDY_CLAMP_HI(4, 17) \
    MDY_CLAMP_HI(5, 17) \
    MDY_CLAMP_HI(6, 17) \
    MDY_CLAMP_HI(7, 17) \
    MDY_CLAMP_HI(8, 17) \
    MDY_CLAMP_HI(9, 17) \
    MDY_CLAMP_HI(10, 17) \
    MDY_CLAMP_HI(11, 17) \
    MDY_CLAMP_HI(12, 17) \
    MDY_CLAMP_HI(13, 17) \
    MDY_CLAMP_HI(14, 17) \
    MDY_CLAMP_HI(15, 17)
/* the 4x4 block s0..s15 stored as four rows of 4 at y, the rows %[STRIDE] bytes apart */
#define MDY_ASM_STORE4X4_BY(STRIDE) \
    "vstmia %[y], {s0-s3}\n\t" \
    "add %[y], %[y], %[" STRIDE "]\n\t" \
    "vstmia %[y], {s4-s7}\n\t" \
    "add %[y], %[y], %[" STRIDE "]\n\t" \
    "vstmia %[y], {s8-s11}\n\t" \
    "add %[y], %[y], %[" STRIDE "]\n\t" \
    "vstmia %[y], {s12-s15}\n\t"
#define MDY_ASM_STORE4X4 MDY_ASM_STORE4X4_BY("hw")

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

#endif /* asm available */

#endif /* MEDYATE_FWD_ASM_H */
