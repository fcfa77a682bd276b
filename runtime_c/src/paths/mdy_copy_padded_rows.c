/*
 * mdy_copy_padded_rows (internal): the zero-padded row strip of the strip-buffered
 * conv paths. buf [rows][pw] = plane rows [ih0, ih0 + rows) x columns [iw0, iw0 + pw);
 * positions outside the in_h x in_w plane are 0.
 */
#include "../mdy_internal.h"

/* The pads are a few floats: inline stores, not memset calls (GCC turns zeroing loops
 * into calls, which cost more than the stores at these lengths). */
MDY_ALWAYS_INLINE void zero_floats(float *dst, int32_t n)
{
    for (int32_t i = 0; i < n; ++i) {
        ((volatile float *)dst)[i] = 0.0f;
    }
}

void mdy_copy_padded_rows(float *buf, const float *plane, int32_t in_h, int32_t in_w,
                          int32_t ih0, uint32_t rows, int32_t iw0, uint32_t pw)
{
    int32_t c_lo = -iw0 > 0 ? -iw0 : 0;                                 /* first inside */
    int32_t c_hi = in_w - iw0 < (int32_t)pw ? in_w - iw0 : (int32_t)pw; /* exclusive */
    if (c_hi < c_lo) {
        c_hi = c_lo;
    }
    const int32_t n = c_hi - c_lo;
    for (uint32_t r = 0; r < rows; ++r, buf += pw) {
        const int32_t ih = ih0 + (int32_t)r;
        if (ih < 0 || ih >= in_h) {
            zero_floats(buf, (int32_t)pw);
            continue;
        }
        const float *src = plane + ih * in_w + iw0 + c_lo;
#if defined(__GNUC__) && defined(__thumb2__) && defined(__ARM_FP) && (__ARM_FP & 4)
        /* Cortex-M4F/M7: the row in one assembly block: left zeros, 8 floats per
         * vldm/vstm pair, the rest one by one, right zeros (GCC emits 8 single loads and
         * stores for the C loop below, plus a 4-at-a-time tail; the copy is most of a
         * stride-2 depthwise layer's overhead). s0-s7 are caller-saved. */
        {
            float *d = buf;
            uint32_t left = (uint32_t)c_lo, n8 = (uint32_t)n >> 3, n1 = (uint32_t)n & 7u;
            uint32_t right = pw - (uint32_t)c_hi;
            __asm__ volatile("cmp %[l], #0\n\tbeq 2f\n"
                             "1:\tvstmia %[d]!, {%[z]}\n\tsubs %[l], %[l], #1\n\tbne 1b\n"
                             "2:\tcmp %[n8], #0\n\tbeq 4f\n"
                             "3:\tvldmia %[s]!, {s0-s7}\n\tvstmia %[d]!, {s0-s7}\n\t"
                             "subs %[n8], %[n8], #1\n\tbne 3b\n"
                             "4:\tcmp %[n1], #0\n\tbeq 6f\n"
                             "5:\tvldmia %[s]!, {s0}\n\tvstmia %[d]!, {s0}\n\t"
                             "subs %[n1], %[n1], #1\n\tbne 5b\n"
                             "6:\tcmp %[r], #0\n\tbeq 8f\n"
                             "7:\tvstmia %[d]!, {%[z]}\n\tsubs %[r], %[r], #1\n\tbne 7b\n"
                             "8:\n"
                             : [d] "+r"(d), [s] "+r"(src), [l] "+r"(left), [n8] "+r"(n8),
                               [n1] "+r"(n1), [r] "+r"(right)
                             : [z] "t"(0.0f)
                             : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "cc", "memory");
        }
        continue;
#else
        float *dst = buf + c_lo;
        zero_floats(buf, c_lo);
        int32_t i = 0;
        for (; i + 4 <= n; i += 4) {   /* 4 at a time: ldm/stm-friendly */
            const float a = src[i], b = src[i + 1], c = src[i + 2], d = src[i + 3];
            dst[i] = a;
            dst[i + 1] = b;
            dst[i + 2] = c;
            dst[i + 3] = d;
        }
        for (; i < n; ++i) {
            dst[i] = src[i];
        }
#endif
#if !(defined(__GNUC__) && defined(__thumb2__) && defined(__ARM_FP) && (__ARM_FP & 4))
        zero_floats(buf + c_hi, (int32_t)pw - c_hi);
#endif
    }
}
