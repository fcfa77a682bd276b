/*
 * mdy_s8_dot_rows / mdy_s8_pack: the int8 GEMM micro-kernel of mdy_conv2d_s8 (packed
 * layout: mdy_s8_internal.h; mdy_gemm_s8 has its own loops). Two output channels x two
 * columns per pass: each 4-byte weight load and its two SXTB16 serve two columns, each column
 * word serves two channels, so 16 MACs cost 8 SMLAD + 6 loads + 4 SXTB16. The two
 * columns are interleaved group by group so one pointer walks both (with two weight
 * rows and four accumulators everything stays in registers). Results are computed
 * before any store: int8 stores may alias the requant parameters.
 */
#include "../mdy_s8_internal.h"

void mdy_s8_pack(const int16_t *nat, uint32_t j, uint32_t n_col, uint32_t k, int16_t *blk)
{
    const uint32_t k4 = k & ~3u, step = 4u * n_col;
    int16_t *dst = blk + 4u * j;
    for (uint32_t i = 0; i < k4; i += 4u, dst += step) {
        dst[0] = nat[i];
        dst[1] = nat[i + 2u];
        dst[2] = nat[i + 1u];
        dst[3] = nat[i + 3u];
    }
    dst = blk + n_col * k4 + j * (k - k4);
    for (uint32_t i = k4; i < k; ++i) {
        *dst++ = nat[i];
    }
}

/* a + w . column (packed groups `step` halfwords apart, then `tail` in order) */
MDY_ALWAYS_INLINE int32_t mdy_s8_dot1(int32_t a, const int8_t *MDY_RESTRICT w,
                                      const int16_t *MDY_RESTRICT c, uint32_t step,
                                      const int16_t *MDY_RESTRICT tail, uint32_t k4, uint32_t k)
{
    for (uint32_t i = 0; i < k4; i += 4u, c += step) {
        a = mdy_mac4(a, mdy_w4(w + i), c);
    }
    for (uint32_t i = k4; i < k; ++i) {
        a += w[i] * tail[i - k4];
    }
    return a;
}

void mdy_s8_dot_rows(const int16_t *blk, uint32_t n_col, uint32_t k, const int8_t *w,
                     uint32_t n_out, const int32_t *bias, const mdy_s8_requant_t *q,
                     const int32_t *mult, const int32_t *shift, int8_t *out, size_t out_stride)
{
    const uint32_t k4 = k & ~3u, kt = k - k4;
    const int32_t out_zp = q->out_zp, lo = q->act_min, hi = q->act_max;
    const uint32_t lo4 = mdy_s8_rep4(lo), hi4 = mdy_s8_rep4(hi);
    const int16_t *tail = blk + n_col * k4;
    uint32_t o = 0;
    for (; o + 2u <= n_out; o += 2u) {
        const int8_t *MDY_RESTRICT w0 = w + (size_t)o * k;
        const int8_t *MDY_RESTRICT w1 = w0 + k;
        const int32_t b0 = bias ? bias[o] : 0, b1 = bias ? bias[o + 1u] : 0;
        int8_t *y = out + (size_t)o * out_stride;
        if (n_col == 2u) {
            const mdy_s8_acc2x2_t a = mdy_s8_dot2x2(blk, w0, w1, k, b0, b1);
            const mdy_s8_rq_t r0 = mdy_s8_rq_make(mult[o], shift[o], out_zp);
            const mdy_s8_rq_t r1 = mdy_s8_rq_make(mult[o + 1u], shift[o + 1u], out_zp);
            if (!MDY_UNLIKELY(r0.slow | r1.slow)) {
                /* both channels in mdy_s8_rq_fast's range: SSAT/SEL clamps, one STRH per
                 * channel (was a compare-and-branch clamp and a STRB per output) */
                mdy_s8_st2x2(y, out_stride, a, &r0, &r1, lo4, hi4);
                continue;
            }
            const int8_t y00 = mdy_s8_finish(a.a00, &r0, lo, hi);
            const int8_t y01 = mdy_s8_finish(a.a01, &r0, lo, hi);
            const int8_t y10 = mdy_s8_finish(a.a10, &r1, lo, hi);
            const int8_t y11 = mdy_s8_finish(a.a11, &r1, lo, hi);
            y[0] = y00;
            y[1] = y01;
            y[out_stride] = y10;
            y[out_stride + 1u] = y11;
        } else {
            int32_t a00 = b0, a10 = b1;
            const int16_t *MDY_RESTRICT c = blk;
            for (uint32_t i = 0; i < k4; i += 4u, c += 4) {
                a00 = mdy_mac4(a00, mdy_w4(w0 + i), c);
                a10 = mdy_mac4(a10, mdy_w4(w1 + i), c);
            }
            for (uint32_t i = k4; i < k; ++i) {
                a00 += w0[i] * tail[i - k4];
                a10 += w1[i] * tail[i - k4];
            }
            const mdy_s8_rq_t r0 = mdy_s8_rq_make(mult[o], shift[o], out_zp);
            const mdy_s8_rq_t r1 = mdy_s8_rq_make(mult[o + 1u], shift[o + 1u], out_zp);
            if (!MDY_UNLIKELY(r0.slow | r1.slow)) {
                const uint32_t v = mdy_s8_clamp2(mdy_s8_rq_fast(a00, r0.mult, r0.k, r0.sh),
                                                 mdy_s8_rq_fast(a10, r1.mult, r1.k, r1.sh), lo4, hi4);
                y[0] = (int8_t)(uint8_t)v;
                y[out_stride] = (int8_t)(uint8_t)(v >> 8);
                continue;
            }
            const int8_t y00 = mdy_s8_finish(a00, &r0, lo, hi);
            const int8_t y10 = mdy_s8_finish(a10, &r1, lo, hi);
            y[0] = y00;
            y[out_stride] = y10;
        }
    }
    if (o < n_out) { /* odd channel count: the last row alone */
        const int8_t *MDY_RESTRICT w0 = w + (size_t)o * k;
        const int32_t b0 = bias ? bias[o] : 0;
        const mdy_s8_rq_t r0 = mdy_s8_rq_make(mult[o], shift[o], out_zp);
        for (uint32_t j = 0; j < n_col; ++j) {
            const int32_t a = mdy_s8_dot1(b0, w0, blk + 4u * j, 4u * n_col, tail + j * kt, k4, k);
            out[(size_t)o * out_stride + j] = mdy_s8_finish(a, &r0, lo, hi);
        }
    }
}
