/*
 * mdy_conv_depthwise_f32 (internal path of mdy_conv2d_f32): groups == in_c == out_c,
 * square 3x3 / 5x5 / 7x7 window, stride 1 or 2, no dilation, any padding.
 *
 * Per channel, output rows are processed in strips: the input rows a strip reads are
 * copied, zero-padded, into a stack buffer (MDY_CONV_STRIP_FLOATS floats), so every
 * output pixel takes the same unrolled, bounds-check-free window loop, at any map size
 * down to 1x1 (small maps are all border, which a border path would make slow). Inner
 * block: 4 neighbouring output pixels (4 accumulators); each input value of the
 * block's rows is loaded once per block.
 * Returns 0 (does nothing) when one output row's input rows do not fit the buffer.
 *
 * The first strip copy writes the zero pads; later channels and strips copy only the
 * plane's columns (the pad columns stay zero), so small maps cost one row copy per
 * input row and channel.
 *
 * With the assembly (3x3, 5x5, 7x7; all clamp kinds) a strip's rows are one call. A
 * row whose width leaves 3 pixels after its 4-pixel blocks (7x7, 14x14 stride 2) runs
 * one more block: its extra reads run into the next strip row (or the zeroed slack
 * after the last), and its extra outputs spill into the next output row(s), which are
 * written (correctly) later in the same pass. Only where the spill would pass the end
 * of the whole output (the last row of the last channel) does the row stop at its
 * whole blocks and finish in C. 1 or 2 pixels left: a 1- or 2-pixel tail inside the
 * 3x3 assembly, C after the 5x5 / 7x7 rows. 3x3 on maps of one strip per channel runs
 * a channel loop with everything channel-invariant hoisted.
 */
#include <string.h>

#include "../mdy_internal.h"
#include "mdy_fwd_asm_dw.h"

#ifdef MDY_HAVE_FWD_ASM
#define DW_ASM3 1
#else
#define DW_ASM3 0
#endif

/* Strip row length (floats) for out_w outputs: exactly the window's input columns. With
 * the assembly, a row's last block of 4 may run past out_w (see top): its extra reads
 * run into the next strip row, or past the last one into DW_SLACK floats kept free at
 * the end of the buffer (zeroed); only its garbage outputs depend on them. */
static inline uint32_t dw_strip_pw(uint32_t out_w, int K, int S)
{
    return (out_w - 1u) * (uint32_t)S + (uint32_t)K;
}
#define DW_SLACK 8u

/* One window row kh: PB outputs += the K taps of strip row xr. */
MDY_ALWAYS_INLINE void dw_row(float *acc, const float *MDY_RESTRICT xr,
                              const float *MDY_RESTRICT wr, const int K, const int S,
                              const int PB)
{
    float xv[(4 - 1) * 2 + 7];
    MDY_UNROLL
    for (int i = 0; i < (PB - 1) * S + K; ++i) {
        xv[i] = xr[i];
    }
    MDY_UNROLL
    for (int kw = 0; kw < K; ++kw) {
        const float wv = wr[kw];
        MDY_UNROLL
        for (int q = 0; q < PB; ++q) {
            acc[q] += wv * xv[q * S + kw];
        }
    }
}

/* PB output pixels; x[kh]: strip row kh of the window, first pixel; pw: strip row
 * length. 3x3 and 5x5: the whole window unrolled (one pointer per window row: loads at
 * immediate offsets). 7x7: a loop over the window rows from x[0], so that the 49
 * weights are not all hoisted (they do not fit the 32 FPU registers: GCC spilled them
 * to the stack and reloaded them, 3.4 instr/MAC at 24x24 stride 2). */
