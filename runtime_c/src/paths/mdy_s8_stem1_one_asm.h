/*
 * mdy_s8_stem1_one_asm.h: the Thumb-2 DSP loop of mdy_conv_s8_stem1 on 1x1 outputs whose
 * taps 0..3 are all padding (or zp): 2x2 maps with stride 2 and pad 1, 1x1 maps with pad 1
 * (included by that file only). The arithmetic of g1_one (skip_a, mdy_conv_s8_stem1_one.c),
 * channel for channel.
 */
#ifndef MDY_S8_STEM1_ONE_ASM_H
#define MDY_S8_STEM1_ONE_ASM_H

#include <stddef.h>

/* one channel: LDR of w4..w7 (unaligned), SXTB16 (w4, w6) and ror 8 (w5, w7), SMLABB x4,
 * SMLAD (x5, x7), LDRSB w8 and SMLABT x8, from the bias; mdy_s8_rq_fast (its setup from
 * the shift: MVN, SUB, LSL), SSAT/BFI into the output word. r2 = r - 2 and the sign of
 * mult are ORed into r6: r2 outside [0, 15] or a negative mult leave it above 15 (the
 * caller then redoes the call; mdy_s8_rq_fast itself holds for r2 up to 21).
 * Registers: r0 (x4, x8), r1 the weights + 8 (+9 per channel), r2 (x5, x7), r3 bias,
 * r4 mult, r5 shift, r6 the ORed r2, r7 2 * out_zp + 1, r8 the output word, r9..r12 lr
 * temporaries; stack [0] out [4] out_end [8] lo4 [12] hi4. */
#define MDY_S8_G1ONE_CH1(FIRST)                                                              \
    "ldr r9, [r1, #-4]\n\t"                                                                  \
    "ldr r11, [r3], #4\n\t"                                                                  \
    "sxtb16 r10, r9\n\t"                                                                     \
    "smlabb r11, r10, r0, r11\n\t"                                                           \
    "sxtb16 r10, r9, ror #8\n\t"                                                             \
    "smlad r11, r10, r2, r11\n\t"                                                            \
    "ldrsb r12, [r1], #9\n\t"                                                                \
    "smlabt r11, r12, r0, r11\n\t"                                                           \
    "ldr r9, [r5], #4\n\t"                                                                   \
    "mvn r9, r9\n\t"                                                                         \
    "sub r10, r9, #1\n\t"                                                                    \
    "ldr r12, [r4], #4\n\t"                                                                  \
    "orr r6, r6, r10\n\t"                                                                    \
    "orr r6, r6, r12, asr #31\n\t"                                                           \
    "lsl r10, r7, r10\n\t"                                                                   \
    "add r10, r10, r11, asr #31\n\t"                                                         \
    MDY_S8_ASM_RQ_LO("lr", "r11")                                                            \
    "smlal lr, r10, r11, r12\n\t"                                                            \
    "asr r10, r10, r9\n\t"                                                                   \
    FIRST

#if defined(__has_attribute)
#if __has_attribute(noipa)
#define MDY_S8_G1ONE_NOIPA noipa,
#endif
#endif
#ifndef MDY_S8_G1ONE_NOIPA
#define MDY_S8_G1ONE_NOIPA
#endif
#define MDY_S8_G1ONE_IN __attribute__((unused)) /* read by the assembly (AAPCS) */

typedef char mdy_s8_g1one_ok[(offsetof(mdy_s8_requant_t, out_zp) == 4 &&
                              offsetof(mdy_s8_requant_t, act_min) == 8 &&
                              offsetof(mdy_s8_requant_t, act_max) == 12 &&
                              offsetof(mdy_s8_requant_t, mult) == 16 &&
                              offsetof(mdy_s8_requant_t, shift) == 20)
                                 ? 1
                                 : -1];

/* The 2x2 map x (4 bytes) padded by 1 on top and left: taps x4 x5 x7 x8, the rest
 * padding. Channels [0, out_end - out) (a multiple of 4, > 0) of weights w8 - 8, bias
 * (not NULL), q; above 15 when a channel was off the range above (redo them all). */
__attribute__((naked, noinline, MDY_S8_G1ONE_NOIPA unused)) static uint32_t mdy_s8_g1one_2x2_asm(
    MDY_S8_G1ONE_IN const int8_t *x, MDY_S8_G1ONE_IN const mdy_s8_requant_t *q,
    MDY_S8_G1ONE_IN const int8_t *w8, MDY_S8_G1ONE_IN int8_t *out,
    MDY_S8_G1ONE_IN const int32_t *bias, MDY_S8_G1ONE_IN int8_t *out_end)
{
    __asm__("push {r4-r11, lr}\n\t"
            "sub sp, #16\n\t"
            "ldr r9, [sp, #56]\n\t"
            "strd r3, r9, [sp, #0]\n\t"
            "ldr r3, [sp, #52]\n\t"
            "ldrd r4, r5, [r1, #16]\n\t"
            "ldrb r9, [r1, #8]\n\t"
            "orr r9, r9, r9, lsl #8\n\t"
            "orr r9, r9, r9, lsl #16\n\t"
            "ldrb r10, [r1, #12]\n\t"
            "orr r10, r10, r10, lsl #8\n\t"
            "orr r10, r10, r10, lsl #16\n\t"
            "strd r9, r10, [sp, #8]\n\t"
            "movs r6, #0\n\t"
            "ldrd r9, r7, [r1, #0]\n\t"
            "movs r10, #1\n\t"
            "add r7, r10, r7, lsl #1\n\t"
            "pkhbt r9, r9, r9, lsl #16\n\t"
            "mov r1, r2\n\t"
            "ldr r10, [r0]\n\t"
            "sxtb16 r11, r10\n\t"
            "ssub16 r11, r11, r9\n\t"
            "sxtb16 r12, r10, ror #8\n\t"
            "ssub16 r12, r12, r9\n\t"
            "pkhbt r0, r11, r12\n\t"
            "pkhbt r2, r12, r11\n\t"
            "1:\n\t"
            MDY_S8_G1ONE_CH1("ssat r8, #8, r10\n\t")
            MDY_S8_G1ONE_CH1("ssat r10, #8, r10\n\tbfi r8, r10, #8, #8\n\t")
            MDY_S8_G1ONE_CH1("ssat r10, #8, r10\n\tbfi r8, r10, #16, #8\n\t")
            MDY_S8_G1ONE_CH1("ssat r10, #8, r10\n\tbfi r8, r10, #24, #8\n\t")
            "ldrd r9, r10, [sp, #8]\n\t"
            "ssub8 r12, r8, r9\n\t"
            "sel r8, r8, r9\n\t"
            "ssub8 r12, r8, r10\n\t"
            "sel r8, r10, r8\n\t"
            "ldrd r9, r10, [sp, #0]\n\t"
            "str r8, [r9], #4\n\t"
            "str r9, [sp, #0]\n\t"
            "cmp r9, r10\n\t"
            "bne 1b\n\t"
            "mov r0, r6\n\t"
            "add sp, #16\n\t"
            "pop {r4-r11, pc}\n\t");
}

#endif /* MDY_S8_STEM1_ONE_ASM_H */
