/*
 * mdy_s8_dw3s2d_asm.h: the Thumb-2 DSP rows of mdy_conv_s8_dw3s2 (included by that file
 * only, after mdy_s8_dw3s2d_ch_t and mdy_s8_dw3s2d_geom_t). The arithmetic of the
 * portable mdy_s8_dw3s2d_rows and mdy_s8_dw3s2d_prep there, instruction for instruction,
 * over g->n_ch channels: per channel the weight words and constants (a channel off
 * mdy_s8_rq_fast's range sets g->slow and is computed anyway; the caller redoes it), per output row
 * outputs 0 and 1, the pairs, the tail; requantization as mdy_s8_rq_fast (AND, ORR,
 * ADD/ASR, SMLAL, ASR) and the clamp of mdy_s8_clamp2 (SSAT, BFI, SSUB8/SEL, STRH).
 *
 * Registers: r0 r1 r2 the three input rows of the output row (post-incremented), r3 r4
 * r5 the weight pairs (w0, w2) of kernel rows 0..2, r6 (w1, w4), r7 (w7 << 16 | sh: ASR
 * reads the low byte), r8 y, r9 constants, r10 r11 accumulators, r12 lr temporaries.
 * Stack after `push {r4-r11, lr}; sub sp, #124`: [0] acc0 [4] acc0L [8] acc0R [12] mult
 * [16] k [24] lo4 [28] hi4 [32] in_w [36] rows after this one [40] this output row's
 * row 2 (the next one's row 0) [44] the last output row's row 2 [48] end of the pairs
 * (r1) [52] plane [56] weights [60] address after outputs 0, 1 (the pairs or
 * the tail) [64] channels left [68] 3 + 4 * pairs [72] address of the tail [76] zrow
 * [80] out_h - 1 [84] lastoff [88] in_plane [92] bias [96] mult [100] shift [104] (-zp, -zp)
 * [108] 2 * out_zp + 1 [112] slow [116] g.
 */
#ifndef MDY_S8_DW3S2D_ASM_H
#define MDY_S8_DW3S2D_ASM_H

#include <stddef.h>

typedef char mdy_s8_dw3s2d_layout_ok[(offsetof(mdy_s8_dw3s2d_geom_t, n) == 4 &&
                                      offsetof(mdy_s8_dw3s2d_geom_t, h) == 8 &&
                                      offsetof(mdy_s8_dw3s2d_geom_t, p4) == 12 &&
                                      offsetof(mdy_s8_dw3s2d_geom_t, tail) == 16 &&
                                      offsetof(mdy_s8_dw3s2d_geom_t, lastoff) == 20 &&
                                      offsetof(mdy_s8_dw3s2d_geom_t, in_plane) == 24 &&
                                      offsetof(mdy_s8_dw3s2d_geom_t, n_ch) == 28 &&
                                      offsetof(mdy_s8_dw3s2d_geom_t, lo4) == 32 &&
                                      offsetof(mdy_s8_dw3s2d_geom_t, hi4) == 36 &&
                                      offsetof(mdy_s8_dw3s2d_geom_t, w) == 40 &&
                                      offsetof(mdy_s8_dw3s2d_geom_t, bias) == 44 &&
                                      offsetof(mdy_s8_dw3s2d_geom_t, mult) == 48 &&
                                      offsetof(mdy_s8_dw3s2d_geom_t, shift) == 52 &&
                                      offsetof(mdy_s8_dw3s2d_geom_t, nzz) == 56 &&
                                      offsetof(mdy_s8_dw3s2d_geom_t, zp2) == 60 &&
                                      offsetof(mdy_s8_dw3s2d_geom_t, slow) == 64 &&
                                      MDY_S8_DW3S2D_NS == 1 && MDY_S8_DW3S2D_RS == 2 &&
                                      MDY_S8_DW3S2D_RP == 3)
                                         ? 1
                                         : -1];

#if defined(__has_attribute)
#if __has_attribute(noipa)
#define MDY_S8_DW3S2D_NOIPA noipa,
#endif
#endif
#ifndef MDY_S8_DW3S2D_NOIPA
#define MDY_S8_DW3S2D_NOIPA
#endif