MDY_ALWAYS_INLINE void dw_block(const float *const *x, uint32_t pw, const float *MDY_RESTRICT wl,
                                float b, float lo, float hi, float *MDY_RESTRICT y,
                                const int K, const int S, const int PB)
{
    float acc[4];
    MDY_UNROLL
    for (int q = 0; q < PB; ++q) {
        acc[q] = b;
    }
    if (K <= 5) {
        MDY_UNROLL
        for (int kh = 0; kh < K; ++kh) {
            const float *xr = x[kh];
            float xv[(4 - 1) * 2 + 5];
            MDY_UNROLL
            for (int i = 0; i < (PB - 1) * S + K; ++i) {
                xv[i] = xr[i];
            }
            MDY_UNROLL
            for (int kw = 0; kw < K; ++kw) {
                const float wv = wl[kh * K + kw];
                MDY_UNROLL
                for (int q = 0; q < PB; ++q) {
                    acc[q] += wv * xv[q * S + kw];
                }
            }
        }
    } else {
        const float *xr = x[0];
        const float *wr = wl;
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8
#pragma GCC unroll 1
#endif
        for (int kh = 0; kh < K; ++kh, xr += pw, wr += K) {
            dw_row(acc, xr, wr, K, S, PB);
        }
    }
    MDY_UNROLL
    for (int q = 0; q < PB; ++q) {
        y[q] = mdy_clampf(acc[q], lo, hi);
    }
}

/* The last n (1..3) pixels of a row from strip row x0: a 2-pixel and a 1-pixel block.
 * One out-of-line copy per window and stride (the row code and the 5x5 / 7x7 tails
 * share it). */
MDY_ALWAYS_INLINE void dw_rest_k(const float *x0, uint32_t pw, const float *MDY_RESTRICT w,
                                 float b, float lo, float hi, float *MDY_RESTRICT y,
                                 uint32_t n, const int K, const int S)
{
    const float *x[7];
    MDY_UNROLL
    for (int kh = 0; kh < K; ++kh) {
        x[kh] = x0 + (uint32_t)kh * pw;
    }
    if (n >= 2u) {
        dw_block(x, pw, w, b, lo, hi, y, K, S, 2);
        MDY_UNROLL
        for (int kh = 0; kh < K; ++kh) {
            x[kh] += 2 * S;
        }
        y += 2;
        n -= 2u;
    }
    if (n > 0u) {
        dw_block(x, pw, w, b, lo, hi, y, K, S, 1);
    }
}

#define DW_REST(NAME, K, S)                                                               \
    static __attribute__((noinline)) void NAME(const float *x0, uint32_t pw, const float *w, \
                                               float b, float lo, float hi, float *y,        \
                                               uint32_t n)                                   \
    {                                                                                      \
        dw_rest_k(x0, pw, w, b, lo, hi, y, n, K, S);                                       \
    }

DW_REST(dw_rest_k3s1, 3, 1)
DW_REST(dw_rest_k3s2, 3, 2)
DW_REST(dw_rest_k5s1, 5, 1)
DW_REST(dw_rest_k5s2, 5, 2)
DW_REST(dw_rest_k7s1, 7, 1)
DW_REST(dw_rest_k7s2, 7, 2)

MDY_ALWAYS_INLINE void dw_rest(const float *x0, uint32_t pw, const float *w, float b, float lo,
                               float hi, float *y, uint32_t n, const int K, const int S)
{
    if (K == 3) {
        (S == 1 ? dw_rest_k3s1 : dw_rest_k3s2)(x0, pw, w, b, lo, hi, y, n);
    } else if (K == 5) {
        (S == 1 ? dw_rest_k5s1 : dw_rest_k5s2)(x0, pw, w, b, lo, hi, y, n);
    } else {
        (S == 1 ? dw_rest_k7s1 : dw_rest_k7s2)(x0, pw, w, b, lo, hi, y, n);
    }
}

/* The strip of output rows [oh0, oh0 + rows) after the buffer's first full copy: the
 * columns outside the plane are still zero (nothing writes them), so only the plane's
 * columns [c_lo, c_lo + cols) of each strip row are written, zeros where the row is
 * outside the plane (skipped when zero_rows is 0: one strip per channel, whose
 * outside rows stay zero). */
