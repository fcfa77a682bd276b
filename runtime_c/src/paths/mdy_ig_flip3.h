/*
 * The flipped-forward 3x3 blocks of mdy_conv_kxk_input_grad_f32 (its only includer):
 * stride 1, dilation 1 or 2, 4 input channels x 4 (2) pixels, assembly on the M4F/M7
 * (the forward block's loops of mdy_fwd_asm_conv.h), C elsewhere.
 */
#ifndef MEDYATE_IG_FLIP3_H
#define MEDYATE_IG_FLIP3_H

#include "../mdy_grad_internal.h"
#include "mdy_fwd_asm_conv.h"

/* 3x3 stride 1 (dilation D = 1 or 2) is exactly a forward 3x3 convolution of the dout
 * strip with the flipped, in/out-transposed window: the forward 4 x 4 block (one vldm of
 * 6 (D = 2: 8) strip values and one of 3 weights per window row and channel: 53
 * instructions per 48 MACs in assembly on the M4F/M7) runs it on weights rearranged per
 * chunk into
 * wt[cl][oc][j][i] = w[o][c][2 - j][2 - i] for 4 input channels (a bounded stack
 * buffer: IG_FLIP_MAX_OC output channels per chunk). */
#define IG_FLIP_MAX_OC 8u

/* 2 pixels x 4 input channels of the same block (a row's last 2 pixels): 4 strip values
 * and 4 x 3 weights per window row and output channel, 24 VFMA. */
#define IG_K3_S1_ROW2 \
    "vldmia %[x], {s16-s19}\n\t" \
    "vldmia %[w0]!, {s22-s24}\n\t" \
    "vfma.f32 s0, s22, s16\n\t" "vfma.f32 s1, s22, s17\n\t" \
    "vfma.f32 s0, s23, s17\n\t" "vfma.f32 s1, s23, s18\n\t" \
    "vfma.f32 s0, s24, s18\n\t" "vfma.f32 s1, s24, s19\n\t" \
    "vldmia %[w1]!, {s25-s27}\n\t" \
    "vfma.f32 s2, s25, s16\n\t" "vfma.f32 s3, s25, s17\n\t" \
    "vfma.f32 s2, s26, s17\n\t" "vfma.f32 s3, s26, s18\n\t" \
    "vfma.f32 s2, s27, s18\n\t" "vfma.f32 s3, s27, s19\n\t" \
    "vldmia %[w2]!, {s22-s24}\n\t" \
    "vfma.f32 s4, s22, s16\n\t" "vfma.f32 s5, s22, s17\n\t" \
    "vfma.f32 s4, s23, s17\n\t" "vfma.f32 s5, s23, s18\n\t" \
    "vfma.f32 s4, s24, s18\n\t" "vfma.f32 s5, s24, s19\n\t" \
    "vldmia %[w3]!, {s25-s27}\n\t" \
    "vfma.f32 s6, s25, s16\n\t" "vfma.f32 s7, s25, s17\n\t" \
    "vfma.f32 s6, s26, s17\n\t" "vfma.f32 s7, s26, s18\n\t" \
    "vfma.f32 s6, s27, s18\n\t" "vfma.f32 s7, s27, s19\n\t"
/* the same at dilation 2: pixel q, tap i reads strip value q + 2 i */
#define IG_K3_D2_ROW2 \
    "vldmia %[x], {s16-s21}\n\t" \
    "vldmia %[w0]!, {s22-s24}\n\t" \
    "vfma.f32 s0, s22, s16\n\t" "vfma.f32 s1, s22, s17\n\t" \
    "vfma.f32 s0, s23, s18\n\t" "vfma.f32 s1, s23, s19\n\t" \
    "vfma.f32 s0, s24, s20\n\t" "vfma.f32 s1, s24, s21\n\t" \
    "vldmia %[w1]!, {s25-s27}\n\t" \
    "vfma.f32 s2, s25, s16\n\t" "vfma.f32 s3, s25, s17\n\t" \
    "vfma.f32 s2, s26, s18\n\t" "vfma.f32 s3, s26, s19\n\t" \
    "vfma.f32 s2, s27, s20\n\t" "vfma.f32 s3, s27, s21\n\t" \
    "vldmia %[w2]!, {s22-s24}\n\t" \
    "vfma.f32 s4, s22, s16\n\t" "vfma.f32 s5, s22, s17\n\t" \
    "vfma.f32 s4, s23, s18\n\t" "vfma.f32 s5, s23, s19\n\t" \
    "vfma.f32 s4, s24, s20\n\t" "vfma.f32 s5, s24, s21\n\t" \
    "vldmia %[w3]!, {s25-s27}\n\t" \
    "vfma.f32 s6, s25, s16\n\t" "vfma.f32 s7, s25, s17\n\t" \
    "vfma.f32 s6, s26, s18\n\t" "vfma.f32 s7, s26, s19\n\t" \
    "vfma.f32 s6, s27, s20\n\t" "vfma.f32 s7, s27, s21\n\t"
