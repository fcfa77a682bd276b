/*
 * mdy_global_avgpool_f32: out[ch] = mean of the ch-th plane of in.
 *   in [c][hw] (CHW), out [c] overwritten. No scratch.
 * On FPU Thumb-2 targets the plane's sum runs 8 values per iteration in inline
 * assembly (one vldm, 8 vadd into the one running sum: the order of the C loop, so the
 * same bits), 1.4 instructions per value instead of ~5.
 */
#include "mdy_internal.h"
#include "paths/mdy_fwd_asm.h"

void mdy_global_avgpool_f32(const float *in, uint32_t c, uint32_t hw, float *out)
{
    const float inv = hw ? 1.0f / (float)hw : 0.0f;
    for (uint32_t ch = 0; ch < c; ++ch) {
        const float *plane = in + (size_t)ch * hw;
        float acc = 0.0f;
        uint32_t i = 0;
#ifdef MDY_HAVE_FWD_ASM
        uint32_t n8 = hw / 8u;
        if (n8 != 0u) {
            const float *p = plane;
            __asm__ volatile("1:\n\t"
                             "vldmia %[p]!, {s8-s15}\n\t"
                             "vadd.f32 %[acc], %[acc], s8\n\t"
                             "vadd.f32 %[acc], %[acc], s9\n\t"
                             "vadd.f32 %[acc], %[acc], s10\n\t"
                             "vadd.f32 %[acc], %[acc], s11\n\t"
                             "vadd.f32 %[acc], %[acc], s12\n\t"
                             "vadd.f32 %[acc], %[acc], s13\n\t"
                             "vadd.f32 %[acc], %[acc], s14\n\t"
                             "vadd.f32 %[acc], %[acc], s15\n\t"
                             "subs %[n], %[n], #1\n\t"
                             "bne 1b\n\t"
                             : [p] "+r"(p), [n] "+r"(n8), [acc] "+t"(acc)
                             :
                             : "s8", "s9", "s10", "s11", "s12", "s13", "s14", "s15", "cc",
                               "memory");
            i = hw & ~7u;
        }
#endif
        for (; i < hw; ++i) {
            acc += plane[i];
        }
        out[ch] = acc * inv;
    }
}