static void dw_fill(float *buf, const float *plane, int32_t in_h, int32_t in_w, int32_t ih0,
                    uint32_t n_rows, uint32_t pw, uint32_t c_lo, int32_t iw0, uint32_t cols,
                    int zero_rows)
{
    const uint32_t ra = ih0 < 0 ? (uint32_t)-ih0 : 0u;
    uint32_t rb = in_h - ih0 < (int32_t)n_rows ? (uint32_t)(in_h - ih0) : n_rows;
    rb = rb < ra ? ra : rb;
    if (zero_rows) {
        for (uint32_t r = 0; r < n_rows; ++r) {
            if (r < ra || r >= rb) {
                float *d = buf + r * pw + c_lo;
                for (uint32_t i = 0; i < cols; ++i) {
                    d[i] = 0.0f;
                }
            }
        }
    }
    const float *src = plane + (size_t)(ih0 + (int32_t)ra) * (uint32_t)in_w +
                       (uint32_t)((int32_t)c_lo + iw0);
    mdy_copy_rect(buf + ra * pw + c_lo, src, (uint32_t)in_w, pw, rb - ra, cols);
}

#ifdef MDY_HAVE_FWD_ASM
/* The 3x3 assembly for rows rows of k[6] blocks from strip row x0 (row length pw);
 * one out-of-line copy per stride and clamp kind, shared by both call sites. */
/* act: MDY_ACT_* (vcmp clamps), or DW3_IRELU / DW3_IRELU6 for the integer clamps of
 * mdy_asm_dw3_rows_int (lo == 0), whose per-row values go to k[8..10]. */
enum { DW3_IRELU = 3, DW3_IRELU6 = 4 };
static __attribute__((noinline)) void dw3_asm(const float *x0, uint32_t pw, uint32_t rows,
                                              uint32_t skip, uint32_t yback, uint32_t tail,
                                              const float *wt,
                                              float *k, float *y, int S, int act)
{
    const float *x1 = x0 + pw, *x2 = x0 + 2u * pw;
    if (act >= DW3_IRELU) {
        const uint32_t row[3] = {tail, skip, yback};
        memcpy(&k[8], row, sizeof row);
        /* S and the kind pick one of the four inlined assembly blocks */
        mdy_asm_dw3_rows_int(x0, x1, x2, rows, wt, k, y, S, act == DW3_IRELU6);
        return;
    }
    if (S == 1) {
        if (act == MDY_ACT_NONE) {
            (void)mdy_asm_dw3_rows(x0, x1, x2, rows, skip, yback, tail, wt, k, y, 1, MDY_ACT_NONE);
        } else if (act == MDY_ACT_LO) {
            (void)mdy_asm_dw3_rows(x0, x1, x2, rows, skip, yback, tail, wt, k, y, 1, MDY_ACT_LO);
        } else {
            (void)mdy_asm_dw3_rows(x0, x1, x2, rows, skip, yback, tail, wt, k, y, 1, MDY_ACT_BOTH);
        }
    } else {
        if (act == MDY_ACT_NONE) {
            (void)mdy_asm_dw3_rows(x0, x1, x2, rows, skip, yback, tail, wt, k, y, 2, MDY_ACT_NONE);
        } else if (act == MDY_ACT_LO) {
            (void)mdy_asm_dw3_rows(x0, x1, x2, rows, skip, yback, tail, wt, k, y, 2, MDY_ACT_LO);
        } else {
            (void)mdy_asm_dw3_rows(x0, x1, x2, rows, skip, yback, tail, wt, k, y, 2, MDY_ACT_BOTH);
        }
    }
}
#endif

#ifdef MDY_HAVE_FWD_ASM
/* The 5x5 / 7x7 assembly for rows rows of k[6] blocks; one copy per window and
 * stride, shared by both call sites. */