#define IG_K3_LOOP2(ROW) \
    "1:\n\t" \
    ROW "add %[x], %[x], %[pw]\n\t" \
    ROW "add %[x], %[x], %[pw]\n\t" \
    ROW "add %[x], %[x], %[cs]\n\t" \
    "subs %[n], %[n], #1\n\t" \
    "bne 1b\n\t"
/* The 4-pixel and the 2-pixel block over the loop LOOP: partial sums loaded from and
 * stored to din directly (4 rows plane_bytes apart). */
#define IG_FLIP_ASM4(LOOP)                                                                   \
    __asm__ volatile("ldr %[n], [%[k]]\n\t"                                                 \
                     "vldmia %[y], {s0-s3}\n\t"                                             \
                     "add %[y], %[y], %[n]\n\t"                                             \
                     "vldmia %[y], {s4-s7}\n\t"                                             \
                     "add %[y], %[y], %[n]\n\t"                                             \
                     "vldmia %[y], {s8-s11}\n\t"                                            \
                     "add %[y], %[y], %[n]\n\t"                                             \
                     "vldmia %[y], {s12-s15}\n\t"                                           \
                     "sub %[y], %[y], %[n]\n\t"                                             \
                     "sub %[y], %[y], %[n], lsl #1\n\t"                                     \
                     "ldr %[n], [%[k], #4]\n\t" LOOP                                        \
                     "ldr %[n], [%[k]]\n\t"                                                 \
                     MDY_ASM_STORE4X4_BY("n")                                           \
                     : [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3),            \
                       [x] "+r"(x), [n] "=&r"(n), [y] "+r"(y)                                 \
                     : [k] "r"(k), [pw] "r"(pw_b), [cs] "r"(cs_b)                             \
                     : MDY_ASM_CLOBBER_S0_15, MDY_ASM_CLOBBER_S16_31, "cc", "memory")
