/*
 * mdy_add_f32: out[i] = a[i] + b[i] for i < n (residual add).
 * out may alias a or b (element-wise, read before write). No scratch.
 * On FPU Thumb-2 targets 8 elements per iteration in inline assembly: one vldm of each
 * operand, 8 vadd, one vstm (1.6 instructions per element instead of ~7 for GCC's loop
 * of single loads); the same sums, so the same bits.
 */
#include "mdy_internal.h"
#include "paths/mdy_fwd_asm.h"

void mdy_add_f32(const float *a, const float *b, float *out, uint32_t n)
{
    uint32_t i = 0;
#ifdef MDY_HAVE_FWD_ASM
    uint32_t n8 = n / 8u;
    if (n8 != 0u) {
        const float *pa = a, *pb = b;
        float *po = out;
        /* all 8 of a chunk are loaded before any is stored: out == a or b is safe */
        __asm__ volatile("1:\n\t"
                         "vldmia %[a]!, {s0-s7}\n\t"
                         "vldmia %[b]!, {s8-s15}\n\t"
                         "vadd.f32 s0, s0, s8\n\t"
                         "vadd.f32 s1, s1, s9\n\t"
                         "vadd.f32 s2, s2, s10\n\t"
                         "vadd.f32 s3, s3, s11\n\t"
                         "vadd.f32 s4, s4, s12\n\t"
                         "vadd.f32 s5, s5, s13\n\t"
                         "vadd.f32 s6, s6, s14\n\t"
                         "vadd.f32 s7, s7, s15\n\t"
                         "vstmia %[o]!, {s0-s7}\n\t"
                         "subs %[n], %[n], #1\n\t"
                         "bne 1b\n\t"
                         : [a] "+r"(pa), [b] "+r"(pb), [o] "+r"(po), [n] "+r"(n8)
                         :
                         : MDY_ASM_CLOBBER_S0_15, "cc", "memory");
        i = n & ~7u;
    }
#endif
    for (; i < n; ++i) {
        out[i] = a[i] + b[i];
    }
}
