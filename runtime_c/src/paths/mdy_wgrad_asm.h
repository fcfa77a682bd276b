/*
 * The weight gradient's 3-tap assembly blocks (mdy_conv_kxk_weight_grad_f32) for
 * Thumb-2 + FPv4/FPv5 single precision: 4 output channels x the 3 taps of one window
 * row, at column stride 1, column stride 2, and dilation 2 with stride 1 (the same
 * block, generated for each: only the strip values a pixel pair reads differ). Included
 * by that file only; without MDY_HAVE_FWD_ASM it runs its C loops.
 */
#ifndef MEDYATE_WGRAD_ASM_H
#define MEDYATE_WGRAD_ASM_H

#include "mdy_fwd_asm.h"

#ifdef MDY_HAVE_FWD_ASM
/* 4 output channels x the 3 taps of one window row (column stride 1 or 2, or dilation 2
 * at stride 1), over every pixel of the strip, in assembly: per pixel pair one vldm of
 * 2 dout values per output channel (with writeback: dout rows are contiguous), one vldm
 * of the 4 (5, 6) strip values the pair's windows read, 24 VFMA -- 31 instructions for
 * 24 MACs (C: about 2 per MAC). The 12 partial sums are loaded from and stored to the
 * slice once per call. k: d (slice at output 0, tap kh*3), d_stride (bytes between
 * outputs), rows, pairs per row, odd (a last single pixel per row), x_skip (bytes from
 * a row's end to the next row's start). */
typedef struct {
    float *d;
    uint32_t d_stride, rows, pairs, odd, x_skip;
} wg_asm_k_t;

