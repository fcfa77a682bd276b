/*
 * mdy_s8_dw3s2_asm.h: the Thumb-2 DSP rows of the int8 depthwise 3x3 stride_w 2 strips
 * (mdy_conv_s8_dw_strip.c includes it after mdy_s8_dwch_t; only that file). Same
 * arithmetic as mdy_s8_dw_rows(K 3, S 2, no quads), instruction for instruction: per
 * kernel row two word loads, SXTB16 (x0, x2), (x1, x3) and (x2, x4), SMLAD of the
 * weight pair, SMLAxy of the middle tap (rows 0 and 1 share s01, row 2 its own word);
 * then mdy_s8_rq_fast (AND, ORR, ADD, SMLAL, ASR) and the clamp of mdy_s8_clamp2 (SSAT,
 * BFI, SSUB8/SEL, STRH); the odd last pixel the same with one output.
 *
 * The strip's row pitch is the constant MDY_S8_DW3S2_PW (rows of out_w <= 16 windows),
 * so the three kernel rows are immediate offsets and need no register: with the weights
 * (5), k, the pointers and the 4 temporaries in registers, acc0, mult, sh, lo4 and hi4
 * are loaded from the stack where used. GCC's allocation of the C version kept fewer
 * constants in registers (63 instructions per output pair here 53, the row overhead
 * 30 -> 13).
 *
 * Registers: r0 x, r1 y, r2 end of the row's pairs, r3 p0, r4 p1, r5 p2 (weight pairs
 * (w0, w2) of kernel rows 0..2), r6 s01 (middle taps of rows 0 and 1), r7 s2, r8 k,
 * r9 loaded constants, r10 a0, r11 a1, r12 and lr temporaries.
 * Stack after `push {r4-r11, lr}; sub sp, #44` (8-byte aligned): [0] acc0, [4] mult,
 * [8] sh, [12] lo4, [16] hi4, [20] row step (stride_h * pitch) - 4 * pairs, [24] rows
 * left, [32] 4 * pairs, [36] out_w & 1; the caller's stack arguments at [80] out_w,
 * [84] y, [88] ch.
 */
#ifndef MDY_S8_DW3S2_ASM_H
#define MDY_S8_DW3S2_ASM_H

#define MDY_S8_DW3S2_PW 36    /* strip pitch: (out_w - 1) * 2 + 4 <= 36 */
#define MDY_S8_DW3S2_MAXW 16
#define MDY_S8_DW3S2_PW_W 124 /* wider rows: (out_w - 1) * 2 + 4 <= 124 */
#define MDY_S8_DW3S2_MAXW_W 60

#include <stddef.h>

/* the assembly reads mdy_s8_dwch_t at fixed offsets */
typedef char mdy_s8_dw3s2_layout_ok[(offsetof(mdy_s8_dwch_t, acc0) == 112 &&
                                     offsetof(mdy_s8_dwch_t, mult) == 116 &&
                                     offsetof(mdy_s8_dwch_t, k) == 120 &&
                                     offsetof(mdy_s8_dwch_t, sh) == 124 &&
                                     offsetof(mdy_s8_dwch_t, lo4) == 128 &&
                                     offsetof(mdy_s8_dwch_t, hi4) == 132 && MDY_S8_WROW == 4)
                                        ? 1
                                        : -1];

#if defined(__has_attribute)
#if __has_attribute(noipa)
#define MDY_S8_NOIPA noipa,
#endif
#endif
#ifndef MDY_S8_NOIPA
#define MDY_S8_NOIPA
#endif

/* one kernel row of a pair: x + OFF, weight pair P, middle tap half BB/TB of S */
#define MDY_S8_DW3S2_ROW2(OFF, OFF2, P, S, XB, XT, ACC0, ACC1)                              \
    "ldr r12, [r0, #" OFF "]\n\t"                                                          \
    "ldr lr, [r0, #" OFF2 "]\n\t"                                                          \
    "sxtb16 r9, r12\n\t"                                                                   \
    "smlad r10, " P ", r9, " ACC0 "\n\t"                                                   \
    "sxtb16 lr, lr\n\t"                                                                    \
    "smlad r11, " P ", lr, " ACC1 "\n\t"                                                   \
    "sxtb16 r12, r12, ror #8\n\t"                                                          \
    "smla" XB " r10, " S ", r12, r10\n\t"                                                  \
    "smla" XT " r11, " S ", r12, r11\n\t"

