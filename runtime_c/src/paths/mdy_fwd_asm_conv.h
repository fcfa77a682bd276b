/*
 * The KxK 3x3 block's inline assembly (mdy_conv_kxk_f32) for Thumb-2 +
 * FPv4/FPv5 single precision; the helpers, register conventions and the clamp text are
 * in mdy_fwd_asm.h. Without MDY_HAVE_FWD_ASM the callers run their C loops.
 */
#ifndef MEDYATE_FWD_ASM_CONV_H
#define MEDYATE_FWD_ASM_CONV_H

#include "mdy_fwd_asm.h"

#ifdef MDY_HAVE_FWD_ASM

/*
 * The 3x3 KxK block (mdy_conv_kxk_f32): 4 output channels x 4 pixels of one output row
 * over n >= 1 buffered input channels, stride S = 1 or 2 (S = 3: stride 1 with
 * dilation 2, pw_bytes then 2 strip rows). Per channel and window row:
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

#define MDY_ASM_K3_LOOP_S1_ROW \
    "vldmia %[x], {s16-s21}\n\t" \
    "vldmia %[w0]!, {s22-s24}\n\t" \
    MDY_FMA4(0, 1, 2, 3, 22, 16, 17, 18, 19) \
    MDY_FMA4(0, 1, 2, 3, 23, 17, 18, 19, 20) \
    MDY_FMA4(0, 1, 2, 3, 24, 18, 19, 20, 21) \
    "vldmia %[w1]!, {s25-s27}\n\t" \
    MDY_FMA4(4, 5, 6, 7, 25, 16, 17, 18, 19) \
    MDY_FMA4(4, 5, 6, 7, 26, 17, 18, 19, 20) \
    MDY_FMA4(4, 5, 6, 7, 27, 18, 19, 20, 21) \
    "vldmia %[w2]!, {s22-s24}\n\t" \
    MDY_FMA4(8, 9, 10, 11, 22, 16, 17, 18, 19) \
    MDY_FMA4(8, 9, 10, 11, 23, 17, 18, 19, 20) \
    MDY_FMA4(8, 9, 10, 11, 24, 18, 19, 20, 21) \
    "vldmia %[w3]!, {s25-s27}\n\t" \
    MDY_FMA4(12, 13, 14, 15, 25, 16, 17, 18, 19) \
    MDY_FMA4(12, 13, 14, 15, 26, 17, 18, 19, 20) \
    MDY_FMA4(12, 13, 14, 15, 27, 18, 19, 20, 21)
#define MDY_ASM_K3_LOOP_S1 \
    "1:\n\t" \
    MDY_ASM_K3_LOOP_S1_ROW "add %[x], %[x], %[pw]\n\t" \
    MDY_ASM_K3_LOOP_S1_ROW "add %[x], %[x], %[pw]\n\t" \
    MDY_ASM_K3_LOOP_S1_ROW "add %[x], %[x], %[cs]\n\t" \
    "subs %[n], %[n], #1\n\t" \
    "bne 1b\n\t"
#define MDY_ASM_K3_LOOP_S2_ROW \
    "vldmia %[x], {s16-s24}\n\t" \
    "vldmia %[w0]!, {s25-s27}\n\t" \
    MDY_FMA4(0, 1, 2, 3, 25, 16, 18, 20, 22) \
    MDY_FMA4(0, 1, 2, 3, 26, 17, 19, 21, 23) \
    MDY_FMA4(0, 1, 2, 3, 27, 18, 20, 22, 24) \
    "vldmia %[w1]!, {s28-s30}\n\t" \
    MDY_FMA4(4, 5, 6, 7, 28, 16, 18, 20, 22) \
    MDY_FMA4(4, 5, 6, 7, 29, 17, 19, 21, 23) \
    MDY_FMA4(4, 5, 6, 7, 30, 18, 20, 22, 24) \
    "vldmia %[w2]!, {s25-s27}\n\t" \
    MDY_FMA4(8, 9, 10, 11, 25, 16, 18, 20, 22) \
    MDY_FMA4(8, 9, 10, 11, 26, 17, 19, 21, 23) \
    MDY_FMA4(8, 9, 10, 11, 27, 18, 20, 22, 24) \
    "vldmia %[w3]!, {s28-s30}\n\t" \
    MDY_FMA4(12, 13, 14, 15, 28, 16, 18, 20, 22) \
    MDY_FMA4(12, 13, 14, 15, 29, 17, 19, 21, 23) \
    MDY_FMA4(12, 13, 14, 15, 30, 18, 20, 22, 24)
#define MDY_ASM_K3_LOOP_S2 \
    "1:\n\t" \
    MDY_ASM_K3_LOOP_S2_ROW "add %[x], %[x], %[pw]\n\t" \
    MDY_ASM_K3_LOOP_S2_ROW "add %[x], %[x], %[pw]\n\t" \
    MDY_ASM_K3_LOOP_S2_ROW "add %[x], %[x], %[cs]\n\t" \
    "subs %[n], %[n], #1\n\t" \
    "bne 1b\n\t"

/* Dilation 2, stride 1: the 4 pixels' 3 taps of one window row read 8 strip values
 * (x[q + 2 kw]); the caller passes pw = 2 strip rows (the window rows' distance). */
