/*
 * The pointwise 4 output channels x 4 pixels block with its clamp fused (mdy_conv_pointwise_f32)
 * and the integer-domain ReLU / ReLU6 it and mdy_gemm_f32 share, in Thumb-2 + FPv4/FPv5
 * inline assembly. Register conventions as mdy_fwd_asm.h.
 *
 * Why an integer clamp: the M4 FPU has no vmax/vmin (vmaxnm/vminnm are ARMv8), so a bound
 * costs vcmp + vmrs + it + vmov, 8 instructions per output for ReLU6 -- as much as the
 * MACs of an 8-input-channel pointwise layer. For lo = 0 the float bit patterns order as
 * signed integers: with two outputs moved to core registers per vmov,
 *   ReLU   v & ~(v >> 31)                        (negative -> +0.0)
 *   ReLU6  qadd(relu(v), c) - c, c = INT_MAX - bits(hi)  (saturates at bits(hi))
 * is 1.5 / 3.5 instructions per output, and the stm of 4 core registers stores them.
 * Same values as mdy_clampf for every non-NaN input (a -0.0 output becomes +0.0); a NaN
 * with the sign bit set becomes 0, one without it stays NaN under ReLU and becomes hi
 * under ReLU6 (mdy_clampf keeps every NaN).
 */
#ifndef MEDYATE_FWD_ASM_PW_H
#define MEDYATE_FWD_ASM_PW_H

#include <stdint.h>

#include "mdy_fwd_asm.h"

#ifdef MDY_HAVE_FWD_ASM

/* Fused clamp kinds of the pointwise block (compile-time at every call site). */
enum {
    MDY_PW_NONE = 0,  /* no clamp */
    MDY_PW_RELU = 1,  /* lo == 0, hi = +INF: integer */
    MDY_PW_RELU6 = 2, /* lo == 0 < hi < +INF: integer */
    MDY_PW_LO = 3,    /* any other lo, hi = +INF: vcmp */
    MDY_PW_BOTH = 4   /* any other bounds: vcmp */
};

/* The integer clamp of core registers r0-r3; ReLU6 with c in register %[x] (the input
 * pointer is dead by then). */
#define MDY_IRELU4                                                                         \
    "bic r0, r0, r0, asr #31\n\tbic r1, r1, r1, asr #31\n\t"                              \
    "bic r2, r2, r2, asr #31\n\tbic r3, r3, r3, asr #31\n\t"
#if defined(__ARM_FEATURE_DSP)
#define MDY_IMIN1(r) "qadd " r ", " r ", %[x]\n\tsub " r ", " r ", %[x]\n\t"
#else /* no QADD (a Cortex-M33 without the DSP extension): c is bits(hi) itself */
#define MDY_IMIN1(r) "cmp " r ", %[x]\n\tit gt\n\tmovgt " r ", %[x]\n\t"
#endif
#define MDY_IMIN4 MDY_IMIN1("r0") MDY_IMIN1("r1") MDY_IMIN1("r2") MDY_IMIN1("r3")

/* Move 4 accumulators s<a>..s<a+3> to r0-r3 (2 vmov), clamp CL, stm them at %[y], step. */
#define MDY_PW_ISTORE_ROW(a0, a1, a2, a3, CL, STEP)                                        \
    "vmov r0, r1, s" #a0 ", s" #a1 "\n\tvmov r2, r3, s" #a2 ", s" #a3 "\n\t" CL           \
    "stmia %[y], {r0-r3}\n\t" STEP
#define MDY_PW_ISTORE16(CL)                                                                \
    MDY_PW_ISTORE_ROW(0, 1, 2, 3, CL, "add %[y], %[y], %[n]\n\t")                         \
    MDY_PW_ISTORE_ROW(4, 5, 6, 7, CL, "add %[y], %[y], %[n]\n\t")                         \
    MDY_PW_ISTORE_ROW(8, 9, 10, 11, CL, "add %[y], %[y], %[n]\n\t")                       \
    MDY_PW_ISTORE_ROW(12, 13, 14, 15, CL, "")

/*
 * Block template, built once per 4 output channels: the 16 initial sums (bias of channel
 * a in t[4a..4a+3]), then c for the integer ReLU6 (bits), lo, hi for the vcmp kinds, the
 * output plane stride,
 * and (input channels <= MDY_PW_TW_MAX) the 4 channels' weights interleaved, so that
 * one vldm fetches two input channels' weights of all 4 outputs.
 */
