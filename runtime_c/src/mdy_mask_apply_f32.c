/*
 * mdy_mask_apply_f32: in place g[i] = (bit i of mask) ? g[i] : 0 for i < n,
 * with the bit order of mdy_clamp_mask_f32 (byte i / 8, bit i % 8). No scratch.
 * One byte load per 8 elements; a masked-off element costs a test and a store of 0,
 * a passing one only the test; a 0xFF byte skips its 8 elements.
 *
 * Thumb-2 (Cortex-M3/M4/M7/M33): whole aligned mask words (32 elements) run in
 * assembly: an all-ones word skips its 32 elements, an all-zero word stores 32 zeros
 * with 4 `stm`; any other word loads the elements 8 at a time (`ldm`), ANDs each with
 * its bit spread to 0 / 0xFFFFFFFF (`sbfx`) and stores them back (`stm`): 2.45
 * instructions per element instead of 4.2. A masked-off element becomes +0.0, a
 * passing one keeps its bits, as in the C loop. The elements before the mask's first
 * word boundary and after its last whole word run one by one in C, so any mask
 * pointer is fine.
 */
#include "mdy_internal.h"

/* little-endian only: the word loops read / write the mask bytes as one word */
#if defined(__GNUC__) && defined(__thumb2__) && !defined(__ARM_BIG_ENDIAN) && \
    !defined(MDY_NO_ASM)
#define MDY_MASK_ASM 1
#if defined(__has_attribute)
#if __has_attribute(noipa)
#define MDY_NOIPA noipa,
#endif
#endif
#ifndef MDY_NOIPA
#define MDY_NOIPA
#endif

/* Element j of the mask word in r12, held in register r: r &= -(bit j). r2-r7 are low
 * registers: there the AND with the low scratch r1 is a 16-bit instruction. */
#define MDY_MA(r, j) "sbfx r1, r12, #" #j ", #1\n\tands " r ", r1\n\t"
#define MDY_MAH(r, j) "sbfx r1, r12, #" #j ", #1\n\tand " r ", " r ", r1\n\t"
#define MDY_MA8(j0, j1, j2, j3, j4, j5, j6, j7)                                             \
    "ldmia r0, {r2-r9}\n\t" MDY_MA("r2", j0) MDY_MA("r3", j1) MDY_MA("r4", j2)              \
        MDY_MA("r5", j3) MDY_MA("r6", j4) MDY_MA("r7", j5) MDY_MAH("r8", j6)                \
            MDY_MAH("r9", j7) "stmia r0!, {r2-r9}\n\t"

/*
 * g[32 w .. 32 w + 31] for the mask words w < nwords (nwords >= 1, mask 4-byte aligned).
 * r0 g, lr mask, r11 words left, r12 mask word, r1 scratch, r2-r9 eight elements of g.
 */
#define MDY_IN __attribute__((unused)) /* read by the assembly (AAPCS r0-r2) */
__attribute__((naked, noinline, MDY_NOIPA unused)) static void mask_apply_words_asm(
    MDY_IN float *g, MDY_IN const uint8_t *mask, MDY_IN uint32_t nwords)
{
    __asm__("push {r4-r11, lr}\n\t"
            "mov lr, r1\n\t"
            "mov r11, r2\n\t"
            "1:\n\t"
            "ldr r12, [lr], #4\n\t"
            "adds r1, r12, #1\n\t"  /* 0: all ones, 1: all zeros */
            "cmp r1, #1\n\t"
            "bls 3f\n\t"
            MDY_MA8(0, 1, 2, 3, 4, 5, 6, 7)
            MDY_MA8(8, 9, 10, 11, 12, 13, 14, 15)
            MDY_MA8(16, 17, 18, 19, 20, 21, 22, 23)
            MDY_MA8(24, 25, 26, 27, 28, 29, 30, 31)
            "2:\n\t"
            "subs r11, r11, #1\n\t"
            "bne 1b\n\t"
            "pop {r4-r11, pc}\n\t"
            "3:\n\t"
            "cbz r1, 4f\n\t"
            "movs r2, #0\n\tmovs r3, #0\n\tmovs r4, #0\n\tmovs r5, #0\n\t"
            "movs r6, #0\n\tmovs r7, #0\n\tmov r8, r2\n\tmov r9, r2\n\t"
            "stmia r0!, {r2-r9}\n\tstmia r0!, {r2-r9}\n\t"
            "stmia r0!, {r2-r9}\n\tstmia r0!, {r2-r9}\n\t"
            "b 2b\n\t"
            "4:\n\t"
            "adds r0, r0, #128\n\t"
            "b 2b\n\t");
}
#endif

/* Elements i .. end - 1 one by one. */
static void mask_apply_elems(float *g, const uint8_t *mask, uint32_t i, uint32_t end)
{
    for (; i < end; ++i) {
        if (((mask[i >> 3] >> (i & 7u)) & 1u) == 0u) {
            g[i] = 0.0f;
        }
    }
}

void mdy_mask_apply_f32(float *g, const uint8_t *mask, uint32_t n)
{
    uint32_t i = 0;
#ifdef MDY_MASK_ASM
    /* bytes up to a word boundary of mask in C, then whole words in assembly */
    const uint32_t head = (uint32_t)(-(uintptr_t)mask) & 3u;
    const uint32_t nwords = n >= 8u * head ? (n - 8u * head) >> 5 : 0u;
    if (nwords != 0u) {
        mask_apply_elems(g, mask, 0, 8u * head);
        mask_apply_words_asm(g + 8u * head, mask + head, nwords);
        i = 8u * head + 32u * nwords;
    }
#else
    for (; i + 8u <= n; i += 8u) {
        const uint32_t bits = mask[i >> 3];
        if (bits == 0xFFu) {
            continue;
        }
        MDY_UNROLL
        for (uint32_t b = 0; b < 8u; ++b) {
            if ((bits & (1u << b)) == 0u) {
                g[i + b] = 0.0f;
            }
        }
    }
#endif
    mask_apply_elems(g, mask, i, n);
}
