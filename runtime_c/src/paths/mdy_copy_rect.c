/*
 * mdy_copy_rect (internal): rows x cols floats from src (row stride src_w) into dst (row
 * stride pw), e.g. the plane part of a strip buffer whose zero pads are already written
 * (the depthwise strip path after its first copy). Nothing when rows or cols is 0.
 */
#include "../mdy_internal.h"
#include "mdy_fwd_asm.h"

#ifndef MDY_HAVE_FWD_ASM
static void copy_rows_c(float *dst, const float *src, uint32_t src_w, uint32_t pw,
                        uint32_t rows, uint32_t cols)
{
    for (uint32_t r = 0; r < rows; ++r, dst += pw, src += src_w) {
        for (uint32_t i = 0; i < cols; ++i) {
            dst[i] = src[i];
        }
    }
}
#endif

#ifdef MDY_HAVE_FWD_ASM
/* rows >= 1 rows of one vldm/vstm pair each (the register list is the row) */
#define COPY_ROWS(LIST)                                                                  \
    __asm__ volatile("1:\n\tvldmia %[s], {" LIST "}\n\tvstmia %[d], {" LIST "}\n\t"          \
                     "add %[s], %[s], %[ss]\n\tadd %[d], %[d], %[ds]\n\t"                   \
                     "subs %[n], %[n], #1\n\tbne 1b\n"                                     \
                     : [d] "+r"(dst), [s] "+r"(src), [n] "+r"(rows)                         \
                     : [ss] "r"(src_w * 4u), [ds] "r"(pw * 4u)                              \
                     : MDY_ASM_CLOBBER_S0_15, "cc", "memory")

/* rows >= 1 rows of 1 <= cols <= 16 floats, one vldm/vstm pair per row */
static void copy_cols(float *dst, const float *src, uint32_t src_w, uint32_t pw,
                         uint32_t rows, uint32_t cols)
{
    switch (cols) {
    case 1u:
        COPY_ROWS("s0");
        break;
    case 2u:
        COPY_ROWS("s0-s1");
        break;
    case 3u:
        COPY_ROWS("s0-s2");
        break;
    case 4u:
        COPY_ROWS("s0-s3");
        break;
    case 5u:
        COPY_ROWS("s0-s4");
        break;
    case 6u:
        COPY_ROWS("s0-s5");
        break;
    case 7u:
        COPY_ROWS("s0-s6");
        break;
    case 8u:
        COPY_ROWS("s0-s7");
        break;
    case 9u:
        COPY_ROWS("s0-s8");
        break;
    case 10u:
        COPY_ROWS("s0-s9");
        break;
    case 11u:
        COPY_ROWS("s0-s10");
        break;
    case 12u:
        COPY_ROWS("s0-s11");
        break;
    case 13u:
        COPY_ROWS("s0-s12");
        break;
    case 14u:
        COPY_ROWS("s0-s13");
        break;
    case 15u:
        COPY_ROWS("s0-s14");
        break;
    case 16u:
        COPY_ROWS("s0-s15");
        break;
    default:
        break;
    }
}
#endif

/* With the assembly: column bands of up to 16 floats, one vldm/vstm pair per row and
 * band (6 instructions; an 8/4/1 ladder costs 20-30 per row on the short rows of small
 * maps). */
void mdy_copy_rect(float *dst, const float *src, uint32_t src_w, uint32_t pw, uint32_t rows,
                   uint32_t cols)
{
    if (rows == 0u || cols == 0u) {
        return;
    }
#ifdef MDY_HAVE_FWD_ASM
    for (; cols > 16u; cols -= 16u, dst += 16, src += 16) {
        copy_cols(dst, src, src_w, pw, rows, 16u);
    }
    copy_cols(dst, src, src_w, pw, rows, cols);
#else
    copy_rows_c(dst, src, src_w, pw, rows, cols);
#endif
}
