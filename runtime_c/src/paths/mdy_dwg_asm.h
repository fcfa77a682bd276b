/*
 * mdy_dwg_asm.h: the Cortex-M4F/M7 (Thumb-2 + single-precision FPU) passes of
 * mdy_conv_depthwise_weight_grad_f32, included by that file only. Written by
 * scripts/gen_dwg_asm.py from the register plan below (edit the script, not this
 * file); the C dwg_pass() of that file is the reference (and the host build's
 * version), and tests/test_kernels_dw_weight_grad_sizes.py checks these under QEMU.
 *
 * A pass takes 4 steps per iteration: one vldm of the 4 new dout values D[n..n+3]
 * (s0-s3), the last W - 1 dout values of the window kept in s4.. (moved at the end of
 * the iteration), per window row one vldm of its 4 steps of x (4 floats at stride 1,
 * 8 at stride 2: even and odd columns), then K multiply-accumulates per step and row
 * into accumulators that one vldm/vstm loads from and stores to dw. Step t, tap kw
 * reads D[n + t - kw] (stride 1) or D[n + t - kw/2] with the even (kw even) or odd
 * x column (stride 2). The registers used are the clobbers, so GCC saves s16-s31.
 * Register plan: s0-s3 new dout, s4.. the W - 1 previous ones, then the x registers,
 * then the H * K accumulators (at most s31: 7x7 stride 2 runs 2 window rows per pass,
 * 7x7 stride 1 stays in C, where 3 rows of 7 do not fit with a 7-value window).
 */
#ifndef MDY_DWG_ASM_H
#define MDY_DWG_ASM_H

#define DWG_ROW_K3S1(A0, A1, A2) \
    "vfma.f32 " #A0 ", s6, s0\n\t" "vfma.f32 " #A1 ", s6, s4\n\t" \
    "vfma.f32 " #A2 ", s6, s5\n\t" "vfma.f32 " #A0 ", s7, s1\n\t" \
    "vfma.f32 " #A1 ", s7, s0\n\t" "vfma.f32 " #A2 ", s7, s4\n\t" \
    "vfma.f32 " #A0 ", s8, s2\n\t" "vfma.f32 " #A1 ", s8, s1\n\t" \
    "vfma.f32 " #A2 ", s8, s0\n\t" "vfma.f32 " #A0 ", s9, s3\n\t" \
    "vfma.f32 " #A1 ", s9, s2\n\t" "vfma.f32 " #A2 ", s9, s1\n\t"

#define DWG_ROW_K5S1(A0, A1, A2, A3, A4) \
    "vfma.f32 " #A0 ", s8, s0\n\t" "vfma.f32 " #A1 ", s8, s4\n\t" \
    "vfma.f32 " #A2 ", s8, s5\n\t" "vfma.f32 " #A3 ", s8, s6\n\t" \
    "vfma.f32 " #A4 ", s8, s7\n\t" "vfma.f32 " #A0 ", s9, s1\n\t" \
    "vfma.f32 " #A1 ", s9, s0\n\t" "vfma.f32 " #A2 ", s9, s4\n\t" \
    "vfma.f32 " #A3 ", s9, s5\n\t" "vfma.f32 " #A4 ", s9, s6\n\t" \
    "vfma.f32 " #A0 ", s10, s2\n\t" "vfma.f32 " #A1 ", s10, s1\n\t" \
    "vfma.f32 " #A2 ", s10, s0\n\t" "vfma.f32 " #A3 ", s10, s4\n\t" \
    "vfma.f32 " #A4 ", s10, s5\n\t" "vfma.f32 " #A0 ", s11, s3\n\t" \
    "vfma.f32 " #A1 ", s11, s2\n\t" "vfma.f32 " #A2 ", s11, s1\n\t" \
    "vfma.f32 " #A3 ", s11, s0\n\t" "vfma.f32 " #A4 ", s11, s4\n\t"

