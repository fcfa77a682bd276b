/*
 * mdy_gemm_s8_rq: int8 fully connected layer with its requantization prepared once
 * (rq: [out_f][4] int32 {bias, mult, k, sh}, mdy_gemm_s8_prepare / the compiler).
 *
 * Why: at small in_f (a 10->10 classifier) mdy_gemm_s8 spends more on each channel's
 * requantization setup (range check, k = (2 zp + 1) << (r - 2), the slow-case branch,
 * three pointer streams) than on its 10 MACs. With the table, a row is one bias load,
 * the dot product, one LDM of (mult, k), the SMLAL requantization of mdy_s8_rq_fast and
 * one LDR of sh, whose bit 8 (set on the last row) ends the loop.
 *
 * Fast path (DSP build, 4 <= in_f <= 12): the input is widened once into ng = in_f / 4
 * rounded up halfword-pair registers: groups 0..ng-2 are x[4g .. 4g+3], the last group
 * is x[in_f-4 .. in_f-1] with the bytes already counted set to in_zp (so they widen to
 * 0), read against the row's last four weights. Each row then costs 5 instructions per
 * group plus 13 (28 at in_f 9..12); the rows run in one assembly loop with every value
 * in registers. Other widths and the portable build run the plain loop below; both are
 * bit-exact with mdy_gemm_s8 (int32 sums are exact; the requantization is the same
 * formula). The activation clamp is SSAT to int8, then a pass over the out_f outputs
 * when [act_min, act_max] is narrower.
 */
#include "mdy_s8_internal.h"

/* the plain loop: any in_f, either build */
static MDY_NOINLINE void mdy_gr_plain(const int8_t *x, uint32_t in_f, uint32_t out_f, const int8_t *w,
                         const int32_t *rq, const mdy_s8_requant_t *q, int8_t *out)
{
    for (uint32_t o = 0; o < out_f; ++o, w += in_f, rq += 4) {
        int32_t a = rq[0];
        for (uint32_t f = 0; f < in_f; ++f) {
            a += (x[f] - q->in_zp) * w[f];
        }
        const int32_t v = mdy_s8_rq_fast(a, rq[1], rq[2], rq[3] & 0xFF);
        out[o] = mdy_s8_clamp(v, q->act_min, q->act_max);
    }
}

#ifdef MDY_S8_DSP
/* r0 = x, r1 = w, r2 = rq, r3 = out, then on the stack in_f and in_zp */
extern void mdy_gr_asm1(const int8_t *x, const int8_t *w, const int32_t *rq, int8_t *out,
                        uint32_t in_f, int32_t in_zp);
extern void mdy_gr_asm2(const int8_t *x, const int8_t *w, const int32_t *rq, int8_t *out,
                        uint32_t in_f, int32_t in_zp);
extern void mdy_gr_asm3(const int8_t *x, const int8_t *w, const int32_t *rq, int8_t *out,
                        uint32_t in_f, int32_t in_zp);

/* the input word at [r0 off] widened into the pairs xe xo (r12 = (-zp, -zp)) */
#define MDY_GR_X(off, xe, xo)                                                               \
    "ldr lr, [r0" off "]\n\t"                                                               \
    "sxtab16 " xe ", r12, lr\n\t"                                                           \
    "sxtab16 " xo ", r12, lr, ror #8\n\t"
/* one group of four: the weights at [r1 off], pairs xe xo, into r10 */
#define MDY_GR_G(off, xe, xo)                                                               \
    "ldr r11, [r1" off "]\n\t"                                                              \
    "sxtb16 r12, r11\n\t"                                                                   \
    "smlad r10, r12, " xe ", r10\n\t"                                                       \
    "sxtb16 r11, r11, ror #8\n\t"                                                           \
    "smlad r10, r11, " xo ", r10\n\t"
/* ng groups: the first ng - 1 (head) widened from x, the last from x[in_f-4 .. in_f-1]
 * with its first 4 ng - in_f bytes set to in_zp ((xt ^ zp4) & keep ^ zp4), so that they
 * widen to 0; then per row r10 = bias, the groups, and the requantization of
 * mdy_s8_rq_fast: lo = sign bit of a | 2^30, hi = k + (a >> 31), (hi:lo) += a * mult,
 * out = ssat8(hi >> sh), until the row whose sh has bit 8 set. */