/* r10 (a0), r11 (a1) requantized, clamped, stored as two bytes at y */
#define MDY_S8_DW3S2D_REQ2                                                                   \
    "ldr r9, [sp, #12]\n\t"                                                                  \
    MDY_S8_ASM_RQ_LO("r12", "r10")                                                          \
    "asr lr, r10, #31\n\t"                                                                   \
    "smlal r12, lr, r10, r9\n\t"                                                             \
    "ldr r10, [sp, #16]\n\t"                                                                 \
    "add lr, lr, r10\n\t"                                                                    \
    MDY_S8_ASM_RQ_LO("r12", "r11")                                                          \
    "add r10, r10, r11, asr #31\n\t"                                                         \
    "smlal r12, r10, r11, r9\n\t"                                                            \
    "asr lr, lr, r7\n\t"                                                                     \
    "asr r10, r10, r7\n\t"                                                                   \
    "ssat lr, #8, lr\n\t"                                                                    \
    "ssat r10, #8, r10\n\t"                                                                  \
    "bfi lr, r10, #8, #8\n\t"                                                                \
    "ldr r9, [sp, #24]\n\t"                                                                  \
    "ssub8 r12, lr, r9\n\t"                                                                  \
    "sel lr, lr, r9\n\t"                                                                     \
    "ldr r9, [sp, #28]\n\t"                                                                  \
    "ssub8 r12, lr, r9\n\t"                                                                  \
    "sel lr, r9, lr\n\t"                                                                     \
    "strh lr, [r8], #2\n\t"

/* r10 requantized, clamped, stored as one byte */
#define MDY_S8_DW3S2D_REQ1                                                                   \
    "ldr r9, [sp, #12]\n\t"                                                                  \
    MDY_S8_ASM_RQ_LO("r12", "r10")                                                          \
    "ldr lr, [sp, #16]\n\t"                                                                  \
    "add lr, lr, r10, asr #31\n\t"                                                           \
    "smlal r12, lr, r10, r9\n\t"                                                             \
    "asr lr, lr, r7\n\t"                                                                     \
    "ssat lr, #8, lr\n\t"                                                                    \
    "ldr r9, [sp, #24]\n\t"                                                                  \
    "ssub8 r12, lr, r9\n\t"                                                                  \
    "sel lr, lr, r9\n\t"                                                                     \
    "ldr r9, [sp, #28]\n\t"                                                                  \
    "ssub8 r12, lr, r9\n\t"                                                                  \
    "sel lr, r9, lr\n\t"                                                                     \
    "strb lr, [r8], #1\n\t"

/* outputs 0 (r10) and 1 (r11), one kernel row: X row pointer (post-incremented by 3),
 * P weight pair, S/SX the middle tap's register and half */
#define MDY_S8_DW3S2D_LP(X, P, S, SX)                                                        \
    "ldr r12, [" X "], #3\n\t"                                                               \
    "sxtb16 lr, r12, ror #8\n\t"                                                             \
    "smlatb r10, " P ", lr, r10\n\t"                                                         \
    "smlad r11, " P ", lr, r11\n\t"                                                          \
    "sxtb16 r12, r12\n\t"                                                                    \
    "smla" SX "b r10, " S ", r12, r10\n\t"                                                   \
    "smla" SX "t r11, " S ", r12, r11\n\t"

/* a pair from column c, one kernel row (X post-incremented by 4) */
#define MDY_S8_DW3S2D_PAIR(X, P, S, SX, A0, A1)                                              \
    "ldr r12, [" X ", #1]\n\t"                                                               \
    "ldr lr, [" X "], #4\n\t"                                                                \
    "sxtb16 r12, r12, ror #8\n\t"                                                            \
    "smlad r11, " P ", r12, " A1 "\n\t"                                                      \
    "sxtb16 r12, lr\n\t"                                                                     \
    "smlad r10, " P ", r12, " A0 "\n\t"                                                      \
    "sxtb16 lr, lr, ror #8\n\t"                                                              \
    "smla" SX "b r10, " S ", lr, r10\n\t"                                                    \
    "smla" SX "t r11, " S ", lr, r11\n\t"