#define DWG_ROW_K3S2(A0, A1, A2) \
    "vfma.f32 " #A0 ", s5, s0\n\t" "vfma.f32 " #A1 ", s6, s0\n\t" \
    "vfma.f32 " #A2 ", s5, s4\n\t" "vfma.f32 " #A0 ", s7, s1\n\t" \
    "vfma.f32 " #A1 ", s8, s1\n\t" "vfma.f32 " #A2 ", s7, s0\n\t" \
    "vfma.f32 " #A0 ", s9, s2\n\t" "vfma.f32 " #A1 ", s10, s2\n\t" \
    "vfma.f32 " #A2 ", s9, s1\n\t" "vfma.f32 " #A0 ", s11, s3\n\t" \
    "vfma.f32 " #A1 ", s12, s3\n\t" "vfma.f32 " #A2 ", s11, s2\n\t"

#define DWG_ROW_K5S2(A0, A1, A2, A3, A4) \
    "vfma.f32 " #A0 ", s6, s0\n\t" "vfma.f32 " #A1 ", s7, s0\n\t" \
    "vfma.f32 " #A2 ", s6, s4\n\t" "vfma.f32 " #A3 ", s7, s4\n\t" \
    "vfma.f32 " #A4 ", s6, s5\n\t" "vfma.f32 " #A0 ", s8, s1\n\t" \
    "vfma.f32 " #A1 ", s9, s1\n\t" "vfma.f32 " #A2 ", s8, s0\n\t" \
    "vfma.f32 " #A3 ", s9, s0\n\t" "vfma.f32 " #A4 ", s8, s4\n\t" \
    "vfma.f32 " #A0 ", s10, s2\n\t" "vfma.f32 " #A1 ", s11, s2\n\t" \
    "vfma.f32 " #A2 ", s10, s1\n\t" "vfma.f32 " #A3 ", s11, s1\n\t" \
    "vfma.f32 " #A4 ", s10, s0\n\t" "vfma.f32 " #A0 ", s12, s3\n\t" \
    "vfma.f32 " #A1 ", s13, s3\n\t" "vfma.f32 " #A2 ", s12, s2\n\t" \
    "vfma.f32 " #A3 ", s13, s2\n\t" "vfma.f32 " #A4 ", s12, s1\n\t"

#define DWG_ROW_K7S2(A0, A1, A2, A3, A4, A5, A6) \
    "vfma.f32 " #A0 ", s7, s0\n\t" "vfma.f32 " #A1 ", s8, s0\n\t" \
    "vfma.f32 " #A2 ", s7, s4\n\t" "vfma.f32 " #A3 ", s8, s4\n\t" \
    "vfma.f32 " #A4 ", s7, s5\n\t" "vfma.f32 " #A5 ", s8, s5\n\t" \
    "vfma.f32 " #A6 ", s7, s6\n\t" "vfma.f32 " #A0 ", s9, s1\n\t" \
    "vfma.f32 " #A1 ", s10, s1\n\t" "vfma.f32 " #A2 ", s9, s0\n\t" \
    "vfma.f32 " #A3 ", s10, s0\n\t" "vfma.f32 " #A4 ", s9, s4\n\t" \
    "vfma.f32 " #A5 ", s10, s4\n\t" "vfma.f32 " #A6 ", s9, s5\n\t" \
    "vfma.f32 " #A0 ", s11, s2\n\t" "vfma.f32 " #A1 ", s12, s2\n\t" \
    "vfma.f32 " #A2 ", s11, s1\n\t" "vfma.f32 " #A3 ", s12, s1\n\t" \
    "vfma.f32 " #A4 ", s11, s0\n\t" "vfma.f32 " #A5 ", s12, s0\n\t" \
    "vfma.f32 " #A6 ", s11, s4\n\t" "vfma.f32 " #A0 ", s13, s3\n\t" \
    "vfma.f32 " #A1 ", s14, s3\n\t" "vfma.f32 " #A2 ", s13, s2\n\t" \
    "vfma.f32 " #A3 ", s14, s2\n\t" "vfma.f32 " #A4 ", s13, s1\n\t" \
    "vfma.f32 " #A5 ", s14, s1\n\t" "vfma.f32 " #A6 ", s13, s0\n\t"