static __attribute__((noinline)) void dwk_asm(const float *x0, uint32_t pw, uint32_t rows,
                                              uint32_t skip, uint32_t yback, const float *w,
                                              const float *k, float *y, int K, int S)
{
    if (K == 5) {
        if (S == 1) {
            mdy_asm_dwk_rows(x0, pw * 4u, rows, skip, yback, w, k, y, 5, 1);
        } else {
            mdy_asm_dwk_rows(x0, pw * 4u, rows, skip, yback, w, k, y, 5, 2);
        }
    } else {
        if (S == 1) {
            mdy_asm_dwk_rows(x0, pw * 4u, rows, skip, yback, w, k, y, 7, 1);
        } else {
            mdy_asm_dwk_rows(x0, pw * 4u, rows, skip, yback, w, k, y, 7, 2);
        }
    }
}
#endif

MDY_ALWAYS_INLINE void dw_all(const float *in, const mdy_conv_params_t *p,
                              const float *MDY_RESTRICT w, const float *bias,
                              float *MDY_RESTRICT out, float *MDY_RESTRICT buf,
                              uint32_t strip, const int K, const int S)
{
    const int32_t in_h = p->in_h, in_w = p->in_w;
    const int32_t out_h = p->out_h, out_w = p->out_w;
    const uint32_t pw = dw_strip_pw((uint32_t)out_w, K, S);
    const float lo = p->act_min, hi = p->act_max;
    const int32_t ih_first = -(int32_t)p->pad_top, iw0 = -(int32_t)p->pad_left;
    const size_t in_plane = (size_t)in_h * in_w;
#ifdef MDY_HAVE_FWD_ASM
    const int act = mdy_act_kind(lo, hi);
    /* the 3x3 assembly's clamp: integer ReLU / ReLU6 when lo == 0 (mdy_fwd_asm_pw.h) */
    const int act3 = lo == 0.0f && act == MDY_ACT_LO                 ? DW3_IRELU
                     : lo == 0.0f && act == MDY_ACT_BOTH && hi > 0.0f ? DW3_IRELU6
                                                                      : act;
    /* the end of the whole output: a spilling block must not pass it */
    const float *const out_end = out + (size_t)p->in_c * (uint32_t)out_h * (uint32_t)out_w;
#endif
    /* One strip per channel (small maps): every channel's strip has the same zero pads,
     * written by the first channel's full copy; later channels copy only the plane's
     * values (the full copy costs about as much as the 3x3 arithmetic at 7x7). */
    const int one_strip = strip >= (uint32_t)out_h;
    const int32_t c_lo = iw0 < 0 ? -iw0 : 0;
    const int32_t c_hi = in_w - iw0 < (int32_t)pw ? in_w - iw0 : (int32_t)pw;
    const uint32_t in_cols = c_hi > c_lo ? (uint32_t)(c_hi - c_lo) : 0u;
#ifdef MDY_HAVE_FWD_ASM
    /* the assembly's 4 x bias (one vldm starts a block's sums), lo, hi and the block count
     * (as uint32 bits, set per call), then for the integer clamps c and the row values
     * (k[7..10], mdy_asm_dw3_rows_int) */
    float kb[12];
    kb[4] = lo;
    kb[5] = hi;
    if (act3 == DW3_IRELU6) {
        uint32_t hi_bits;
        memcpy(&hi_bits, &hi, sizeof hi_bits);
        const uint32_t c = mdy_irelu6_c(hi_bits);
        memcpy(&kb[7], &c, sizeof c);
    }
    if (((uint32_t)out_w & 3u) == 3u) {
        /* the slack a spilling block reads past the first (longest) strip's rows */
        const uint32_t rows1 = strip < (uint32_t)out_h ? strip : (uint32_t)out_h;
        float *slack = buf + ((rows1 - 1u) * (uint32_t)S + (uint32_t)K) * pw;
        for (uint32_t i = 0; i < DW_SLACK; ++i) {
            slack[i] = 0.0f;
        }
    }
#endif
#ifdef MDY_HAVE_FWD_ASM
    if (K == 3 && one_strip && out_w >= 3) {
        /* 3x3, one strip per channel (maps up to ~20 wide): the general loop below with
         * everything channel-invariant hoisted (its bookkeeping cost ~125 instructions
         * a channel, half the arithmetic of a 5x5 map): per channel the plane's columns
         * into the strip, the bias, one assembly call. Only the last channel's last row
         * may not spill (out_end): whole blocks, then dw_rest. */
        const uint32_t n_rows = (uint32_t)(out_h - 1) * (uint32_t)S + 3u;
        const uint32_t ra = ih_first < 0 ? (uint32_t)-ih_first : 0u;
        uint32_t rb = in_h - ih_first < (int32_t)n_rows ? (uint32_t)(in_h - ih_first) : n_rows;
        rb = rb < ra ? ra : rb;
        const size_t src_off =
            (size_t)(ih_first + (int32_t)ra) * (uint32_t)in_w + (uint32_t)(c_lo + iw0);
        float *const dst = buf + ra * pw + (uint32_t)c_lo;
        const uint32_t r4 = (uint32_t)out_w & 3u;
        const int spill = r4 == 3u;
        const uint32_t nb = (uint32_t)out_w / 4u + (spill ? 1u : 0u);
        const uint32_t w4 = nb * 4u;
        const uint32_t skip = (S * pw - w4 * S) * 4u;
        const uint32_t yback = spill ? (w4 - (uint32_t)out_w) * 4u : 0u;
        const uint32_t tail = spill ? 0u : r4;
        const uint32_t out_plane = (uint32_t)out_h * (uint32_t)out_w;
        memcpy(&kb[6], &nb, sizeof nb);
        mdy_copy_padded_rows(buf, in, in_h, in_w, ih_first, n_rows, iw0, pw);
        for (uint32_t c = 0; c < p->in_c; ++c, w += 9, out += out_plane) {
            const float b = bias ? bias[c] : 0.0f;
            kb[0] = kb[1] = kb[2] = kb[3] = b;
            if (c > 0u) {
                mdy_copy_rect(dst, in + c * in_plane + src_off, (uint32_t)in_w, pw, rb - ra,
                             in_cols);
            }
            const uint32_t rows = spill && c + 1u == p->in_c ? (uint32_t)out_h - 1u
                                                             : (uint32_t)out_h;
            if (rows > 0u) {
                dw3_asm(buf, pw, rows, skip, yback, tail, w, kb, out, S, act3);
            }
            if (rows < (uint32_t)out_h) {
                const float *x0 = buf + rows * S * pw;
                float *y = out + rows * (uint32_t)out_w;
                const uint32_t nb1 = (uint32_t)out_w / 4u;
                if (nb1 > 0u) {
                    memcpy(&kb[6], &nb1, sizeof nb1);
                    dw3_asm(x0, pw, 1u, 0u, 0u, 0u, w, kb, y, S, act3);
                }
                dw_rest(x0 + nb1 * 4u * S, pw, w, b, lo, hi, y + nb1 * 4u,
                        (uint32_t)out_w - nb1 * 4u, 3, S);
            }
        }
        return;
    }
#endif
    for (uint32_t c = 0; c < p->in_c; ++c, w += K * K) {
        const float *plane = in + c * in_plane;
        const float b = bias ? bias[c] : 0.0f;
#ifdef MDY_HAVE_FWD_ASM
        kb[0] = kb[1] = kb[2] = kb[3] = b;
#endif
        for (uint32_t oh0 = 0; oh0 < (uint32_t)out_h; oh0 += strip) {
            const uint32_t rows = (uint32_t)out_h - oh0 < strip ? (uint32_t)out_h - oh0 : strip;
            if (c == 0u && oh0 == 0u) {
                /* the first strip: the whole strip, zero pads included */
                mdy_copy_padded_rows(buf, plane, in_h, in_w, ih_first, (rows - 1u) * S + K, iw0,
                                     pw);
            } else {
                dw_fill(buf, plane, in_h, in_w, (int32_t)(oh0 * S) + ih_first,
                        (rows - 1u) * S + K, pw, (uint32_t)c_lo, iw0, in_cols, !one_strip);
            }
            float *y = out + (oh0 * (uint32_t)out_w);
            uint32_t r0 = 0;
#ifdef MDY_HAVE_FWD_ASM
            if (K == 3 && out_w >= 3) {
                /* the strip's rows in one assembly call: per row the whole 4-pixel
                 * blocks, then a 1- or 2-pixel tail; 3 pixels left: one more block,
                 * which spills into the next row (see top), except past out_end: a last
                 * row that would do so is left to the per-row code below */
                const uint32_t r4 = (uint32_t)out_w & 3u;
                const int spill = r4 == 3u;
                const uint32_t nb = (uint32_t)out_w / 4u + (spill ? 1u : 0u);
                const uint32_t w4 = nb * 4u;
                memcpy(&kb[6], &nb, sizeof nb);
                r0 = spill && (size_t)(out_end - (y + (rows - 1u) * (uint32_t)out_w)) < w4
                         ? rows - 1u
                         : rows;
                if (r0 > 0u) {
                    /* skip wraps around (uint32) when pw < w4 S: the assembly adds it
                     * modulo 2^32 */
                    dw3_asm(buf, pw, r0, (S * pw - w4 * S) * 4u,
                            spill ? (w4 - (uint32_t)out_w) * 4u : 0u, spill ? 0u : r4, w, kb, y,
                            S, act3);
                    y += r0 * (uint32_t)out_w;
                }
            }
            if (K >= 5 && out_w >= 3) {
                /* 5x5 / 7x7: the strip's rows of whole blocks in one assembly call (3
                 * pixels left: a spilling block, as 3x3; 1-2 left: C below), the last
                 * row as 3x3. The assembly always clamps to [lo, hi]: with +-INF (no
                 * clamp, ReLU) the compares change nothing (a NaN stays) and cost 32
                 * instructions per 100 or 196 MACs */
                const uint32_t r4 = (uint32_t)out_w & 3u;
                const int spill = r4 == 3u;
                const uint32_t nb = (uint32_t)out_w / 4u + (spill ? 1u : 0u);
                const uint32_t w4 = nb * 4u;
                memcpy(&kb[6], &nb, sizeof nb);
                r0 = spill && (size_t)(out_end - (y + (rows - 1u) * (uint32_t)out_w)) < w4
                         ? rows - 1u
                         : rows;
                if (r0 > 0u) {
                    dwk_asm(buf, pw, r0, (S * pw - w4 * S) * 4u, (w4 - (uint32_t)out_w) * 4u, w,
                            kb, y, K, S);
                    for (uint32_t r = 0; r < r0 && !spill && r4 != 0u; ++r) {
                        dw_rest(buf + r * S * pw + w4 * S, pw, w, b, lo, hi,
                                y + r * (uint32_t)out_w + w4, r4, K, S);
                    }
                    y += r0 * (uint32_t)out_w;
                }
            }
#endif
            for (uint32_t r = r0; r < rows; ++r) {
                /* one pointer per window row (unused ones are dead code for 7x7) */
                const float *x[7];
                MDY_UNROLL
                for (int kh = 0; kh < K; ++kh) {
                    x[kh] = buf + (r * S + (uint32_t)kh) * pw;
                }
                int32_t ow = 0;
#ifdef MDY_HAVE_FWD_ASM
                if (K == 3) {
                    /* only the output's last row, when its spill would pass out_end:
                     * its whole blocks here, the 1-3 pixel remainder in C below */
                    const uint32_t nb = (uint32_t)out_w / 4u;
                    memcpy(&kb[6], &nb, sizeof nb);
                    const uint32_t done = nb * 4u;
                    if (nb > 0u) {
                        dw3_asm(x[0], pw, 1u, 0u, 0u, 0u, w, kb, y, S, act3);
                    }
                    ow = (int32_t)done;
                    y += done;
                    MDY_UNROLL
                    for (int kh = 0; kh < K; ++kh) {
                        x[kh] += done * (uint32_t)S;
                    }
                } else if (K >= 5 && out_w >= 4) {
                    /* the output's last row, when a spilling block would pass out_end:
                     * its whole blocks here, the rest in C below */
                    const uint32_t nb = (uint32_t)out_w / 4u;
                    memcpy(&kb[6], &nb, sizeof nb);
                    dwk_asm(x[0], pw, 1u, 0u, 0u, w, kb, y, K, S);
                    ow = (int32_t)(nb * 4u);
                    y += nb * 4u;
                    MDY_UNROLL
                    for (int kh = 0; kh < K; ++kh) {
                        x[kh] += nb * 4u * (uint32_t)S;
                    }
                }
#endif
                /* 3x3 with the assembly: fewer than 4 outputs are left (no C 4-block) */
                for (; !(DW_ASM3 && K == 3) && ow + 4 <= out_w; ow += 4, y += 4) {
                    dw_block(x, pw, w, b, lo, hi, y, K, S, 4);
                    MDY_UNROLL
                    for (int kh = 0; kh < K; ++kh) {
                        x[kh] += 4 * S;
                    }
                }
                if (ow < out_w) {
                    dw_rest(x[0], pw, w, b, lo, hi, y, (uint32_t)(out_w - ow), K, S);
                    y += out_w - ow;
                }
            }
        }
        out += (size_t)out_h * (uint32_t)out_w;
    }
}