typedef struct {
    float acc[16];
    uint32_t c;
    float lo, hi;
    uint32_t ys_bytes; /* between output planes */
} mdy_pw_tmpl_t;
#define MDY_PW_TW_MAX 40u /* input channels up to which the block's weights are staged */
typedef struct {
    mdy_pw_tmpl_t h;             /* 80 bytes: the staged weights start at offset 80 */
    float w[4u * MDY_PW_TW_MAX]; /* w[4 i + a] = weight of input i, output a */
} mdy_pw_tmpl_tw_t;
typedef char mdy_pw_tmpl_size_check[sizeof(mdy_pw_tmpl_t) == 80u ? 1 : -1];

/* Odd first input channel (when n & 1), then pairs as mdy_asm_pw4x4x2. lsrs leaves
 * carry = n & 1 and Z = (n / 2 == 0); nothing in the odd block touches the flags. */
#define MDY_PW_BODY                                                                        \
    "vldmia %[t], {s0-s15}\n\t"                                                            \
    "lsrs %[n], %[n], #1\n\t"                                                              \
    "bcc 5f\n\t"                                                                           \
    "vldmia %[x], {s16-s19}\n\t"                                                           \
    "add %[x], %[x], %[hw]\n\t"                                                            \
    "vldmia r0!, {s24}\n\t"                                                                \
    "vldmia r1!, {s26}\n\t"                                                                \
    "vldmia r2!, {s28}\n\t"                                                                \
    "vldmia r3!, {s30}\n\t"                                                                \
    MDY_FMA4X4(24, 26, 28, 30, 16, 17, 18, 19)                                           \
    "5:\n\t"                                                                               \
    "beq 2f\n\t"                                                                           \
    "1:\n\t"                                                                               \
    "vldmia %[x], {s16-s19}\n\t"                                                           \
    "add %[x], %[x], %[hw]\n\t"                                                            \
    "vldmia %[x], {s20-s23}\n\t"                                                           \
    "add %[x], %[x], %[hw]\n\t"                                                            \
    "vldmia r0!, {s24-s25}\n\t"                                                            \
    "vldmia r1!, {s26-s27}\n\t"                                                            \
    "vldmia r2!, {s28-s29}\n\t"                                                            \
    "vldmia r3!, {s30-s31}\n\t"                                                            \
    MDY_FMA4X4(24, 26, 28, 30, 16, 17, 18, 19)                                           \
    MDY_FMA4X4(25, 27, 29, 31, 20, 21, 22, 23)                                           \
    "subs %[n], %[n], #1\n\t"                                                              \
    "bne 1b\n\t"                                                                           \
    "2:\n\t"

/* MDY_PW_BODY with the weights staged in t->w (offset 80): one vldm per input channel
 * pair instead of one per output channel. */
#define MDY_PW_BODY_TW                                                                     \
    "vldmia %[t], {s0-s15}\n\t"                                                            \
    "add %[w], %[t], #80\n\t"                                                              \
    "lsrs %[n], %[n], #1\n\t"                                                              \
    "bcc 5f\n\t"                                                                           \
    "vldmia %[x], {s16-s19}\n\t"                                                           \
    "add %[x], %[x], %[hw]\n\t"                                                            \
    "vldmia %[w]!, {s24-s27}\n\t"                                                          \
    MDY_FMA4X4(24, 25, 26, 27, 16, 17, 18, 19)                                           \
    "5:\n\t"                                                                               \
    "beq 2f\n\t"                                                                           \
    "1:\n\t"                                                                               \
    "vldmia %[x], {s16-s19}\n\t"                                                           \
    "add %[x], %[x], %[hw]\n\t"                                                            \
    "vldmia %[x], {s20-s23}\n\t"                                                           \
    "add %[x], %[x], %[hw]\n\t"                                                            \
    "vldmia %[w]!, {s24-s31}\n\t"                                                          \
    MDY_FMA4X4(24, 25, 26, 27, 16, 17, 18, 19)                                           \
    MDY_FMA4X4(28, 29, 30, 31, 20, 21, 22, 23)                                           \
    "subs %[n], %[n], #1\n\t"                                                              \
    "bne 1b\n\t"                                                                           \
    "2:\n\t"

#define MDY_PW_BLOCK_ASM_TW(TAIL)                                                          \
    __asm__ volatile(MDY_PW_BODY_TW TAIL                                                   \
                     : "=&r"(r0), "=&r"(r1), "=&r"(r2), "=&r"(r3), [w] "=&r"(wp),           \
                       [x] "+r"(x), [n] "+r"(n), [y] "+r"(y)                                \
                     : [t] "r"(t), [hw] "r"(hw_bytes)                                      \
                     : MDY_ASM_CLOBBER_S0_15, MDY_ASM_CLOBBER_S16_31, "cc", "memory")