static __attribute__((noinline)) void dwg_k3s1h3(const float *const *xr, const float *d,
                                                 uint32_t n_steps, float *dw)
{
    const float *x0 = xr[0], *x1 = xr[1], *x2 = xr[2];
    uint32_t n = n_steps / 4u;
    __asm__ volatile("vldmia %[w], {s10-s18}\n\t"
                     "vmov.f32 s4, %[z]\n\t" "vmov.f32 s5, %[z]\n\t"
                     "1:\tvldmia %[d]!, {s0-s3}\n\t"
                     "vldmia %[x0]!, {s6-s9}\n\t" DWG_ROW_K3S1(s10, s11, s12)
                     "vldmia %[x1]!, {s6-s9}\n\t" DWG_ROW_K3S1(s13, s14, s15)
                     "vldmia %[x2]!, {s6-s9}\n\t" DWG_ROW_K3S1(s16, s17, s18)
                     "vmov.f32 s5, s2\n\t" "vmov.f32 s4, s3\n\t"
                     "subs %[n], %[n], #1\n\tbne 1b\n\t"
                     "vstmia %[w], {s10-s18}\n"
                     : [d] "+r"(d), [x0] "+r"(x0), [x1] "+r"(x1), [x2] "+r"(x2), [n] "+r"(n)
                     : [z] "t"(0.0f), [w] "r"(dw)
                     : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9",
                       "s10", "s11", "s12", "s13", "s14", "s15", "s16", "s17", "s18",
                       "cc", "memory");
}


static __attribute__((noinline)) void dwg_k5s1h3(const float *const *xr, const float *d,
                                                 uint32_t n_steps, float *dw)
{
    const float *x0 = xr[0], *x1 = xr[1], *x2 = xr[2];
    uint32_t n = n_steps / 4u;
    __asm__ volatile("vldmia %[w], {s12-s26}\n\t"
                     "vmov.f32 s4, %[z]\n\t" "vmov.f32 s5, %[z]\n\t"
                     "vmov.f32 s6, %[z]\n\t" "vmov.f32 s7, %[z]\n\t"
                     "1:\tvldmia %[d]!, {s0-s3}\n\t"
                     "vldmia %[x0]!, {s8-s11}\n\t" DWG_ROW_K5S1(s12, s13, s14, s15, s16)
                     "vldmia %[x1]!, {s8-s11}\n\t" DWG_ROW_K5S1(s17, s18, s19, s20, s21)
                     "vldmia %[x2]!, {s8-s11}\n\t" DWG_ROW_K5S1(s22, s23, s24, s25, s26)
                     "vmov.f32 s7, s0\n\t" "vmov.f32 s6, s1\n\t"
                     "vmov.f32 s5, s2\n\t" "vmov.f32 s4, s3\n\t"
                     "subs %[n], %[n], #1\n\tbne 1b\n\t"
                     "vstmia %[w], {s12-s26}\n"
                     : [d] "+r"(d), [x0] "+r"(x0), [x1] "+r"(x1), [x2] "+r"(x2), [n] "+r"(n)
                     : [z] "t"(0.0f), [w] "r"(dw)
                     : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9",
                       "s10", "s11", "s12", "s13", "s14", "s15", "s16", "s17", "s18", "s19",
                       "s20", "s21", "s22", "s23", "s24", "s25", "s26",
                       "cc", "memory");
}


static __attribute__((noinline)) void dwg_k5s1h2(const float *const *xr, const float *d,
                                                 uint32_t n_steps, float *dw)
{
    const float *x0 = xr[0], *x1 = xr[1];
    uint32_t n = n_steps / 4u;
    __asm__ volatile("vldmia %[w], {s12-s21}\n\t"
                     "vmov.f32 s4, %[z]\n\t" "vmov.f32 s5, %[z]\n\t"
                     "vmov.f32 s6, %[z]\n\t" "vmov.f32 s7, %[z]\n\t"
                     "1:\tvldmia %[d]!, {s0-s3}\n\t"
                     "vldmia %[x0]!, {s8-s11}\n\t" DWG_ROW_K5S1(s12, s13, s14, s15, s16)
                     "vldmia %[x1]!, {s8-s11}\n\t" DWG_ROW_K5S1(s17, s18, s19, s20, s21)
                     "vmov.f32 s7, s0\n\t" "vmov.f32 s6, s1\n\t"
                     "vmov.f32 s5, s2\n\t" "vmov.f32 s4, s3\n\t"
                     "subs %[n], %[n], #1\n\tbne 1b\n\t"
                     "vstmia %[w], {s12-s21}\n"
                     : [d] "+r"(d), [x0] "+r"(x0), [x1] "+r"(x1), [n] "+r"(n)
                     : [z] "t"(0.0f), [w] "r"(dw)
                     : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9",
                       "s10", "s11", "s12", "s13", "s14", "s15", "s16", "s17", "s18", "s19",
                       "s20", "s21",
                       "cc", "memory");
}


