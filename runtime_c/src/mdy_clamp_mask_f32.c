/*
 * mdy_clamp_mask_f32: 1-bit mask of where a clamp passes the gradient, computed from
 * the clamp's OUTPUT y: bit i = (lo < y[i] < hi). mask has (n + 7) / 8 bytes, OVERWRITTEN;
 * bit i lives in byte i / 8 at bit position i % 8 (LSB first), unused high bits of the
 * last byte are 0. A ReLU output of exactly 0 (or ReLU6 output of exactly 6) therefore
 * blocks the gradient, the subgradient convention of PyTorch. No scratch.
 *
 * Fast path for +0 <= lo < hi (ReLU, ReLU6; not lo = -0.0): for such bounds,
 * lo < y < hi holds exactly when the IEEE bit pattern of y, read as an unsigned integer,
 * lies strictly between those of lo and hi (negative y and -0 have the sign bit set and
 * fall above hi; NaN patterns lie above +INF): one integer compare per element, a whole
 * byte built in registers and stored once (no per-bit read-modify-write of memory).
 *
 * Thumb-2 (Cortex-M3/M4/M7/M33): whole mask words run in assembly. Per element
 * `subs` + `cmp` leave the carry set exactly when the element FAILS, and `adcs acc, acc`
 * shifts that carry into an accumulator; after 32 elements (4 `ldm` of 8 floats) one
 * `rbit` + `mvn` turns it into 32 mask bits and one `str` writes them: 3.3 instructions
 * per element instead of 7.5 for GCC's byte loop. The words are stored aligned: the
 * bytes before the mask's first word boundary and after its last whole word (at most
 * 3 + 3 bytes and a partial one) take the generic loop, so any mask pointer is fine.
 */
#include <string.h>

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
#endif

MDY_ALWAYS_INLINE uint32_t float_bits(float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

/* Bytes i / 8 .. of the mask for elements i .. end - 1 (i a multiple of 8): float
 * compares, any bounds. */
static void mask_generic(const float *y, uint32_t i, uint32_t end, float lo, float hi,
                         uint8_t *mask)
{
    while (i < end) {
        uint32_t bits = 0;
        const uint32_t byte = i >> 3;
        for (uint32_t b = 0; b < 8u && i < end; ++b, ++i) {
            if (y[i] > lo && y[i] < hi) {
                bits |= 1u << b;
            }
        }
        mask[byte] = (uint8_t)bits;
    }
}

#ifdef MDY_MASK_ASM
/* One element in r4..r11: carry = (bits - first >= range) = FAIL, shifted into r3. */
#define MDY_MB(r) "subs " r ", " r ", r2\n\tcmp " r ", r12\n\tadcs r3, r3\n\t"
#define MDY_MB8                                                                             \
    "ldmia r0!, {r4-r11}\n\t" MDY_MB("r4") MDY_MB("r5") MDY_MB("r6") MDY_MB("r7")           \
        MDY_MB("r8") MDY_MB("r9") MDY_MB("r10") MDY_MB("r11")

/*
 * mask words w < nwords (nwords >= 1, mask 4-byte aligned) from y[32 w .. 32 w + 31];
 * fr = {first, range}. r0 y, r1 words left, r2 first, r3 fail bits, r12 range, lr mask.
 * The first element is shifted in first and ends in bit 31: `rbit` puts it in bit 0.
 */
#define MDY_IN __attribute__((unused)) /* read by the assembly (AAPCS r0-r3) */
__attribute__((naked, noinline, MDY_NOIPA unused)) static void mask_words_asm(
    MDY_IN const float *y, MDY_IN uint32_t nwords, MDY_IN const uint32_t *fr,
    MDY_IN uint8_t *mask)
{
    __asm__("push {r4-r11, lr}\n\t"
            "ldr r12, [r2, #4]\n\t"
            "ldr r2, [r2]\n\t"
            "mov lr, r3\n\t"
            "1:\n\t" MDY_MB8 MDY_MB8 MDY_MB8 MDY_MB8
            "rbit r3, r3\n\t"
            "mvns r3, r3\n\t"
            "str r3, [lr], #4\n\t"
            "subs r1, r1, #1\n\t"
            "bne 1b\n\t"
            "pop {r4-r11, pc}\n\t");
}
#endif

void mdy_clamp_mask_f32(const float *y, uint32_t n, float lo, float hi, uint8_t *mask)
{
    uint32_t i = 0;
    /* lo = -0.0 compares >= 0 but has the sign bit set: the generic loop. */
    if (lo >= 0.0f && hi > lo && float_bits(lo) < 0x80000000u) {
        const uint32_t first = float_bits(lo) + 1u;           /* smallest pattern > lo */
        const uint32_t range = float_bits(hi) - first;        /* patterns in (lo, hi) */
#ifdef MDY_MASK_ASM
        /* bytes up to a word boundary of mask in C, then whole words in assembly */
        const uint32_t head = (uint32_t)(-(uintptr_t)mask) & 3u;
        const uint32_t nwords = n >= 8u * head ? (n - 8u * head) >> 5 : 0u;
        if (nwords != 0u) {
            const uint32_t fr[2] = {first, range};
            mask_generic(y, 0, 8u * head, lo, hi, mask);
            mask_words_asm(y + 8u * head, nwords, fr, mask + head);
            i = 8u * head + 32u * nwords;
        }
#else
        for (; i + 8u <= n; i += 8u) {
            uint32_t bits = 0;
            MDY_UNROLL
            for (uint32_t b = 0; b < 8u; ++b) {
                bits |= (uint32_t)(float_bits(y[i + b]) - first < range) << b;
            }
            mask[i >> 3] = (uint8_t)bits;
        }
#endif
    }
    mask_generic(y, i, n, lo, hi, mask);
}