/* tail NS: one output, word at c - 1 */
#define MDY_S8_DW3S2D_NS(X, P, S, SX, A0)                                                    \
    "ldr r12, [" X ", #-1]\n\t"                                                              \
    "sxtb16 lr, r12, ror #8\n\t"                                                             \
    "smlad r10, " P ", lr, " A0 "\n\t"                                                       \
    "sxtb16 r12, r12\n\t"                                                                    \
    "smla" SX "t r10, " S ", r12, r10\n\t"

/* tail RS: the right-edge output, word at c - 2 */
#define MDY_S8_DW3S2D_RS(X, P, S, SX, A0)                                                    \
    "ldr r12, [" X ", #-2]\n\t"                                                              \
    "sxtb16 lr, r12\n\t"                                                                     \
    "smlabt r10, " P ", lr, " A0 "\n\t"                                                      \
    "sxtb16 r12, r12, ror #8\n\t"                                                            \
    "smla" SX "t r10, " S ", r12, r10\n\t"

/* tail RP: an output (r10) and the right-edge one (r11), word at c */
#define MDY_S8_DW3S2D_RP(X, P, S, SX)                                                        \
    "ldr r12, [" X "]\n\t"                                                                   \
    "sxtb16 lr, r12\n\t"                                                                     \
    "smlad r10, " P ", lr, r10\n\t"                                                          \
    "smlabt r11, " P ", lr, r11\n\t"                                                         \
    "sxtb16 r12, r12, ror #8\n\t"                                                            \
    "smla" SX "b r10, " S ", r12, r10\n\t"                                                   \
    "smla" SX "t r11, " S ", r12, r11\n\t"

/* one channel's weights (r3..r7), acc0/L/R, mult, k (stack) from the pointers on the
 * stack; g->slow when off mdy_s8_rq_fast's range */
#define MDY_S8_DW3S2D_PREP \
    "ldr r12, [sp, #56]\n\t" \
    "ldr r9, [r12]\n\t"       /* w0..w3 */ \
    "ldr r10, [r12, #3]\n\t"  /* w3..w6 */ \
    "ldr r11, [r12, #5]\n\t"  /* w5..w8 */ \
    "add r12, r12, #9\n\t" \
    "str r12, [sp, #56]\n\t" \
    "sxtb16 r3, r9\n\t"       /* (w0, w2) */ \
    "sxtb16 r4, r10\n\t"      /* (w3, w5) */ \
    "sxtb16 r5, r11, ror #8\n\t" /* (w6, w8) */ \
    "sxtb16 r9, r9, ror #8\n\t" \
    "sxtb16 r10, r10, ror #8\n\t" \
    "pkhbt r6, r9, r10, lsl #16\n\t" /* (w1, w4) */ \
    "sxtb16 r7, r11\n\t"      /* (w5, w7) */ \
    "ldr r12, [sp, #92]\n\t" \
    "ldr r9, [r12], #4\n\t"   /* bias */ \
    "str r12, [sp, #92]\n\t" \
    "ldr r12, [sp, #104]\n\t" /* (-zp, -zp) */ \
    "smlad r9, r3, r12, r9\n\t" \
    "smlad r9, r4, r12, r9\n\t" \
    "smlad r9, r5, r12, r9\n\t" \
    "smlad r9, r6, r12, r9\n\t" \
    "smlatb r9, r7, r12, r9\n\t" /* acc0 */ \
    "smulbb r10, r3, r12\n\t" \
    "smlabb r10, r4, r12, r10\n\t" \
    "smlabb r10, r5, r12, r10\n\t" \
    "sub r10, r9, r10\n\t"    /* acc0L: + zp * (w0 + w3 + w6) */ \
    "smultb r11, r3, r12\n\t" \
    "smlatb r11, r4, r12, r11\n\t" \
    "smlatb r11, r5, r12, r11\n\t" \
    "sub r11, r9, r11\n\t"    /* acc0R: + zp * (w2 + w5 + w8) */ \
    "stmia sp, {r9-r11}\n\t" \
    "ldr r12, [sp, #100]\n\t" \
    "ldr lr, [r12], #4\n\t"   /* shift */ \
    "str r12, [sp, #100]\n\t" \
    "mvn lr, lr\n\t"          /* sh = r - 1 */ \
    "bfi r7, lr, #0, #16\n\t" /* (sh, w7) */ \
    "sub lr, lr, #1\n\t"      /* r - 2 */ \
    "ldr r12, [sp, #108]\n\t" \
    "lsl r12, r12, lr\n\t" \
    "str r12, [sp, #16]\n\t"  /* k */ \
    "ldr r12, [sp, #96]\n\t" \
    "ldr r9, [r12], #4\n\t"   /* mult */ \
    "str r12, [sp, #96]\n\t" \
    "str r9, [sp, #12]\n\t" \
    "orr r9, lr, r9, asr #31\n\t" \
    "cmp r9, #21\n\t" \
    "it hi\n\t" \
    "strhi r9, [sp, #112]\n\t" /* off mdy_s8_rq_fast's range: the caller redoes it */