#define IG_FLIP_ASM2(LOOP)                                                                   \
    __asm__ volatile("ldr %[n], [%[k]]\n\t"                                                 \
                     "vldmia %[y], {s0-s1}\n\t"                                             \
                     "add %[y], %[y], %[n]\n\t"                                             \
                     "vldmia %[y], {s2-s3}\n\t"                                             \
                     "add %[y], %[y], %[n]\n\t"                                             \
                     "vldmia %[y], {s4-s5}\n\t"                                             \
                     "add %[y], %[y], %[n]\n\t"                                             \
                     "vldmia %[y], {s6-s7}\n\t"                                             \
                     "sub %[y], %[y], %[n]\n\t"                                             \
                     "sub %[y], %[y], %[n], lsl #1\n\t"                                     \
                     "ldr %[n], [%[k], #4]\n\t" LOOP                                        \
                     "ldr %[n], [%[k]]\n\t"                                                 \
                     "vstmia %[y], {s0-s1}\n\t"                                             \
                     "add %[y], %[y], %[n]\n\t"                                             \
                     "vstmia %[y], {s2-s3}\n\t"                                             \
                     "add %[y], %[y], %[n]\n\t"                                             \
                     "vstmia %[y], {s4-s5}\n\t"                                             \
                     "add %[y], %[y], %[n]\n\t"                                             \
                     "vstmia %[y], {s6-s7}\n\t"                                             \
                     : [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3),            \
                       [x] "+r"(x), [n] "=&r"(n), [y] "+r"(y)                                 \
                     : [k] "r"(k), [pw] "r"(pw_b), [cs] "r"(cs_b)                             \
                     : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s16", "s17", "s18",    \
                       "s19", "s20", "s21", "s22", "s23", "s24", "s25", "s26", "s27", "cc",    \
                       "memory")

MDY_ALWAYS_INLINE void ig_flip3_block(const float *x, uint32_t pw, uint32_t cs, uint32_t n_oc,
                                      const float *wt, float *y, uint32_t in_plane, const int PB,
                                      const int D)
{
    const uint32_t wcs = n_oc * 9u;
#ifdef MDY_HAVE_FWD_ASM
    /* the forward block's loop (mdy_fwd_asm_conv.h) */
    const uint32_t k[2] = {in_plane * 4u, n_oc};
    const float *w0 = wt, *w1 = wt + wcs, *w2 = wt + 2u * wcs, *w3 = wt + 3u * wcs;
    const uint32_t pw_b = (uint32_t)D * pw * 4u, cs_b = (cs - 2u * (uint32_t)D * pw) * 4u;
    uint32_t n;
    if (PB == 4) {
        if (D == 1) {
            IG_FLIP_ASM4(MDY_ASM_K3_LOOP_S1);
        } else {
            IG_FLIP_ASM4(MDY_ASM_K3_LOOP_D2);
        }
    } else {
        if (D == 1) {
            IG_FLIP_ASM2(IG_K3_LOOP2(IG_K3_S1_ROW2));
        } else {
            IG_FLIP_ASM2(IG_K3_LOOP2(IG_K3_D2_ROW2));
        }
    }
#else
    float acc[4][4];
    MDY_UNROLL
    for (int c = 0; c < 4; ++c) {
        MDY_UNROLL
        for (int q = 0; q < PB; ++q) {
            acc[c][q] = y[(uint32_t)c * in_plane + (uint32_t)q];
        }
    }
    for (uint32_t oc = 0; oc < n_oc; ++oc, wt += 9) {
        const float *xo = x + (size_t)oc * cs;
        MDY_UNROLL
        for (int j = 0; j < 3; ++j) {
            float xv[8];
            MDY_UNROLL
            for (int i = 0; i < PB + 2 * D; ++i) {
                xv[i] = xo[(uint32_t)(j * D) * pw + (uint32_t)i];
            }
            MDY_UNROLL
            for (int c = 0; c < 4; ++c) {
                MDY_UNROLL
                for (int i = 0; i < 3; ++i) {
                    const float wv = wt[(uint32_t)c * wcs + (uint32_t)(3 * j + i)];
                    MDY_UNROLL
                    for (int q = 0; q < PB; ++q) {
                        acc[c][q] += wv * xv[q + i * D];
                    }
                }
            }
        }
    }
    MDY_UNROLL
    for (int c = 0; c < 4; ++c) {
        MDY_UNROLL
        for (int q = 0; q < PB; ++q) {
            y[(uint32_t)c * in_plane + (uint32_t)q] = acc[c][q];
        }
    }
#endif
}

/* Rows [m0, m_hi) of 4 input channels (dst: din of the first channel, row 0): strip row
 * m - m0 of the chunk holds the window's first row. The strip rows are zero-padded to a
 * multiple of 4 pixels, so a ragged last block runs the same block into a 4 x 4 scratch
 * and copies its in_w % 4 real pixels back (2 ragged pixels: a 2-pixel block in place;
 * 1: a 2-pixel block into the scratch). */
MDY_ALWAYS_INLINE void ig_flip3_rows(const float *buf, uint32_t pw, uint32_t cs, uint32_t n_oc,
                                     const float *wt, float *dst, uint32_t in_plane,
                                     uint32_t in_w, uint32_t m0, uint32_t m_hi, const int D)
{
    const uint32_t n4 = in_w & ~3u, rem = in_w & 3u;
    for (uint32_t m = m0; m < m_hi; ++m) {
        const float *x = buf + (m - m0) * pw;
        float *y = dst + m * in_w;
        for (uint32_t n = 0; n < n4; n += 4u) {
            ig_flip3_block(x + n, pw, cs, n_oc, wt, y + n, in_plane, 4, D);
        }
        if (rem == 2u) {
            ig_flip3_block(x + n4, pw, cs, n_oc, wt, y + n4, in_plane, 2, D);
        } else if (rem) {
            float tmp[16];
            for (uint32_t c = 0; c < 4u; ++c) {
                for (uint32_t q = 0; q < 4u; ++q) {
                    tmp[c * 4u + q] = q < rem ? y[c * in_plane + n4 + q] : 0.0f;
                }
            }
            if (rem == 1u) {   /* a 2-pixel block: one wasted pixel, not three */
                ig_flip3_block(x + n4, pw, cs, n_oc, wt, tmp, 4u, 2, D);
            } else {
                ig_flip3_block(x + n4, pw, cs, n_oc, wt, tmp, 4u, 4, D);
            }
            for (uint32_t c = 0; c < 4u; ++c) {
                for (uint32_t q = 0; q < rem; ++q) {
                    y[c * in_plane + n4 + q] = tmp[c * 4u + q];
                }
            }
        }
    }
}

/* dilation 1 and 2 */
static __attribute__((noinline)) void ig_flip3_rows_d1(const float *buf, uint32_t pw,
                                                       uint32_t cs, uint32_t n_oc,
                                                       const float *wt, float *dst,
                                                       uint32_t in_plane, uint32_t in_w,
                                                       uint32_t m0, uint32_t m_hi)
{
    ig_flip3_rows(buf, pw, cs, n_oc, wt, dst, in_plane, in_w, m0, m_hi, 1);
}
static __attribute__((noinline)) void ig_flip3_rows_d2(const float *buf, uint32_t pw,
                                                       uint32_t cs, uint32_t n_oc,
                                                       const float *wt, float *dst,
                                                       uint32_t in_plane, uint32_t in_w,
                                                       uint32_t m0, uint32_t m_hi)
{
    ig_flip3_rows(buf, pw, cs, n_oc, wt, dst, in_plane, in_w, m0, m_hi, 2);
}

#endif /* MEDYATE_IG_FLIP3_H */