#define MDY_PW_BLOCK_ASM(TAIL)                                                             \
    __asm__ volatile(MDY_PW_BODY TAIL                                                      \
                     : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3), [x] "+r"(x), [n] "+r"(n),   \
                       [y] "+r"(y)                                           \
                     : [t] "r"(t), [hw] "r"(hw_bytes)                                      \
                     : MDY_ASM_CLOBBER_S0_15, MDY_ASM_CLOBBER_S16_31, "cc", "memory")

/* The five epilogues (clamp kind K, MDY_PW_*) through the block asm macro BLOCK. */
#define MDY_PW_STORE4X4                                                                    \
    "vstmia %[y], {s0-s3}\n\tadd %[y], %[y], %[n]\n\t"                                    \
    "vstmia %[y], {s4-s7}\n\tadd %[y], %[y], %[n]\n\t"                                    \
    "vstmia %[y], {s8-s11}\n\tadd %[y], %[y], %[n]\n\t"                                   \
    "vstmia %[y], {s12-s15}\n\t"
#define MDY_PW_YS "ldr %[n], [%[t], #76]\n\t" /* the output plane stride, bytes */
#define MDY_PW_KINDS(BLOCK, K)                                                             \
    do {                                                                                   \
        if ((K) == MDY_PW_NONE) {                                                          \
            BLOCK(MDY_PW_YS MDY_PW_STORE4X4);                                              \
        } else if ((K) == MDY_PW_RELU) {                                                   \
            BLOCK(MDY_PW_YS MDY_PW_ISTORE16(MDY_IRELU4));                                  \
        } else if ((K) == MDY_PW_RELU6) {                                                  \
            BLOCK(MDY_PW_YS "ldr %[x], [%[t], #64]\n\t"                                    \
                  MDY_PW_ISTORE16(MDY_IRELU4 MDY_IMIN4));                                  \
        } else if ((K) == MDY_PW_LO) {                                                     \
            BLOCK(MDY_PW_YS "vldr s16, [%[t], #68]\n\t" MDY_ASM_CLAMP16_LO                 \
                  MDY_PW_STORE4X4);                                                        \
        } else {                                                                           \
            BLOCK(MDY_PW_YS "vldr s16, [%[t], #68]\n\tvldr s17, [%[t], #72]\n\t"         \
                  MDY_ASM_CLAMP16_LO MDY_ASM_CLAMP16_HI MDY_PW_STORE4X4);                  \
        }                                                                                  \
    } while (0)

/*
 * out[a][q] = clamp(t->acc[4a + q] + sum_{i < n} w_a[i] * x[i * hw + q]) for a, q < 4,
 * stored at y + a * ys + q; n >= 1 input channels, x at pixel 0 of channel 0,
 * hw_bytes = 4 * hw, t->ys_bytes = 4 * ys (output planes, ys >= hw). KIND: MDY_PW_* (compile-time). The weights from the rows w0..w3,
 * or (mdy_asm_pw_block_tw, n <= MDY_PW_TW_MAX) from t->w.
 */
static inline __attribute__((always_inline)) void mdy_asm_pw_block(
    const float *w0, const float *w1, const float *w2, const float *w3, const float *x,
    uint32_t hw_bytes, uint32_t n, const mdy_pw_tmpl_t *t, float *y, const int KIND)
{
    register const float *r0 __asm__("r0") = w0;
    register const float *r1 __asm__("r1") = w1;
    register const float *r2 __asm__("r2") = w2;
    register const float *r3 __asm__("r3") = w3;
    MDY_PW_KINDS(MDY_PW_BLOCK_ASM, KIND);
}

static inline __attribute__((always_inline)) void mdy_asm_pw_block_tw(
    const float *x, uint32_t hw_bytes, uint32_t n, const mdy_pw_tmpl_t *t, float *y,
    const int KIND)
{
    register uint32_t r0 __asm__("r0");
    register uint32_t r1 __asm__("r1");
    register uint32_t r2 __asm__("r2");
    register uint32_t r3 __asm__("r3");
    const float *wp;
    MDY_PW_KINDS(MDY_PW_BLOCK_ASM_TW, KIND);
    (void)r0;
    (void)r1;
    (void)r2;
    (void)r3;
    (void)wp;
}

/* The template's c for MDY_PW_RELU6 from the bits of hi (see MDY_IMIN1). */
static inline __attribute__((always_inline)) uint32_t mdy_irelu6_c(uint32_t hi_bits)
{
#if defined(__ARM_FEATURE_DSP)
    return 0x7FFFFFFFu - hi_bits;
#else
    return hi_bits;
#endif
}

#endif /* MDY_HAVE_FWD_ASM */

#endif /* MEDYATE_FWD_ASM_PW_H */