#define MDY_S8_IN3 __attribute__((unused)) /* read by the assembly (AAPCS r0-r3) */

__attribute__((naked, noinline, MDY_S8_DW3S2D_NOIPA unused)) static void mdy_s8_dw3s2d_rows(
    MDY_S8_IN3 const int8_t *plane, MDY_S8_IN3 int8_t *y, MDY_S8_IN3 mdy_s8_dw3s2d_geom_t *g)
{
    __asm__("push {r4-r11, lr}\n\t"
            "sub sp, #124\n\t"
            "str r0, [sp, #52]\n\t"
            "mov r8, r1\n\t"
            "mov r3, r2\n\t"
            "str r3, [sp, #116]\n\t"  /* g */
            "ldr r9, [r3, #0]\n\t"
            "str r9, [sp, #76]\n\t"   /* zrow */
            "ldr r9, [r3, #4]\n\t"
            "str r9, [sp, #32]\n\t"   /* in_w */
            "ldr r9, [r3, #8]\n\t"
            "sub r9, r9, #1\n\t"
            "str r9, [sp, #80]\n\t"   /* out_h - 1 */
            "ldr r9, [r3, #20]\n\t"
            "str r9, [sp, #84]\n\t"   /* lastoff */
            "ldr r9, [r3, #24]\n\t"
            "str r9, [sp, #88]\n\t"   /* in_plane */
            "ldr r9, [r3, #28]\n\t"
            "str r9, [sp, #64]\n\t"   /* channels */
            "ldr r9, [r3, #32]\n\t"
            "str r9, [sp, #24]\n\t"   /* lo4 */
            "ldr r9, [r3, #36]\n\t"
            "str r9, [sp, #28]\n\t"   /* hi4 */
            "ldr r9, [r3, #40]\n\t"
            "str r9, [sp, #56]\n\t"   /* w */
            "ldr r9, [r3, #44]\n\t"
            "str r9, [sp, #92]\n\t"   /* bias */
            "ldr r9, [r3, #48]\n\t"
            "str r9, [sp, #96]\n\t"   /* mult */
            "ldr r9, [r3, #52]\n\t"
            "str r9, [sp, #100]\n\t"  /* shift */
            "ldr r9, [r3, #56]\n\t"
            "str r9, [sp, #104]\n\t"  /* (-zp, -zp) */
            "ldr r9, [r3, #60]\n\t"
            "str r9, [sp, #108]\n\t"  /* 2 * out_zp + 1 */
            "movs r9, #0\n\t"
            "str r9, [sp, #112]\n\t"  /* slow */
            /* the tail's address (Thumb bit set), then what follows outputs 0 and 1 */
            "ldr r9, [r3, #16]\n\t"
            "adr r12, 4f\n\t"
            "cmp r9, #1\n\t"
            "it eq\n\t"
            "adreq r12, 9f\n\t"
            "cmp r9, #2\n\t"
            "it eq\n\t"
            "adreq r12, 7f\n\t"
            "cmp r9, #3\n\t"
            "it eq\n\t"
            "adreq r12, 8f\n\t"
            "add r12, r12, #1\n\t"
            "str r12, [sp, #72]\n\t"
            "ldr r9, [r3, #12]\n\t"   /* 4 * pairs */
            "adr lr, 2f\n\t"
            "add lr, lr, #1\n\t"
            "cmp r9, #0\n\t"
            "it eq\n\t"
            "moveq lr, r12\n\t"
            "str lr, [sp, #60]\n\t"
            "add r9, r9, #3\n\t"
            "str r9, [sp, #68]\n\t"   /* 3 + 4 * pairs: row 1's advance over the pairs */
            "5:\n\t"                  /* channel */
            MDY_S8_DW3S2D_PREP
            "ldr r1, [sp, #52]\n\t"   /* row 0 */
            "ldr r9, [sp, #32]\n\t"
            "add r2, r1, r9\n\t"      /* row 1 */
            "ldr r0, [sp, #76]\n\t"   /* row -1: zp */
            "ldr r9, [sp, #84]\n\t"
            "cmp r9, #0\n\t"
            "ite lt\n\t"
            "ldrlt r9, [sp, #76]\n\t"
            "addge r9, r1, r9\n\t"
            "str r9, [sp, #44]\n\t"
            "ldr r9, [sp, #68]\n\t"
            "add r9, r9, r1\n\t"
            "str r9, [sp, #48]\n\t"   /* end of the pairs (r1) */
            "ldr r9, [sp, #80]\n\t"
            "str r9, [sp, #36]\n\t"   /* rows after this one */
            "cmp r9, #0\n\t"
            "it eq\n\t"
            "ldreq r2, [sp, #44]\n\t"
            "1:\n\t"                  /* output row */
            "str r2, [sp, #40]\n\t"
            "ldr r10, [sp, #4]\n\t"
            "ldr r11, [sp, #0]\n\t"
            MDY_S8_DW3S2D_LP("r0", "r3", "r6", "b")
            MDY_S8_DW3S2D_LP("r1", "r4", "r6", "t")
            MDY_S8_DW3S2D_LP("r2", "r5", "r7", "t")
            MDY_S8_DW3S2D_REQ2
            "ldr pc, [sp, #60]\n\t"   /* the pairs or the tail */
            "2:\n\t"                  /* pair */
            "ldr r9, [sp, #0]\n\t"
            MDY_S8_DW3S2D_PAIR("r0", "r3", "r6", "b", "r9", "r9")
            MDY_S8_DW3S2D_PAIR("r1", "r4", "r6", "t", "r10", "r11")
            MDY_S8_DW3S2D_PAIR("r2", "r5", "r7", "t", "r10", "r11")
            MDY_S8_DW3S2D_REQ2
            "ldr r9, [sp, #48]\n\t"
            "cmp r1, r9\n\t"
            "bne 2b\n\t"
            "ldr pc, [sp, #72]\n\t"   /* the tail */
            "9:\n\t"                  /* NS */
            "ldr r9, [sp, #0]\n\t"
            MDY_S8_DW3S2D_NS("r0", "r3", "r6", "b", "r9")
            MDY_S8_DW3S2D_NS("r1", "r4", "r6", "t", "r10")
            MDY_S8_DW3S2D_NS("r2", "r5", "r7", "t", "r10")
            MDY_S8_DW3S2D_REQ1
            "b 4f\n\t"
            "7:\n\t"                  /* RS */
            "ldr r9, [sp, #8]\n\t"
            MDY_S8_DW3S2D_RS("r0", "r3", "r6", "b", "r9")
            MDY_S8_DW3S2D_RS("r1", "r4", "r6", "t", "r10")
            MDY_S8_DW3S2D_RS("r2", "r5", "r7", "t", "r10")
            MDY_S8_DW3S2D_REQ1
            "b 4f\n\t"
            "8:\n\t"                  /* RP */
            "ldr r10, [sp, #0]\n\t"
            "ldr r11, [sp, #8]\n\t"
            MDY_S8_DW3S2D_RP("r0", "r3", "r6", "b")
            MDY_S8_DW3S2D_RP("r1", "r4", "r6", "t")
            MDY_S8_DW3S2D_RP("r2", "r5", "r7", "t")
            MDY_S8_DW3S2D_REQ2
            "4:\n\t"                  /* next output row */
            "ldr r9, [sp, #36]\n\t"
            "subs r9, r9, #1\n\t"
            "blt 6f\n\t"
            "str r9, [sp, #36]\n\t"
            "ldr r0, [sp, #40]\n\t"
            "ldr r12, [sp, #32]\n\t"
            "add r1, r0, r12\n\t"
            "add r2, r1, r12\n\t"
            "it eq\n\t"               /* the last row */
            "ldreq r2, [sp, #44]\n\t"
            "ldr r9, [sp, #68]\n\t"
            "add r9, r9, r1\n\t"
            "str r9, [sp, #48]\n\t"
            "b 1b\n\t"
            "6:\n\t"                  /* next channel */
            "ldr r9, [sp, #52]\n\t"
            "ldr r12, [sp, #88]\n\t"
            "add r9, r9, r12\n\t"
            "str r9, [sp, #52]\n\t"
            "ldr r9, [sp, #64]\n\t"
            "subs r9, r9, #1\n\t"
            "str r9, [sp, #64]\n\t"
            "bne 5b\n\t"
            "ldr r9, [sp, #112]\n\t"
            "ldr r12, [sp, #116]\n\t"
            "str r9, [r12, #64]\n\t"  /* g->slow */
            "add sp, #124\n\t"
            "pop {r4-r11, pc}\n\t");
}