static __attribute__((noinline)) void dwg_k3s2h3(const float *const *xr, const float *d,
                                                 uint32_t n_steps, float *dw)
{
    const float *x0 = xr[0], *x1 = xr[1], *x2 = xr[2];
    uint32_t n = n_steps / 4u;
    __asm__ volatile("vldmia %[w], {s13-s21}\n\t"
                     "vmov.f32 s4, %[z]\n\t"
                     "1:\tvldmia %[d]!, {s0-s3}\n\t"
                     "vldmia %[x0]!, {s5-s12}\n\t" DWG_ROW_K3S2(s13, s14, s15)
                     "vldmia %[x1]!, {s5-s12}\n\t" DWG_ROW_K3S2(s16, s17, s18)
                     "vldmia %[x2]!, {s5-s12}\n\t" DWG_ROW_K3S2(s19, s20, s21)
                     "vmov.f32 s4, s3\n\t"
                     "subs %[n], %[n], #1\n\tbne 1b\n\t"
                     "vstmia %[w], {s13-s21}\n"
                     : [d] "+r"(d), [x0] "+r"(x0), [x1] "+r"(x1), [x2] "+r"(x2), [n] "+r"(n)
                     : [z] "t"(0.0f), [w] "r"(dw)
                     : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9",
                       "s10", "s11", "s12", "s13", "s14", "s15", "s16", "s17", "s18", "s19",
                       "s20", "s21",
                       "cc", "memory");
}


static __attribute__((noinline)) void dwg_k5s2h3(const float *const *xr, const float *d,
                                                 uint32_t n_steps, float *dw)
{
    const float *x0 = xr[0], *x1 = xr[1], *x2 = xr[2];
    uint32_t n = n_steps / 4u;
    __asm__ volatile("vldmia %[w], {s14-s28}\n\t"
                     "vmov.f32 s4, %[z]\n\t" "vmov.f32 s5, %[z]\n\t"
                     "1:\tvldmia %[d]!, {s0-s3}\n\t"
                     "vldmia %[x0]!, {s6-s13}\n\t" DWG_ROW_K5S2(s14, s15, s16, s17, s18)
                     "vldmia %[x1]!, {s6-s13}\n\t" DWG_ROW_K5S2(s19, s20, s21, s22, s23)
                     "vldmia %[x2]!, {s6-s13}\n\t" DWG_ROW_K5S2(s24, s25, s26, s27, s28)
                     "vmov.f32 s5, s2\n\t" "vmov.f32 s4, s3\n\t"
                     "subs %[n], %[n], #1\n\tbne 1b\n\t"
                     "vstmia %[w], {s14-s28}\n"
                     : [d] "+r"(d), [x0] "+r"(x0), [x1] "+r"(x1), [x2] "+r"(x2), [n] "+r"(n)
                     : [z] "t"(0.0f), [w] "r"(dw)
                     : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9",
                       "s10", "s11", "s12", "s13", "s14", "s15", "s16", "s17", "s18", "s19",
                       "s20", "s21", "s22", "s23", "s24", "s25", "s26", "s27", "s28",
                       "cc", "memory");
}