/* one kernel row of the odd last pixel */
#define MDY_S8_DW3S2_ROW1(OFF, P, S, XB, ACC0)                                              \
    "ldr r12, [r0, #" OFF "]\n\t"                                                          \
    "sxtb16 lr, r12\n\t"                                                                   \
    "smlad r10, " P ", lr, " ACC0 "\n\t"                                                   \
    "sxtb16 r12, r12, ror #8\n\t"                                                          \
    "smla" XB " r10, " S ", r12, r10\n\t"

#define MDY_S8_IN __attribute__((unused)) /* read by the assembly (AAPCS r0-r3, stack) */
/* one instance per strip pitch PW (strings: PW, PW + 2, 2 PW, 2 PW + 2) */
#define MDY_S8_DW3S2_FN(NAME, PW, PW2, PWW, PWW2)\
__attribute__((naked, noinline, MDY_S8_NOIPA unused)) static void NAME(                               \
    MDY_S8_IN const int8_t *buf, MDY_S8_IN int32_t pw, MDY_S8_IN int32_t sh, MDY_S8_IN int32_t rows,  \
    MDY_S8_IN int32_t out_w, MDY_S8_IN int8_t *y, MDY_S8_IN const mdy_s8_dwch_t *ch)                  \
{                                                                                                     \
    __asm__("push {r4-r11, lr}\n\t"                                                                   \
            "sub sp, #44\n\t"                                                                         \
            "ldr r12, [sp, #88]\n\t"          /* ch */                                                \
            "ldr r4, [r12, #112]\n\t"                                                                 \
            "str r4, [sp, #0]\n\t"            /* acc0 */                                              \
            "ldr r4, [r12, #116]\n\t"                                                                 \
            "str r4, [sp, #4]\n\t"            /* mult */                                              \
            "ldr r8, [r12, #120]\n\t"         /* k */                                                 \
            "ldr r4, [r12, #124]\n\t"                                                                 \
            "str r4, [sp, #8]\n\t"            /* sh */                                                \
            "ldr r4, [r12, #128]\n\t"                                                                 \
            "str r4, [sp, #12]\n\t"           /* lo4 */                                               \
            "ldr r4, [r12, #132]\n\t"                                                                 \
            "str r4, [sp, #16]\n\t"           /* hi4 */                                               \
            "str r3, [sp, #24]\n\t"                                                                   \
            "ldr r4, [sp, #80]\n\t"           /* out_w */                                             \
            "bic r5, r4, #1\n\t"                                                                      \
            "lsl r5, r5, #1\n\t"                                                                      \
            "str r5, [sp, #32]\n\t"           /* 4 * (out_w >> 1) */                                  \
            "movs r3, #" PW "\n\t"                                                                    \
            "mul r2, r2, r3\n\t"             /* stride_h * MDY_S8_DW3S2_PW */                         \
            "sub r2, r2, r5\n\t"                                                                      \
            "str r2, [sp, #20]\n\t"           /* minus the pairs' advance of x */                     \
            "and r4, r4, #1\n\t"                                                                      \
            "str r4, [sp, #36]\n\t"                                                                   \
            "ldr r1, [sp, #84]\n\t"           /* y */                                                 \
            "ldr r3, [r12, #0]\n\t"           /* wr[0] */                                             \
            "ldr r4, [r12, #16]\n\t"          /* wr[4] */                                             \
            "ldr r5, [r12, #32]\n\t"          /* wr[8] */                                             \
            "ldr r7, [r12, #36]\n\t"          /* wr[9] */                                             \
            "ldr r6, [r12, #4]\n\t"                                                                   \
            "ldr r9, [r12, #20]\n\t"                                                                  \
            "pkhbt r6, r6, r9, lsl #16\n\t"   /* (wr[1], wr[5]) */                                    \
            "1:\n\t"                          /* row: r0 its first window */                          \
            "ldr r2, [sp, #32]\n\t"                                                                   \
            "add r2, r2, r0\n\t"                                                                      \
            "cmp r0, r2\n\t"                                                                          \
            "beq 3f\n\t"                                                                              \
            "2:\n\t"                          /* pair */                                              \
            "ldr r9, [sp, #0]\n\t"                                                                    \
            "ldr r12, [r0]\n\t"                                                                       \
            "ldr lr, [r0, #2]\n\t"                                                                    \
            "sxtb16 r10, r12\n\t"                                                                     \
            "smlad r10, r3, r10, r9\n\t"                                                              \
            "sxtb16 lr, lr\n\t"                                                                       \
            "smlad r11, r3, lr, r9\n\t"                                                               \
            "sxtb16 r12, r12, ror #8\n\t"                                                             \
            "smlabb r10, r6, r12, r10\n\t"                                                            \
            "smlabt r11, r6, r12, r11\n\t"                                                            \
            MDY_S8_DW3S2_ROW2(PW, PW2, "r4", "r6", "tb", "tt", "r10", "r11")                          \
            MDY_S8_DW3S2_ROW2(PWW, PWW2, "r5", "r7", "bb", "bt", "r10", "r11")                        \
            "ldr r9, [sp, #4]\n\t"            /* mult */                                              \
            MDY_S8_ASM_RQ_LO("r12", "r10")                                                           \
            "add lr, r8, r10, asr #31\n\t"                                                            \
            "smlal r12, lr, r10, r9\n\t"                                                              \
            MDY_S8_ASM_RQ_LO("r12", "r11")                                                           \
            "add r10, r8, r11, asr #31\n\t"                                                           \
            "smlal r12, r10, r11, r9\n\t"                                                             \
            "ldr r9, [sp, #8]\n\t"            /* sh */                                                \
            "asr lr, lr, r9\n\t"                                                                      \
            "asr r10, r10, r9\n\t"                                                                    \
            "ssat lr, #8, lr\n\t"                                                                     \
            "ssat r10, #8, r10\n\t"                                                                   \
            "bfi lr, r10, #8, #8\n\t"                                                                 \
            "ldr r9, [sp, #12]\n\t"           /* lo4 */                                               \
            "ssub8 r12, lr, r9\n\t"                                                                   \
            "sel lr, lr, r9\n\t"                                                                      \
            "ldr r9, [sp, #16]\n\t"           /* hi4 */                                               \
            "ssub8 r12, lr, r9\n\t"                                                                   \
            "sel lr, r9, lr\n\t"                                                                      \
            "strh lr, [r1], #2\n\t"                                                                   \
            "add r0, r0, #4\n\t"                                                                      \
            "cmp r0, r2\n\t"                                                                          \
            "bne 2b\n\t"                                                                              \
            "3:\n\t"                          /* odd last pixel */                                    \
            "ldr r9, [sp, #36]\n\t"                                                                   \
            "cmp r9, #0\n\t"                                                                          \
            "beq 4f\n\t"                                                                              \
            "ldr r9, [sp, #0]\n\t"                                                                    \
            MDY_S8_DW3S2_ROW1("0", "r3", "r6", "bb", "r9")                                            \
            MDY_S8_DW3S2_ROW1(PW, "r4", "r6", "tb", "r10")                                            \
            MDY_S8_DW3S2_ROW1(PWW, "r5", "r7", "bb", "r10")                                           \
            "ldr r9, [sp, #4]\n\t"                                                                    \
            MDY_S8_ASM_RQ_LO("r12", "r10")                                                           \
            "add lr, r8, r10, asr #31\n\t"                                                            \
            "smlal r12, lr, r10, r9\n\t"                                                              \
            "ldr r9, [sp, #8]\n\t"                                                                    \
            "asr lr, lr, r9\n\t"                                                                      \
            "ssat lr, #8, lr\n\t"                                                                     \
            "ldr r9, [sp, #12]\n\t"                                                                   \
            "ssub8 r12, lr, r9\n\t"                                                                   \
            "sel lr, lr, r9\n\t"                                                                      \
            "ldr r9, [sp, #16]\n\t"                                                                   \
            "ssub8 r12, lr, r9\n\t"                                                                   \
            "sel lr, r9, lr\n\t"                                                                      \
            "strb lr, [r1], #1\n\t"                                                                   \
            "4:\n\t"                          /* next row */                                          \
            "ldr r9, [sp, #20]\n\t"                                                                   \
            "add r0, r0, r9\n\t"                                                                      \
            "ldr r9, [sp, #24]\n\t"                                                                   \
            "subs r9, r9, #1\n\t"                                                                     \
            "str r9, [sp, #24]\n\t"                                                                   \
            "bne 1b\n\t"                                                                              \
            "add sp, #44\n\t"                                                                         \
            "pop {r4-r11, pc}\n\t");                                                                  \
}

/* rows of <= 16 windows: pitch 36; <= 60 windows: pitch 124 (16 strip rows, 7 output
 * rows per strip) */
MDY_S8_DW3S2_FN(mdy_s8_dw3s2_rows_asm, "36", "38", "72", "74")
MDY_S8_DW3S2_FN(mdy_s8_dw3s2_rows_asm_w, "124", "126", "248", "250")

#endif /* MDY_S8_DW3S2_ASM_H */