static __attribute__((noinline)) void wg_asm_o4k3(const wg_asm_k_t *k, const float *g0,
                                                const float *g1, const float *g2,
                                                const float *g3, const float *x)
{
    uint32_t n, m;
    __asm__ volatile(
        "ldr %[n], [%[k], #0]\n\t"
        "ldr %[m], [%[k], #4]\n\t"
        "vldmia %[n], {s0-s2}\n\t"
        "add %[n], %[n], %[m]\n\t"
        "vldmia %[n], {s3-s5}\n\t"
        "add %[n], %[n], %[m]\n\t"
        "vldmia %[n], {s6-s8}\n\t"
        "add %[n], %[n], %[m]\n\t"
        "vldmia %[n], {s9-s11}\n\t"
        "ldr %[m], [%[k], #8]\n\t"
        "1:\n\t"
        "ldr %[n], [%[k], #12]\n\t"
        "cmp %[n], #0\n\t"
        "beq 3f\n\t"
        "2:\n\t"
        "vldmia %[g0]!, {s12-s13}\n\t"
        "vldmia %[g1]!, {s14-s15}\n\t"
        "vldmia %[g2]!, {s16-s17}\n\t"
        "vldmia %[g3]!, {s18-s19}\n\t"
        "vldmia %[x], {s20-s23}\n\t"
        "add %[x], %[x], #8\n\t"
        "vfma.f32 s0, s20, s12\n\t"
        "vfma.f32 s0, s21, s13\n\t"
        "vfma.f32 s1, s21, s12\n\t"
        "vfma.f32 s1, s22, s13\n\t"
        "vfma.f32 s2, s22, s12\n\t"
        "vfma.f32 s2, s23, s13\n\t"
        "vfma.f32 s3, s20, s14\n\t"
        "vfma.f32 s3, s21, s15\n\t"
        "vfma.f32 s4, s21, s14\n\t"
        "vfma.f32 s4, s22, s15\n\t"
        "vfma.f32 s5, s22, s14\n\t"
        "vfma.f32 s5, s23, s15\n\t"
        "vfma.f32 s6, s20, s16\n\t"
        "vfma.f32 s6, s21, s17\n\t"
        "vfma.f32 s7, s21, s16\n\t"
        "vfma.f32 s7, s22, s17\n\t"
        "vfma.f32 s8, s22, s16\n\t"
        "vfma.f32 s8, s23, s17\n\t"
        "vfma.f32 s9, s20, s18\n\t"
        "vfma.f32 s9, s21, s19\n\t"
        "vfma.f32 s10, s21, s18\n\t"
        "vfma.f32 s10, s22, s19\n\t"
        "vfma.f32 s11, s22, s18\n\t"
        "vfma.f32 s11, s23, s19\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 2b\n\t"
        "3:\n\t"
        "ldr %[n], [%[k], #16]\n\t"
        "cmp %[n], #0\n\t"
        "beq 4f\n\t"
        "vldmia %[g0]!, {s12}\n\t"
        "vldmia %[g1]!, {s14}\n\t"
        "vldmia %[g2]!, {s16}\n\t"
        "vldmia %[g3]!, {s18}\n\t"
        "vldmia %[x], {s20-s22}\n\t"
        "add %[x], %[x], #4\n\t"
        "vfma.f32 s0, s20, s12\n\t"
        "vfma.f32 s1, s21, s12\n\t"
        "vfma.f32 s2, s22, s12\n\t"
        "vfma.f32 s3, s20, s14\n\t"
        "vfma.f32 s4, s21, s14\n\t"
        "vfma.f32 s5, s22, s14\n\t"
        "vfma.f32 s6, s20, s16\n\t"
        "vfma.f32 s7, s21, s16\n\t"
        "vfma.f32 s8, s22, s16\n\t"
        "vfma.f32 s9, s20, s18\n\t"
        "vfma.f32 s10, s21, s18\n\t"
        "vfma.f32 s11, s22, s18\n\t"
        "4:\n\t"
        "ldr %[n], [%[k], #20]\n\t"
        "add %[x], %[x], %[n]\n\t"
        "subs %[m], %[m], #1\n\t"
        "bne 1b\n\t"
        "ldr %[n], [%[k], #0]\n\t"
        "ldr %[m], [%[k], #4]\n\t"
        "vstmia %[n], {s0-s2}\n\t"
        "add %[n], %[n], %[m]\n\t"
        "vstmia %[n], {s3-s5}\n\t"
        "add %[n], %[n], %[m]\n\t"
        "vstmia %[n], {s6-s8}\n\t"
        "add %[n], %[n], %[m]\n\t"
        "vstmia %[n], {s9-s11}\n\t"
        : [g0] "+r"(g0), [g1] "+r"(g1), [g2] "+r"(g2), [g3] "+r"(g3), [x] "+r"(x),
          [n] "=&r"(n), [m] "=&r"(m)
        : [k] "r"(k)
        : MDY_ASM_CLOBBER_S0_15, "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "cc", "memory");
}

/* column stride 2: a pixel pair's windows read 5 strip values */
static __attribute__((noinline)) void wg_asm_o4k3s2(const wg_asm_k_t *k, const float *g0,
                                                  const float *g1, const float *g2,
                                                  const float *g3, const float *x)
{
    uint32_t n, m;
    __asm__ volatile(
        "ldr %[n], [%[k], #0]\n\t"
        "ldr %[m], [%[k], #4]\n\t"
        "vldmia %[n], {s0-s2}\n\t"
        "add %[n], %[n], %[m]\n\t"
        "vldmia %[n], {s3-s5}\n\t"
        "add %[n], %[n], %[m]\n\t"
        "vldmia %[n], {s6-s8}\n\t"
        "add %[n], %[n], %[m]\n\t"
        "vldmia %[n], {s9-s11}\n\t"
        "ldr %[m], [%[k], #8]\n\t"
        "1:\n\t"
        "ldr %[n], [%[k], #12]\n\t"
        "cmp %[n], #0\n\t"
        "beq 3f\n\t"
        "2:\n\t"
        "vldmia %[g0]!, {s12-s13}\n\t"
        "vldmia %[g1]!, {s14-s15}\n\t"
        "vldmia %[g2]!, {s16-s17}\n\t"
        "vldmia %[g3]!, {s18-s19}\n\t"
        "vldmia %[x], {s20-s24}\n\t"
        "add %[x], %[x], #16\n\t"
        "vfma.f32 s0, s20, s12\n\t"
        "vfma.f32 s0, s22, s13\n\t"
        "vfma.f32 s1, s21, s12\n\t"
        "vfma.f32 s1, s23, s13\n\t"
        "vfma.f32 s2, s22, s12\n\t"
        "vfma.f32 s2, s24, s13\n\t"
        "vfma.f32 s3, s20, s14\n\t"
        "vfma.f32 s3, s22, s15\n\t"
        "vfma.f32 s4, s21, s14\n\t"
        "vfma.f32 s4, s23, s15\n\t"
        "vfma.f32 s5, s22, s14\n\t"
        "vfma.f32 s5, s24, s15\n\t"
        "vfma.f32 s6, s20, s16\n\t"
        "vfma.f32 s6, s22, s17\n\t"
        "vfma.f32 s7, s21, s16\n\t"
        "vfma.f32 s7, s23, s17\n\t"
        "vfma.f32 s8, s22, s16\n\t"
        "vfma.f32 s8, s24, s17\n\t"
        "vfma.f32 s9, s20, s18\n\t"
        "vfma.f32 s9, s22, s19\n\t"
        "vfma.f32 s10, s21, s18\n\t"
        "vfma.f32 s10, s23, s19\n\t"
        "vfma.f32 s11, s22, s18\n\t"
        "vfma.f32 s11, s24, s19\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 2b\n\t"
        "3:\n\t"
        "ldr %[n], [%[k], #16]\n\t"
        "cmp %[n], #0\n\t"
        "beq 4f\n\t"
        "vldmia %[g0]!, {s12}\n\t"
        "vldmia %[g1]!, {s14}\n\t"
        "vldmia %[g2]!, {s16}\n\t"
        "vldmia %[g3]!, {s18}\n\t"
        "vldmia %[x], {s20-s22}\n\t"
        "add %[x], %[x], #8\n\t"
        "vfma.f32 s0, s20, s12\n\t"
        "vfma.f32 s1, s21, s12\n\t"
        "vfma.f32 s2, s22, s12\n\t"
        "vfma.f32 s3, s20, s14\n\t"
        "vfma.f32 s4, s21, s14\n\t"
        "vfma.f32 s5, s22, s14\n\t"
        "vfma.f32 s6, s20, s16\n\t"
        "vfma.f32 s7, s21, s16\n\t"
        "vfma.f32 s8, s22, s16\n\t"
        "vfma.f32 s9, s20, s18\n\t"
        "vfma.f32 s10, s21, s18\n\t"
        "vfma.f32 s11, s22, s18\n\t"
        "4:\n\t"
        "ldr %[n], [%[k], #20]\n\t"
        "add %[x], %[x], %[n]\n\t"
        "subs %[m], %[m], #1\n\t"
        "bne 1b\n\t"
        "ldr %[n], [%[k], #0]\n\t"
        "ldr %[m], [%[k], #4]\n\t"
        "vstmia %[n], {s0-s2}\n\t"
        "add %[n], %[n], %[m]\n\t"
        "vstmia %[n], {s3-s5}\n\t"
        "add %[n], %[n], %[m]\n\t"
        "vstmia %[n], {s6-s8}\n\t"
        "add %[n], %[n], %[m]\n\t"
        "vstmia %[n], {s9-s11}\n\t"
        : [g0] "+r"(g0), [g1] "+r"(g1), [g2] "+r"(g2), [g3] "+r"(g3), [x] "+r"(x),
          [n] "=&r"(n), [m] "=&r"(m)
        : [k] "r"(k)
        : MDY_ASM_CLOBBER_S0_15, "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24", "cc", "memory");
}

/* dilation 2, stride 1: 6 strip values per pixel pair */
static __attribute__((noinline)) void wg_asm_o4k3d2(const wg_asm_k_t *k, const float *g0,
                                                  const float *g1, const float *g2,
                                                  const float *g3, const float *x)
{
    uint32_t n, m;
    __asm__ volatile(
        "ldr %[n], [%[k], #0]\n\t"
        "ldr %[m], [%[k], #4]\n\t"
        "vldmia %[n], {s0-s2}\n\t"
        "add %[n], %[n], %[m]\n\t"
        "vldmia %[n], {s3-s5}\n\t"
        "add %[n], %[n], %[m]\n\t"
        "vldmia %[n], {s6-s8}\n\t"
        "add %[n], %[n], %[m]\n\t"
        "vldmia %[n], {s9-s11}\n\t"
        "ldr %[m], [%[k], #8]\n\t"
        "1:\n\t"
        "ldr %[n], [%[k], #12]\n\t"
        "cmp %[n], #0\n\t"
        "beq 3f\n\t"
        "2:\n\t"
        "vldmia %[g0]!, {s12-s13}\n\t"
        "vldmia %[g1]!, {s14-s15}\n\t"
        "vldmia %[g2]!, {s16-s17}\n\t"
        "vldmia %[g3]!, {s18-s19}\n\t"
        "vldmia %[x], {s20-s25}\n\t"
        "add %[x], %[x], #8\n\t"
        "vfma.f32 s0, s20, s12\n\t"
        "vfma.f32 s0, s21, s13\n\t"
        "vfma.f32 s1, s22, s12\n\t"
        "vfma.f32 s1, s23, s13\n\t"
        "vfma.f32 s2, s24, s12\n\t"
        "vfma.f32 s2, s25, s13\n\t"
        "vfma.f32 s3, s20, s14\n\t"
        "vfma.f32 s3, s21, s15\n\t"
        "vfma.f32 s4, s22, s14\n\t"
        "vfma.f32 s4, s23, s15\n\t"
        "vfma.f32 s5, s24, s14\n\t"
        "vfma.f32 s5, s25, s15\n\t"
        "vfma.f32 s6, s20, s16\n\t"
        "vfma.f32 s6, s21, s17\n\t"
        "vfma.f32 s7, s22, s16\n\t"
        "vfma.f32 s7, s23, s17\n\t"
        "vfma.f32 s8, s24, s16\n\t"
        "vfma.f32 s8, s25, s17\n\t"
        "vfma.f32 s9, s20, s18\n\t"
        "vfma.f32 s9, s21, s19\n\t"
        "vfma.f32 s10, s22, s18\n\t"
        "vfma.f32 s10, s23, s19\n\t"
        "vfma.f32 s11, s24, s18\n\t"
        "vfma.f32 s11, s25, s19\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 2b\n\t"
        "3:\n\t"
        "ldr %[n], [%[k], #16]\n\t"
        "cmp %[n], #0\n\t"
        "beq 4f\n\t"
        "vldmia %[g0]!, {s12}\n\t"
        "vldmia %[g1]!, {s14}\n\t"
        "vldmia %[g2]!, {s16}\n\t"
        "vldmia %[g3]!, {s18}\n\t"
        "vldmia %[x], {s20-s24}\n\t"
        "add %[x], %[x], #4\n\t"
        "vfma.f32 s0, s20, s12\n\t"
        "vfma.f32 s1, s22, s12\n\t"
        "vfma.f32 s2, s24, s12\n\t"
        "vfma.f32 s3, s20, s14\n\t"
        "vfma.f32 s4, s22, s14\n\t"
        "vfma.f32 s5, s24, s14\n\t"
        "vfma.f32 s6, s20, s16\n\t"
        "vfma.f32 s7, s22, s16\n\t"
        "vfma.f32 s8, s24, s16\n\t"
        "vfma.f32 s9, s20, s18\n\t"
        "vfma.f32 s10, s22, s18\n\t"
        "vfma.f32 s11, s24, s18\n\t"
        "4:\n\t"
        "ldr %[n], [%[k], #20]\n\t"
        "add %[x], %[x], %[n]\n\t"
        "subs %[m], %[m], #1\n\t"
        "bne 1b\n\t"
        "ldr %[n], [%[k], #0]\n\t"
        "ldr %[m], [%[k], #4]\n\t"
        "vstmia %[n], {s0-s2}\n\t"
        "add %[n], %[n], %[m]\n\t"
        "vstmia %[n], {s3-s5}\n\t"
        "add %[n], %[n], %[m]\n\t"
        "vstmia %[n], {s6-s8}\n\t"
        "add %[n], %[n], %[m]\n\t"
        "vstmia %[n], {s9-s11}\n\t"
        : [g0] "+r"(g0), [g1] "+r"(g1), [g2] "+r"(g2), [g3] "+r"(g3), [x] "+r"(x),
          [n] "=&r"(n), [m] "=&r"(m)
        : [k] "r"(k)
        : MDY_ASM_CLOBBER_S0_15, "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24", "s25", "cc", "memory");
}
#endif

#endif /* MEDYATE_WGRAD_ASM_H */