static __attribute__((noinline)) void dwg_k5s2h2(const float *const *xr, const float *d,
                                                 uint32_t n_steps, float *dw)
{
    const float *x0 = xr[0], *x1 = xr[1];
    uint32_t n = n_steps / 4u;
    __asm__ volatile("vldmia %[w], {s14-s23}\n\t"
                     "vmov.f32 s4, %[z]\n\t" "vmov.f32 s5, %[z]\n\t"
                     "1:\tvldmia %[d]!, {s0-s3}\n\t"
                     "vldmia %[x0]!, {s6-s13}\n\t" DWG_ROW_K5S2(s14, s15, s16, s17, s18)
                     "vldmia %[x1]!, {s6-s13}\n\t" DWG_ROW_K5S2(s19, s20, s21, s22, s23)
                     "vmov.f32 s5, s2\n\t" "vmov.f32 s4, s3\n\t"
                     "subs %[n], %[n], #1\n\tbne 1b\n\t"
                     "vstmia %[w], {s14-s23}\n"
                     : [d] "+r"(d), [x0] "+r"(x0), [x1] "+r"(x1), [n] "+r"(n)
                     : [z] "t"(0.0f), [w] "r"(dw)
                     : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9",
                       "s10", "s11", "s12", "s13", "s14", "s15", "s16", "s17", "s18", "s19",
                       "s20", "s21", "s22", "s23",
                       "cc", "memory");
}


static __attribute__((noinline)) void dwg_k7s2h2(const float *const *xr, const float *d,
                                                 uint32_t n_steps, float *dw)
{
    const float *x0 = xr[0], *x1 = xr[1];
    uint32_t n = n_steps / 4u;
    __asm__ volatile("vldmia %[w], {s15-s28}\n\t"
                     "vmov.f32 s4, %[z]\n\t" "vmov.f32 s5, %[z]\n\t"
                     "vmov.f32 s6, %[z]\n\t"
                     "1:\tvldmia %[d]!, {s0-s3}\n\t"
                     "vldmia %[x0]!, {s7-s14}\n\t" DWG_ROW_K7S2(s15, s16, s17, s18, s19, s20, s21)
                     "vldmia %[x1]!, {s7-s14}\n\t" DWG_ROW_K7S2(s22, s23, s24, s25, s26, s27, s28)
                     "vmov.f32 s6, s1\n\t" "vmov.f32 s5, s2\n\t"
                     "vmov.f32 s4, s3\n\t"
                     "subs %[n], %[n], #1\n\tbne 1b\n\t"
                     "vstmia %[w], {s15-s28}\n"
                     : [d] "+r"(d), [x0] "+r"(x0), [x1] "+r"(x1), [n] "+r"(n)
                     : [z] "t"(0.0f), [w] "r"(dw)
                     : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9",
                       "s10", "s11", "s12", "s13", "s14", "s15", "s16", "s17", "s18", "s19",
                       "s20", "s21", "s22", "s23", "s24", "s25", "s26", "s27", "s28",
                       "cc", "memory");
}


static __attribute__((noinline)) void dwg_k7s2h1(const float *const *xr, const float *d,
                                                 uint32_t n_steps, float *dw)
{
    const float *x0 = xr[0];
    uint32_t n = n_steps / 4u;
    __asm__ volatile("vldmia %[w], {s15-s21}\n\t"
                     "vmov.f32 s4, %[z]\n\t" "vmov.f32 s5, %[z]\n\t"
                     "vmov.f32 s6, %[z]\n\t"
                     "1:\tvldmia %[d]!, {s0-s3}\n\t"
                     "vldmia %[x0]!, {s7-s14}\n\t" DWG_ROW_K7S2(s15, s16, s17, s18, s19, s20, s21)
                     "vmov.f32 s6, s1\n\t" "vmov.f32 s5, s2\n\t"
                     "vmov.f32 s4, s3\n\t"
                     "subs %[n], %[n], #1\n\tbne 1b\n\t"
                     "vstmia %[w], {s15-s21}\n"
                     : [d] "+r"(d), [x0] "+r"(x0), [n] "+r"(n)
                     : [z] "t"(0.0f), [w] "r"(dw)
                     : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9",
                       "s10", "s11", "s12", "s13", "s14", "s15", "s16", "s17", "s18", "s19",
                       "s20", "s21",
                       "cc", "memory");
}

#undef DWG_ROW_K3S1

#undef DWG_ROW_K5S1

#undef DWG_ROW_K3S2

#undef DWG_ROW_K5S2

#undef DWG_ROW_K7S2


#endif /* MDY_DWG_ASM_H */