/* Rows of 3 outputs (in_w 5: RS, 6: NS) and 3 output rows (in_h 5 or 6), unrolled: per
 * output row the three row pointers from the plane, outputs 0 and 1 (r9, r10) and the
 * tail (r11) from two words per kernel row, the three requantized together (one clamp,
 * STRH + STRB). Same stack and registers as mdy_s8_dw3s2d_rows. */
#define MDY_S8_DW3S2D_W3ROW(X, P, S, SX, TOFF, TAILOPS)                                      \
    "ldr r12, [" X "]\n\t"                                                                   \
    "sxtb16 lr, r12, ror #8\n\t"                                                             \
    "smlatb r9, " P ", lr, r9\n\t"                                                           \
    "smlad r10, " P ", lr, r10\n\t"                                                          \
    "sxtb16 r12, r12\n\t"                                                                    \
    "smla" SX "b r9, " S ", r12, r9\n\t"                                                     \
    "smla" SX "t r10, " S ", r12, r10\n\t"                                                   \
    "ldr r12, [" X ", #" TOFF "]\n\t"                                                        \
    TAILOPS(P, S, SX)

/* NS: word at column 2, o = (x3, x5), e = (x2, x4) */
#define MDY_S8_DW3S2D_W3NS(P, S, SX)                                                         \
    "sxtb16 lr, r12, ror #8\n\t"                                                             \
    "smlad r11, " P ", lr, r11\n\t"                                                          \
    "sxtb16 r12, r12\n\t"                                                                    \
    "smla" SX "t r11, " S ", r12, r11\n\t"