#define MDY_GR_FN(name, ng, head, te, to, groups)                                           \
    __asm__(".pushsection .text." #name ",\"ax\",%progbits\n\t"                              \
            ".syntax unified\n\t"                                                           \
            ".thumb\n\t"                                                                    \
            ".p2align 2\n\t"                                                                \
            ".type " #name ", %function\n\t"                                                \
            ".thumb_func\n"                                                                 \
            #name ":\n\t"                                                                   \
            "push {r4, r5, r6, r7, r8, r9, r10, r11, lr}\n\t"                               \
            "ldrd r10, r11, [sp, #36]\n\t"                                                  \
            "rsb r12, r11, #0\n\t"                                                          \
            "pkhbt r12, r12, r12, lsl #16\n\t"                                              \
            head                                                                            \
            "add r0, r0, r10\n\t"                                                           \
            "ldr lr, [r0, #-4]\n\t"                                                         \
            "rsb r0, r10, #" #ng " * 4\n\t"                                                 \
            "lsl r0, r0, #3\n\t"                                                            \
            "mvn r9, #0\n\t"                                                                \
            "lsl r9, r9, r0\n\t"                                                            \
            "uxtb r11, r11\n\t"                                                             \
            "orr r11, r11, r11, lsl #8\n\t"                                                 \
            "orr r11, r11, r11, lsl #16\n\t"                                                \
            "eor lr, lr, r11\n\t"                                                           \
            "and lr, lr, r9\n\t"                                                            \
            "eor lr, lr, r11\n\t"                                                           \
            "sxtab16 " te ", r12, lr\n\t"                                                   \
            "sxtab16 " to ", r12, lr, ror #8\n\t"                                           \
            "mov r0, r10\n"                                                                 \
            "1:\n\t"                                                                        \
            "ldr r10, [r2], #4\n\t"                                                         \
            groups                                                                          \
            "ldm r2!, {r11, r12}\n\t"                                                       \
            MDY_S8_ASM_RQ_LO("lr", "r10")                                                   \
            "add r12, r12, r10, asr #31\n\t"                                                \
            "smlal lr, r12, r10, r11\n\t"                                                   \
            "ldr r11, [r2], #4\n\t"                                                         \
            "asr r12, r12, r11\n\t"                                                         \
            "ssat r12, #8, r12\n\t"                                                         \
            "strb r12, [r3], #1\n\t"                                                        \
            "tst r11, #256\n\t"                                                             \
            "beq 1b\n\t"                                                                    \
            "pop {r4, r5, r6, r7, r8, r9, r10, r11, pc}\n\t"                                \
            ".size " #name ", .-" #name "\n\t"                                              \
            ".popsection")

/* in_f 4: the one group is the last */
MDY_GR_FN(mdy_gr_asm1, 1, "", "r4", "r5",
          "add r1, r1, r0\n\t" MDY_GR_G(", #-4", "r4", "r5"));
/* in_f 5..8 */
MDY_GR_FN(mdy_gr_asm2, 2, MDY_GR_X("", "r4", "r5"), "r6", "r7",
          MDY_GR_G("", "r4", "r5") "add r1, r1, r0\n\t" MDY_GR_G(", #-4", "r6", "r7"));
/* in_f 9..12 */
MDY_GR_FN(mdy_gr_asm3, 3, MDY_GR_X("", "r4", "r5") MDY_GR_X(", #4", "r6", "r7"), "r8", "r9",
          MDY_GR_G("", "r4", "r5") MDY_GR_G(", #4", "r6", "r7")
          "add r1, r1, r0\n\t" MDY_GR_G(", #-4", "r8", "r9"));
#endif

void mdy_gemm_s8_rq(const int8_t *x, uint32_t in_f, uint32_t out_f, const int8_t *w,
                    const int32_t *rq, const mdy_s8_requant_t *q, int8_t *out)
{
    if (out_f == 0u) {
        return;
    }
#ifdef MDY_S8_DSP
    /* the loop ends on the last row's flag: a table without it takes the plain loop */
    if (in_f >= MDY_GEMM_S8_RQ_MIN_IN_F && in_f <= MDY_GEMM_S8_RQ_MAX_IN_F &&
        (rq[4u * out_f - 1u] & MDY_GEMM_S8_RQ_LAST)) {
        const uint32_t ng = (in_f + 3u) >> 2;
        if (ng == 3u) {
            mdy_gr_asm3(x, w, rq, out, in_f, q->in_zp);
        } else if (ng == 2u) {
            mdy_gr_asm2(x, w, rq, out, in_f, q->in_zp);
        } else {
            mdy_gr_asm1(x, w, rq, out, in_f, q->in_zp);
        }
        if (q->act_min > -128 || q->act_max < 127) {
            for (uint32_t o = 0; o < out_f; ++o) {
                out[o] = mdy_s8_clamp(out[o], q->act_min, q->act_max);
            }
        }
        return;
    }
#endif
    mdy_gr_plain(x, in_f, out_f, w, rq, q, out);
}