#define MDY_ASM_K3_LOOP_D2_ROW \
    "vldmia %[x], {s16-s23}\n\t" \
    "vldmia %[w0]!, {s24-s26}\n\t" \
    MDY_FMA4(0, 1, 2, 3, 24, 16, 17, 18, 19) \
    MDY_FMA4(0, 1, 2, 3, 25, 18, 19, 20, 21) \
    MDY_FMA4(0, 1, 2, 3, 26, 20, 21, 22, 23) \
    "vldmia %[w1]!, {s27-s29}\n\t" \
    MDY_FMA4(4, 5, 6, 7, 27, 16, 17, 18, 19) \
    MDY_FMA4(4, 5, 6, 7, 28, 18, 19, 20, 21) \
    MDY_FMA4(4, 5, 6, 7, 29, 20, 21, 22, 23) \
    "vldmia %[w2]!, {s24-s26}\n\t" \
    MDY_FMA4(8, 9, 10, 11, 24, 16, 17, 18, 19) \
    MDY_FMA4(8, 9, 10, 11, 25, 18, 19, 20, 21) \
    MDY_FMA4(8, 9, 10, 11, 26, 20, 21, 22, 23) \
    "vldmia %[w3]!, {s27-s29}\n\t" \
    MDY_FMA4(12, 13, 14, 15, 27, 16, 17, 18, 19) \
    MDY_FMA4(12, 13, 14, 15, 28, 18, 19, 20, 21) \
    MDY_FMA4(12, 13, 14, 15, 29, 20, 21, 22, 23)
#define MDY_ASM_K3_LOOP_D2 \
    "1:\n\t" \
    MDY_ASM_K3_LOOP_D2_ROW "add %[x], %[x], %[pw]\n\t" \
    MDY_ASM_K3_LOOP_D2_ROW "add %[x], %[x], %[pw]\n\t" \
    MDY_ASM_K3_LOOP_D2_ROW "add %[x], %[x], %[cs]\n\t" \
    "subs %[n], %[n], #1\n\t" \
    "bne 1b\n\t"

#define MDY_ASM_K3(LOOP, CLAMP)                                                             \
    __asm__ volatile("vldmia %[k], {s0-s15}\n\t" LOOP                                    \
                     "vldr s16, [%[k], #64]\n\t"                                         \
                     "vldr s17, [%[k], #68]\n\t"                                         \
                     "ldr %[n], [%[k], #72]\n\t" CLAMP                                  \
                     MDY_ASM_STORE4X4_BY("n")                                        \
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
    } else if (S == 3) {   /* stride 1, dilation 2 */
        if (ACT == 0) {
            MDY_ASM_K3(MDY_ASM_K3_LOOP_D2, "");
        } else if (ACT == 1) {
            MDY_ASM_K3(MDY_ASM_K3_LOOP_D2, MDY_ASM_CLAMP16_LO);
        } else {
            MDY_ASM_K3(MDY_ASM_K3_LOOP_D2, MDY_ASM_CLAMP16_LO MDY_ASM_CLAMP16_HI);
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

#endif /* MDY_HAVE_FWD_ASM */

#endif /* MEDYATE_FWD_ASM_CONV_H */