/* RS: word at column 1, e = (x1, x3), o = (x2, x4) */
#define MDY_S8_DW3S2D_W3RS(P, S, SX)                                                         \
    "sxtb16 lr, r12\n\t"                                                                     \
    "smlabt r11, " P ", lr, r11\n\t"                                                         \
    "sxtb16 r12, r12, ror #8\n\t"                                                            \
    "smla" SX "t r11, " S ", r12, r11\n\t"

#define MDY_S8_DW3S2D_REQ3                                                                   \
    "ldr r0, [sp, #12]\n\t"                                                                  \
    "ldr r1, [sp, #16]\n\t"                                                                  \
    MDY_S8_ASM_RQ_LO("r12", "r9")                                                          \
    "add lr, r1, r9, asr #31\n\t"                                                            \
    "smlal r12, lr, r9, r0\n\t"                                                              \
    MDY_S8_ASM_RQ_LO("r12", "r10")                                                          \
    "add r9, r1, r10, asr #31\n\t"                                                           \
    "smlal r12, r9, r10, r0\n\t"                                                             \
    MDY_S8_ASM_RQ_LO("r12", "r11")                                                          \
    "add r10, r1, r11, asr #31\n\t"                                                          \
    "smlal r12, r10, r11, r0\n\t"                                                            \
    "asr lr, lr, r7\n\t"                                                                     \
    "asr r9, r9, r7\n\t"                                                                     \
    "asr r10, r10, r7\n\t"                                                                   \
    "ssat lr, #8, lr\n\t"                                                                    \
    "ssat r9, #8, r9\n\t"                                                                    \
    "ssat r10, #8, r10\n\t"                                                                  \
    "bfi lr, r9, #8, #8\n\t"                                                                 \
    "bfi lr, r10, #16, #8\n\t"                                                               \
    "ldr r9, [sp, #24]\n\t"                                                                  \
    "ssub8 r12, lr, r9\n\t"                                                                  \
    "sel lr, lr, r9\n\t"                                                                     \
    "ldr r9, [sp, #28]\n\t"                                                                  \
    "ssub8 r12, lr, r9\n\t"                                                                  \
    "sel lr, r9, lr\n\t"                                                                     \
    "strh lr, [r8], #2\n\t"                                                                  \
    "lsr lr, lr, #16\n\t"                                                                    \
    "strb lr, [r8], #1\n\t"