#define DW_ALL(NAME, K, S)                                                                \
    static __attribute__((noinline)) void NAME(const float *in, const mdy_conv_params_t *p, \
                                               const float *w, const float *bias,          \
                                               float *out, float *buf, uint32_t strip)     \
    {                                                                                      \
        dw_all(in, p, w, bias, out, buf, strip, K, S);                                     \
    }

DW_ALL(dw_k3s1, 3, 1)
DW_ALL(dw_k3s2, 3, 2)
DW_ALL(dw_k5s1, 5, 1)
DW_ALL(dw_k5s2, 5, 2)
DW_ALL(dw_k7s1, 7, 1)
DW_ALL(dw_k7s2, 7, 2)

typedef void (*dw_fn)(const float *, const mdy_conv_params_t *, const float *, const float *,
                      float *, float *, uint32_t);

int mdy_conv_depthwise_f32(const float *in, const mdy_conv_params_t *p, const float *w,
                           const float *bias, float *out)
{
    const int32_t k = p->k_h;
    const int32_t s = p->stride_h;
    const int tiny = p->in_h <= 4u || p->in_h == 8u || (p->in_h == 7u && s == 2) ||
                     (k == 3 && s == 2 && (p->in_h == 5u || p->in_h == 6u));
    if (tiny && mdy_conv_depthwise_tiny_f32(in, p, w, bias, out)) {
        return 1;
    }
    const uint32_t pw = dw_strip_pw(p->out_w, k, s);
    if ((uint32_t)k * pw + DW_SLACK > MDY_CONV_STRIP_FLOATS) {
        return 0;
    }
    uint32_t strip = ((MDY_CONV_STRIP_FLOATS - DW_SLACK) / pw - (uint32_t)k) / (uint32_t)s + 1u;
    if (strip > p->out_h) {
        strip = p->out_h;
    }
    const dw_fn fns[3][2] = {{dw_k3s1, dw_k3s2}, {dw_k5s1, dw_k5s2}, {dw_k7s1, dw_k7s2}};
    float buf[MDY_CONV_STRIP_FLOATS];
    fns[(k - 3) / 2][s - 1](in, p, w, bias, out, buf, strip);
    return 1;
}
