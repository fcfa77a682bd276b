/*
 * mdy_s8_dw3s2d_map2_asm.h: the Thumb-2 DSP loop of mdy_conv_s8_dw3s2 on 2x2 maps
 * (included by that file only, after mdy_s8_dw3s2d_asm.h).
 */
#ifndef MDY_S8_DW3S2D_MAP2_ASM_H
#define MDY_S8_DW3S2D_MAP2_ASM_H

/* 2x2 maps, four channels per pass (n_c / 4 passes, in up to c->in_end): per channel
 * SXTAB16 of the plane word and (-zp, -zp), four LDRSB/SMLAxy, mdy_s8_rq_fast (its setup from
 * the shift: MVN, SUB, LSL), SSAT/BFI into the output word; SSUB8/SEL clamp of the word,
 * STR. A channel off mdy_s8_rq_fast's range sets c->slow (the caller redoes those). */
#define MDY_S8_DW3S2D_CH1(FIRST)                                                             \
    "ldr r9, [r0], #4\n\t"                                                                   \
    "sxtab16 r10, r6, r9\n\t"                                                                \
    "sxtab16 r9, r6, r9, ror #8\n\t"                                                         \
    "ldr r11, [r3], #4\n\t"                                                                  \
    "ldrsb r12, [r1, #-4]\n\t"                                                               \
    "smlabb r11, r12, r10, r11\n\t"                                                          \
    "ldrsb r12, [r1, #-3]\n\t"                                                               \
    "smlabb r11, r12, r9, r11\n\t"                                                           \
    "ldrsb r12, [r1, #-1]\n\t"                                                               \
    "smlabt r11, r12, r10, r11\n\t"                                                          \
    "ldrsb r12, [r1], #9\n\t"                                                                \
    "smlabt r11, r12, r9, r11\n\t"                                                           \
    "ldr r9, [r5], #4\n\t"                                                                   \
    "mvn r9, r9\n\t"                                                                         \
    "sub r10, r9, #1\n\t"                                                                    \
    "ldr r12, [r4], #4\n\t"                                                                  \
    "orr lr, r10, r12, asr #31\n\t"                                                          \
    "cmp lr, #21\n\t"                                                                        \
    "it hi\n\t"                                                                              \
    "strhi lr, [sp, #12]\n\t"                                                                \
    "lsl r10, r7, r10\n\t"                                                                   \
    "add r10, r10, r11, asr #31\n\t"                                                         \
    MDY_S8_ASM_RQ_LO("lr", "r11")                                                            \
    "smlal lr, r10, r11, r12\n\t"                                                            \
    "asr r10, r10, r9\n\t"                                                                   \
    FIRST

typedef struct {
    const int32_t *bias, *mult, *shift;
    int32_t nzz, zp2; /* (-zp, -zp), 2 * out_zp + 1 */
    uint32_t lo4, hi4;
    const int8_t *in_end;
    int32_t slow;
} mdy_s8_dw3s2d_map2_t;

typedef char mdy_s8_dw3s2d_map2_ok[(offsetof(mdy_s8_dw3s2d_map2_t, nzz) == 12 &&
                                    offsetof(mdy_s8_dw3s2d_map2_t, lo4) == 20 &&
                                    offsetof(mdy_s8_dw3s2d_map2_t, in_end) == 28 &&
                                    offsetof(mdy_s8_dw3s2d_map2_t, slow) == 32)
                                       ? 1
                                       : -1];

__attribute__((naked, noinline, MDY_S8_DW3S2D_NOIPA unused)) static void mdy_s8_dw3s2d_map2_asm(
    MDY_S8_IN3 const int8_t *in, MDY_S8_IN3 const int8_t *w8, MDY_S8_IN3 int8_t *out,
    MDY_S8_IN3 mdy_s8_dw3s2d_map2_t *c)
{
    __asm__("push {r4-r11, lr}\n\t"
            "sub sp, #20\n\t"
            "str r3, [sp, #16]\n\t"
            "ldr r9, [r3, #20]\n\t"
            "str r9, [sp, #0]\n\t"
            "ldr r9, [r3, #24]\n\t"
            "str r9, [sp, #4]\n\t"
            "ldr r9, [r3, #28]\n\t"
            "str r9, [sp, #8]\n\t"
            "movs r9, #0\n\t"
            "str r9, [sp, #12]\n\t"
            "ldr r4, [r3, #4]\n\t"
            "ldr r5, [r3, #8]\n\t"
            "ldr r6, [r3, #12]\n\t"
            "ldr r7, [r3, #16]\n\t"
            "ldr r3, [r3, #0]\n\t"
            "1:\n\t"
            MDY_S8_DW3S2D_CH1("ssat r8, #8, r10\n\t")
            MDY_S8_DW3S2D_CH1("ssat r10, #8, r10\n\tbfi r8, r10, #8, #8\n\t")
            MDY_S8_DW3S2D_CH1("ssat r10, #8, r10\n\tbfi r8, r10, #16, #8\n\t")
            MDY_S8_DW3S2D_CH1("ssat r10, #8, r10\n\tbfi r8, r10, #24, #8\n\t")
            "ldr r9, [sp, #0]\n\t"
            "ssub8 r12, r8, r9\n\t"
            "sel r8, r8, r9\n\t"
            "ldr r9, [sp, #4]\n\t"
            "ssub8 r12, r8, r9\n\t"
            "sel r8, r9, r8\n\t"
            "str r8, [r2], #4\n\t"
            "ldr r9, [sp, #8]\n\t"
            "cmp r0, r9\n\t"
            "bne 1b\n\t"
            "ldr r9, [sp, #16]\n\t"
            "ldr r10, [sp, #12]\n\t"
            "str r10, [r9, #32]\n\t"
            "add sp, #20\n\t"
            "pop {r4-r11, pc}\n\t");
}

#endif /* MDY_S8_DW3S2D_MAP2_ASM_H */