/* one output row: accumulators from acc0L, acc0, ACC2 */
#define MDY_S8_DW3S2D_W3OUT(ACC2, TOFF, TAILOPS)                                             \
    "ldr r9, [sp, #4]\n\t"                                                                   \
    "ldr r10, [sp, #0]\n\t"                                                                  \
    "ldr r11, [sp, #" ACC2 "]\n\t"                                                           \
    MDY_S8_DW3S2D_W3ROW("r0", "r3", "r6", "b", TOFF, TAILOPS)                                \
    MDY_S8_DW3S2D_W3ROW("r1", "r4", "r6", "t", TOFF, TAILOPS)                                \
    MDY_S8_DW3S2D_W3ROW("r2", "r5", "r7", "t", TOFF, TAILOPS)                                \
    MDY_S8_DW3S2D_REQ3

#define MDY_S8_DW3S2D_W3FN(NAME, ACC2, TOFF, TAILOPS)                                        \
__attribute__((naked, noinline, MDY_S8_DW3S2D_NOIPA unused)) static void NAME(               \
    MDY_S8_IN3 const int8_t *plane, MDY_S8_IN3 int8_t *y, MDY_S8_IN3 mdy_s8_dw3s2d_geom_t *g) \
{                                                                                            \
    __asm__("push {r4-r11, lr}\n\t"                                                          \
            "sub sp, #124\n\t"                                                               \
            "str r0, [sp, #52]\n\t"                                                          \
            "mov r8, r1\n\t"                                                                 \
            "mov r3, r2\n\t"                                                                 \
            "str r3, [sp, #116]\n\t"                                                         \
            "ldr r9, [r3, #0]\n\t"                                                           \
            "str r9, [sp, #76]\n\t"                                                          \
            "ldr r9, [r3, #4]\n\t"                                                           \
            "str r9, [sp, #32]\n\t"                                                          \
            "ldr r9, [r3, #20]\n\t"                                                          \
            "str r9, [sp, #84]\n\t"                                                          \
            "ldr r9, [r3, #24]\n\t"                                                          \
            "str r9, [sp, #88]\n\t"                                                          \
            "ldr r9, [r3, #28]\n\t"                                                          \
            "str r9, [sp, #64]\n\t"                                                          \
            "ldr r9, [r3, #32]\n\t"                                                          \
            "str r9, [sp, #24]\n\t"                                                          \
            "ldr r9, [r3, #36]\n\t"                                                          \
            "str r9, [sp, #28]\n\t"                                                          \
            "ldr r9, [r3, #40]\n\t"                                                          \
            "str r9, [sp, #56]\n\t"                                                          \
            "ldr r9, [r3, #44]\n\t"                                                          \
            "str r9, [sp, #92]\n\t"                                                          \
            "ldr r9, [r3, #48]\n\t"                                                          \
            "str r9, [sp, #96]\n\t"                                                          \
            "ldr r9, [r3, #52]\n\t"                                                          \
            "str r9, [sp, #100]\n\t"                                                         \
            "ldr r9, [r3, #56]\n\t"                                                          \
            "str r9, [sp, #104]\n\t"                                                         \
            "ldr r9, [r3, #60]\n\t"                                                          \
            "str r9, [sp, #108]\n\t"                                                         \
            "movs r9, #0\n\t"                                                                \
            "str r9, [sp, #112]\n\t"                                                         \
            "5:\n\t"                                                                         \
            MDY_S8_DW3S2D_PREP                                                               \
            "ldr r1, [sp, #52]\n\t"            /* output row 0: rows -1 (zp), 0, 1 */        \
            "ldr r12, [sp, #32]\n\t"                                                         \
            "add r2, r1, r12\n\t"                                                            \
            "ldr r0, [sp, #76]\n\t"                                                          \
            MDY_S8_DW3S2D_W3OUT(ACC2, TOFF, TAILOPS)                                         \
            "ldr r12, [sp, #32]\n\t"           /* output row 1: rows 1, 2, 3 */              \
            "ldr r0, [sp, #52]\n\t"                                                          \
            "add r0, r0, r12\n\t"                                                            \
            "add r1, r0, r12\n\t"                                                            \
            "add r2, r1, r12\n\t"                                                            \
            MDY_S8_DW3S2D_W3OUT(ACC2, TOFF, TAILOPS)                                         \
            "ldr r12, [sp, #32]\n\t"           /* output row 2: rows 3, 4, 5 (or zp) */      \
            "ldr r1, [sp, #52]\n\t"                                                          \
            "ldr r2, [sp, #84]\n\t"                                                          \
            "add r0, r1, r12, lsl #1\n\t"                                                    \
            "add r0, r0, r12\n\t"                                                            \
            "cmp r2, #0\n\t"                                                                 \
            "ite lt\n\t"                                                                     \
            "ldrlt r2, [sp, #76]\n\t"                                                        \
            "addge r2, r1, r2\n\t"                                                           \
            "add r1, r0, r12\n\t"                                                            \
            MDY_S8_DW3S2D_W3OUT(ACC2, TOFF, TAILOPS)                                         \
            "ldr r9, [sp, #52]\n\t"                                                          \
            "ldr r12, [sp, #88]\n\t"                                                         \
            "add r9, r9, r12\n\t"                                                            \
            "str r9, [sp, #52]\n\t"                                                          \
            "ldr r9, [sp, #64]\n\t"                                                          \
            "subs r9, r9, #1\n\t"                                                            \
            "str r9, [sp, #64]\n\t"                                                          \
            "bne 5b\n\t"                                                                     \
            "ldr r9, [sp, #112]\n\t"                                                         \
            "ldr r12, [sp, #116]\n\t"                                                        \
            "str r9, [r12, #64]\n\t"                                                         \
            "add sp, #124\n\t"                                                               \
            "pop {r4-r11, pc}\n\t");                                                         \
}

MDY_S8_DW3S2D_W3FN(mdy_s8_dw3s2d_w3ns, "0", "2", MDY_S8_DW3S2D_W3NS)
MDY_S8_DW3S2D_W3FN(mdy_s8_dw3s2d_w3rs, "8", "1", MDY_S8_DW3S2D_W3RS)

#endif /* MDY_S8_DW3S2D_ASM_H */
