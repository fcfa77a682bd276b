/*
 * mdy_mask_apply_f32: in place g[i] = (bit i of mask) ? g[i] : 0 for i < n,
 * with the bit order of mdy_clamp_mask_f32 (byte i / 8, bit i % 8). No scratch.
 * One byte load per 8 elements; a masked-off element costs a test and a store of 0,
 * a passing one only the test; a 0xFF byte skips its 8 elements.
 *
 * Thumb-2 (Cortex-M3/M4/M7/M33): whole aligned mask words (32 elements) run in
 * assembly: an all-ones word skips its 32 elements, an all-zero word stores 32 zeros
 * with 4 `stm`; any other word loads the elements 8 at a time (`ldm`), ANDs each with
 * its bit spread to 0 / 0xFFFFFFFF (`sbfx`) and stores them back (`stm`): 2.4
 * instructions per element instead of 4.2. A masked-off element becomes +0.0, a
 * passing one keeps its bits, as in the C loop. The leading bytes up to a mask word
 * boundary and the trailing bytes run in C, so an unaligned mask pointer is fine.
 */
#include "mdy_internal.h"

#if defined(__GNUC__) && defined(__thumb2__) && !defined(MDY_NO_ASM)
#define MDY_MASK_ASM 1
#if defined(__has_attribute)
#if __has_attribute(noipa)
#define MDY_NOIPA noipa,
#endif
#endif
#ifndef MDY_NOIPA
#define MDY_NOIPA
#endif

/* Element j of the word in r3, held in register r: r &= -(bit j). */
#define MDY_MA(r, j) "sbfx r12, r3, #" #j ", #1\n\tand " r ", " r ", r12\n\t"
#define MDY_MA8(j0, j1, j2, j3, j4, j5, j6, j7)                                             \
    "ldmia r0, {r4-r11}\n\t" MDY_MA("r4", j0) MDY_MA("r5", j1) MDY_MA("r6", j2)             \
        MDY_MA("r7", j3) MDY_MA("r8", j4) MDY_MA("r9", j5) MDY_MA("r10", j6)                \
            MDY_MA("r11", j7) "stmia r0!, {r4-r11}\n\t"

/*
 * g[32 w .. 32 w + 31] for the mask words w < nwords (nwords >= 1, mask 4-byte aligned).
 * r0 g, r1 mask, r2 words left, r3 mask word, r12 scratch.
 */
#define MDY_IN __attribute__((unused)) /* read by the assembly (AAPCS r0-r2) */
__attribute__((naked, noinline, MDY_NOIPA unused)) static void mask_apply_words_asm(
    MDY_IN float *g, MDY_IN const uint8_t *mask, MDY_IN uint32_t nwords)
{
    __asm__("push {r4-r11, lr}\n\t"
            "1:\n\t"
            "ldr r3, [r1], #4\n\t"
            "adds r12, r3, #1\n\t"  /* 0: all ones, 1: all zeros */
            "cmp r12, #1\n\t"
            "bls 3f\n\t"
            MDY_MA8(0, 1, 2, 3, 4, 5, 6, 7)
            MDY_MA8(8, 9, 10, 11, 12, 13, 14, 15)
            MDY_MA8(16, 17, 18, 19, 20, 21, 22, 23)
            MDY_MA8(24, 25, 26, 27, 28, 29, 30, 31)
            "2:\n\t"
            "subs r2, r2, #1\n\t"
            "bne 1b\n\t"
            "pop {r4-r11, pc}\n\t"
            "3:\n\t"
            "cbnz r3, 4f\n\t"
            "movs r4, #0\n\tmovs r5, #0\n\tmovs r6, #0\n\tmovs r7, #0\n\t"
            "mov r8, r4\n\tmov r9, r4\n\tmov r10, r4\n\tmov r11, r4\n\t"
            "stmia r0!, {r4-r11}\n\tstmia r0!, {r4-r11}\n\t"
            "stmia r0!, {r4-r11}\n\tstmia r0!, {r4-r11}\n\t"
            "b 2b\n\t"
            "4:\n\t"
            "adds r0, r0, #128\n\t"
            "b 2b\n\t");
}
#endif

/* On Thumb-2 only the few bytes around the assembly: one out-of-line copy. */
#ifdef MDY_MASK_ASM
#define MDY_BYTES_FN __attribute__((noinline)) static
#else
#define MDY_BYTES_FN static
#endif

/* Bytes [b0, b1) of the mask: elements 8 b0 .. 8 b1 - 1. */
MDY_BYTES_FN void mask_apply_bytes_c(float *g, const uint8_t *mask, uint32_t b0,
                                     uint32_t b1)
{
    for (uint32_t k = b0; k < b1; ++k) {
        const uint32_t bits = mask[k];
        if (bits == 0xFFu) {
            continue;
        }
        float *gk = g + 8u * k;
        MDY_UNROLL
        for (uint32_t b = 0; b < 8u; ++b) {
            if ((bits & (1u << b)) == 0u) {
                gk[b] = 0.0f;
            }
        }
    }
}

void mdy_mask_apply_f32(float *g, const uint8_t *mask, uint32_t n)
{
    const uint32_t nbytes = n >> 3;
    uint32_t done = 0;
#ifdef MDY_MASK_ASM
    uint32_t head = (uint32_t)(-(uintptr_t)mask) & 3u; /* bytes up to a word */
    if (head > nbytes) {
        head = nbytes;
    }
    mask_apply_bytes_c(g, mask, 0, head);
    const uint32_t nwords = (nbytes - head) >> 2;
    if (nwords != 0u) {
        mask_apply_words_asm(g + 8u * head, mask + head, nwords);
    }
    done = head + 4u * nwords;
#endif
    mask_apply_bytes_c(g, mask, done, nbytes);
    for (uint32_t i = 8u * nbytes; i < n; ++i) {
        if (((mask[i >> 3] >> (i & 7u)) & 1u) == 0u) {
            g[i] = 0.0f;
        }
    }
}
