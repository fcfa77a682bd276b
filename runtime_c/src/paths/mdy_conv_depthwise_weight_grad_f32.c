/*
 * mdy_conv_depthwise_weight_grad_f32 (internal path of mdy_conv2d_weight_grad_f32): the
 * sparse-channel weight gradient of a depthwise conv (groups == in_c == out_c), square
 * K = 3/5/7 window, stride S = 1 or 2 in both directions, no dilation, any padding.
 * Same contract as mdy_conv2d_weight_grad_f32 (dw_slices ACCUMULATED, slice j = the
 * K x K window of channel channels[j]).
 *
 *   dW_c[kh][kw] += sum_{oh,ow} x_c[S*oh + kh - pt][S*ow + kw - pl] * dout_c[oh][ow]
 *
 * Per channel this is a correlation of the input plane with the dout plane, and it is
 * run as a 1D correlation over flattened strips, so no per-row loop, tail or bounds
 * check remains at any map size:
 *   - x: the zero-padded input rows, row stride Wp (a multiple of S), split by row
 *     parity when S = 2 ("phase" a holds padded rows S*r + a); a padded row's right
 *     padding may overlap the next row's left padding (both zeros), which keeps Wp
 *     close to the map width (Wp = in_w + K/2 for "same" padding at stride 1);
 *   - dout: row stride Wq = Wp / S, zeros in the Wq - out_w garbage columns.
 * Then tap (kh, kw) = (S*u + a, kw) is  sum_i X_a[u*Wp + S*i + kw] * D[i]  over the
 * flattened i. Re-indexed by the x position m = S*i + kw, each step n loads one dout
 * value D[n] and, per window row, the S x values X_a[u*Wp + S*n + b] (b < S); a
 * window of the last ceil(K/S) dout values stays in FPU registers, so a step costs
 * 1 + S*H loads for H*K multiply-accumulates (H = window rows per pass, 3 at most
 * so that the H*K accumulators + the dout window fit the 32 FPU registers). The step
 * loop is unrolled by the window length so the window rotates without moves. On the
 * Cortex-M4F/M7 the passes (except 7x7 stride 1) are assembly (mdy_dwg_asm.h): one vldm
 * per window row and 4 steps. Strips of output rows bound the stack buffer to
 * MDY_CONV_STRIP_FLOATS (2 KiB); strips are the outer loop, so each strip's zeros are
 * written once for all channels and a channel copies only its real rows. 3x3 stride 2
 * on 5x5 to 7x7 maps runs compile-time instances instead.
 * Returns 0 (nothing written) when the shape does not qualify or one output row's
 * strip does not fit the buffer.
 */
#include <string.h>

#include "../mdy_grad_internal.h"

/* Window rows H from kh0 (xr[h]: the x strip at that row's phase and offset) of a K x K
 * window at stride S: n_steps (a multiple of U) steps over the flattened dout strip
 * d, U at a time. */
MDY_ALWAYS_INLINE void dwg_pass(const float *const *xr, const float *MDY_RESTRICT d,
                                uint32_t n_steps, float *MDY_RESTRICT dw, const int K,
                                const int S, const int H)
{
    const int U = S == 1 ? K : (K + 1) / 2;   /* dout values a window row spans */
    uint32_t n_iter = n_steps / (uint32_t)U;
    float acc[3][7];
    float dv[7];
    const float *x[3];
    MDY_UNROLL
    for (int h = 0; h < H; ++h) {
        x[h] = xr[h];
        MDY_UNROLL
        for (int kw = 0; kw < K; ++kw) {
            acc[h][kw] = dw[h * K + kw];
        }
    }
    MDY_UNROLL
    for (int u = 0; u < U; ++u) {
        dv[u] = 0.0f;   /* dout before the strip: zeros */
    }
    do {
        MDY_UNROLL
        for (int st = 0; st < U; ++st) {
            dv[st] = d[st];   /* D[n] sits in slot n % U; D[n - v] in slot (st - v) % U */
            MDY_UNROLL
            for (int h = 0; h < H; ++h) {
                if (S == 1) {
                    const float xv = x[h][st];
                    MDY_UNROLL
                    for (int kw = 0; kw < K; ++kw) {
                        acc[h][kw] += xv * dv[(st - kw + U) % U];
                    }
                } else {
                    const float xe = x[h][2 * st], xo = x[h][2 * st + 1];
                    MDY_UNROLL
                    for (int kw = 0; kw < K; ++kw) {
                        acc[h][kw] += ((kw & 1) ? xo : xe) * dv[(st - kw / 2 + U) % U];
                    }
                }
            }
        }
        d += U;
        MDY_UNROLL
        for (int h = 0; h < H; ++h) {
            x[h] += S * U;
        }
    } while (--n_iter);
    MDY_UNROLL
    for (int h = 0; h < H; ++h) {
        MDY_UNROLL
        for (int kw = 0; kw < K; ++kw) {
            dw[h * K + kw] = acc[h][kw];
        }
    }
}

typedef void (*dwg_fn)(const float *const *, const float *, uint32_t, float *);

#define DWG_PASS(K, S, H)                                                                  \
    static __attribute__((noinline)) void dwg_k##K##s##S##h##H(                             \
        const float *const *xr, const float *d, uint32_t n_steps, float *dw)                \
    {                                                                                       \
        dwg_pass(xr, d, n_steps, dw, K, S, H);                                              \
    }

/* The passes of each window: rows of the window per pass, and the steps a pass takes
 * per iteration (the step count is rounded up to it). 7x7 stride 1 runs in C on every
 * target (3 rows of 7 taps and a 7-value window fill the registers either way). */
typedef struct {
    uint8_t k, s, unit, n;   /* window, stride, steps per iteration, passes */
    uint8_t rows[4];
    dwg_fn f[4];
} dwg_plan_t;

DWG_PASS(7, 1, 3)
DWG_PASS(7, 1, 1)
#if defined(__GNUC__) && defined(__thumb2__) && defined(__ARM_FP) && (__ARM_FP & 4)
/* Cortex-M4F/M7: one vldm per window row for 4 steps (the C loop loads each x value
 * alone), see mdy_dwg_asm.h */
#include "mdy_dwg_asm.h"
static const dwg_plan_t DWG_PLANS[] = {
    {3, 1, 4, 1, {3}, {dwg_k3s1h3}},
    {5, 1, 4, 2, {3, 2}, {dwg_k5s1h3, dwg_k5s1h2}},
    {7, 1, 7, 3, {3, 3, 1}, {dwg_k7s1h3, dwg_k7s1h3, dwg_k7s1h1}},
    {3, 2, 4, 1, {3}, {dwg_k3s2h3}},
    {5, 2, 4, 2, {3, 2}, {dwg_k5s2h3, dwg_k5s2h2}},
    {7, 2, 4, 4, {2, 2, 2, 1}, {dwg_k7s2h2, dwg_k7s2h2, dwg_k7s2h2, dwg_k7s2h1}},
};
#else
DWG_PASS(3, 1, 3)
DWG_PASS(5, 1, 3)
DWG_PASS(5, 1, 2)
DWG_PASS(3, 2, 3)
DWG_PASS(5, 2, 3)
DWG_PASS(5, 2, 2)
DWG_PASS(7, 2, 3)
DWG_PASS(7, 2, 1)
static const dwg_plan_t DWG_PLANS[] = {
    {3, 1, 3, 1, {3}, {dwg_k3s1h3}},
    {5, 1, 5, 2, {3, 2}, {dwg_k5s1h3, dwg_k5s1h2}},
    {7, 1, 7, 3, {3, 3, 1}, {dwg_k7s1h3, dwg_k7s1h3, dwg_k7s1h1}},
    {3, 2, 2, 1, {3}, {dwg_k3s2h3}},
    {5, 2, 3, 2, {3, 2}, {dwg_k5s2h3, dwg_k5s2h2}},
    {7, 2, 4, 3, {3, 3, 1}, {dwg_k7s2h3, dwg_k7s2h3, dwg_k7s2h1}},
};
#endif

/* rows [n_rows] of n floats (n > 0) from src (row stride src_step) to dst (row stride
 * dst_step): the real part of the strips; their zeros are written once per strip. */
MDY_ALWAYS_INLINE void dwg_copy_rows(float *dst, uint32_t dst_step, const float *src,
                                     uint32_t src_step, uint32_t n_rows, uint32_t n)
{
#if defined(__GNUC__) && defined(__thumb2__) && defined(__ARM_FP) && (__ARM_FP & 4)
    /* Cortex-M4F/M7: 8 floats per vldm/vstm pair, then 4, 2 and 1 by the bits of n
     * (GCC emits one load and one store per float). s0-s7 are caller-saved. */
    const uint32_t dskip = (dst_step - n) * 4u, sskip = (src_step - n) * 4u;
    uint32_t t;
    __asm__ volatile("1:\tlsrs %[t], %[n], #3\n\tbeq 3f\n"
                     "2:\tvldmia %[s]!, {s0-s7}\n\tvstmia %[d]!, {s0-s7}\n\t"
                     "subs %[t], %[t], #1\n\tbne 2b\n"
                     "3:\tlsls %[t], %[n], #30\n\tbcc 4f\n\t"
                     "vldmia %[s]!, {s0-s3}\n\tvstmia %[d]!, {s0-s3}\n"
                     "4:\tbpl 5f\n\tvldmia %[s]!, {s0-s1}\n\tvstmia %[d]!, {s0-s1}\n"
                     "5:\tlsls %[t], %[n], #31\n\tbpl 6f\n\t"
                     "vldmia %[s]!, {s0}\n\tvstmia %[d]!, {s0}\n"
                     "6:\tadd %[s], %[s], %[ss]\n\tadd %[d], %[d], %[ds]\n\t"
                     "subs %[r], %[r], #1\n\tbne 1b\n"
                     : [d] "+r"(dst), [s] "+r"(src), [r] "+r"(n_rows), [t] "=&r"(t)
                     : [n] "r"(n), [ds] "r"(dskip), [ss] "r"(sskip)
                     : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "cc", "memory");
#else
    for (; n_rows > 0u; --n_rows, dst += dst_step, src += src_step) {
        for (uint32_t i = 0; i < n; ++i) {
            dst[i] = src[i];
        }
    }
#endif
}

/* n zero floats (newlib's memset stores 16 bytes per 7 instructions) */
static void dwg_zero(float *dst, uint32_t n)
{
#if defined(__GNUC__) && defined(__thumb2__) && defined(__ARM_FP) && (__ARM_FP & 4)
    /* Cortex-M4F/M7: 8 floats per vstm */
    uint32_t n8 = n >> 3, n1 = n & 7u;
    __asm__ volatile("vmov.f32 s0, %[z]\n\tvmov.f32 s1, %[z]\n\tvmov.f32 s2, %[z]\n\t"
                     "vmov.f32 s3, %[z]\n\tvmov.f32 s4, %[z]\n\tvmov.f32 s5, %[z]\n\t"
                     "vmov.f32 s6, %[z]\n\tvmov.f32 s7, %[z]\n\t"
                     "cmp %[n8], #0\n\tbeq 2f\n"
                     "1:\tvstmia %[d]!, {s0-s7}\n\tsubs %[n8], %[n8], #1\n\tbne 1b\n"
                     "2:\tcmp %[n1], #0\n\tbeq 4f\n"
                     "3:\tvstmia %[d]!, {s0}\n\tsubs %[n1], %[n1], #1\n\tbne 3b\n"
                     "4:\n"
                     : [d] "+r"(dst), [n8] "+r"(n8), [n1] "+r"(n1)
                     : [z] "t"(0.0f)
                     : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "cc", "memory");
#else
    memset(dst, 0, n * sizeof(float));
#endif
}

/* ---- small stride-2 maps: compile-time instances ----
 * 3x3 stride 2 on 5x5 to 7x7 maps (3x3 or 4x4 outputs, 81 or 144 MACs a channel): the
 * strips' copies and the flattened pass's rounding cost more than the MACs (3.7 to 5.6
 * instructions per MAC on the M4F, 2.5 to 3.3 with these); as in mdy_conv_tiny_grad_f32
 * (which takes N <= 4), N, K and S are compile-time constants: the plane sits in
 * registers, every tap's valid output pixels are known, padded taps emit no code.
 * "Same" padding (K/2 at the top/left) on square maps only. */
MDY_ALWAYS_INLINE void dwg_tiny(const float *MDY_RESTRICT saved,
                                const uint16_t *MDY_RESTRICT channels, uint32_t n_sel,
                                const float *MDY_RESTRICT dout, float *MDY_RESTRICT dw,
                                const int K, const int S, const int N)
{
    const int P = K / 2;
    const int O = (N + 2 * P - K) / S + 1;
    for (uint32_t j = 0; j < n_sel; ++j, saved += N * N, dw += K * K) {
        const float *dy = dout + (size_t)channels[j] * (uint32_t)(O * O);
        float xv[49];
        MDY_UNROLL
        for (int i = 0; i < N * N; ++i) {
            xv[i] = saved[i];
        }
        MDY_UNROLL
        for (int kh = 0; kh < K; ++kh) {
            MDY_UNROLL
            for (int kw = 0; kw < K; ++kw) {
                float acc = 0.0f;
                int any = 0;
                MDY_UNROLL
                for (int oh = 0; oh < O; ++oh) {
                    const int ih = oh * S - P + kh;
                    if (ih < 0 || ih >= N) {
                        continue;
                    }
                    MDY_UNROLL
                    for (int ow = 0; ow < O; ++ow) {
                        const int iw = ow * S - P + kw;
                        if (iw >= 0 && iw < N) {
                            acc += xv[ih * N + iw] * dy[oh * O + ow];
                            any = 1;
                        }
                    }
                }
                if (any) {   /* compile-time: taps that only read padding are skipped */
                    dw[kh * K + kw] += acc;
                }
            }
        }
    }
}

typedef void (*dwg_tiny_fn)(const float *, const uint16_t *, uint32_t, const float *, float *);
#define DWG_TINY(K, S, N)                                                                  \
    static __attribute__((noinline)) void dwg_tiny_k##K##s##S##n##N(                        \
        const float *saved, const uint16_t *ch, uint32_t n_sel, const float *dout,          \
        float *dw)                                                                          \
    {                                                                                       \
        dwg_tiny(saved, ch, n_sel, dout, dw, K, S, N);                                      \
    }
DWG_TINY(3, 2, 5)
DWG_TINY(3, 2, 6)
DWG_TINY(3, 2, 7)

/* The instance for a stride-2 "same"-padded square map, or NULL. */
static dwg_tiny_fn dwg_tiny_instance(const mdy_conv_params_t *p)
{
    const uint32_t k = p->k_h, n = p->in_h;
    if (!(p->stride_h == 2u && p->in_w == n && p->pad_top == k / 2u &&
          p->pad_left == k / 2u && p->out_h == (n - 1u) / 2u + 1u && p->out_w == p->out_h)) {
        return NULL;
    }
    switch (k * 16u + n) {
    case 3u * 16u + 5u: return dwg_tiny_k3s2n5;
    case 3u * 16u + 6u: return dwg_tiny_k3s2n6;
    case 3u * 16u + 7u: return dwg_tiny_k3s2n7;
    default: return NULL;
    }
}

int mdy_conv_depthwise_weight_grad_f32(const float *saved, const uint16_t *channels,
                                       uint32_t n_sel, const float *dout,
                                       const mdy_conv_params_t *p, float *dw_slices)
{
    const uint32_t K = p->k_h, S = p->stride_h;
    if (!(p->groups == p->in_c && p->out_c == p->in_c && p->k_w == K && p->stride_w == S &&
          p->dil_h == 1u && p->dil_w == 1u && (S == 1u || S == 2u) &&
          (K == 3u || K == 5u || K == 7u))) {
        return 0;
    }
    const dwg_tiny_fn tiny = dwg_tiny_instance(p);
    if (tiny != NULL) {
        tiny(saved, channels, n_sel, dout, dw_slices);
        return 1;
    }
    const dwg_plan_t *plan = NULL;
    for (size_t i = 0; i < sizeof DWG_PLANS / sizeof DWG_PLANS[0]; ++i) {
        if (DWG_PLANS[i].k == K && DWG_PLANS[i].s == S) {
            plan = &DWG_PLANS[i];
        }
    }
    if (plan == NULL) {
        return 0;
    }
    const int32_t in_h = p->in_h, in_w = p->in_w, out_h = p->out_h, out_w = p->out_w;
    const int32_t pt = p->pad_top, pl = p->pad_left;
    const uint32_t U = plan->unit;   /* steps a pass takes per iteration */
    const uint32_t umax = (K - 1u) / S;   /* last window row of phase 0 */
    /* columns: padded column c = S*ow + kw in [0, c_max]; input column c - pl */
    const int32_t c_max = (int32_t)S * (out_w - 1) + (int32_t)K - 1;
    int32_t n_real = c_max - pl + 1;   /* input columns some tap reads */
    n_real = n_real < 0 ? 0 : (n_real > in_w ? in_w : n_real);
    int32_t wp = pl + n_real;                                /* a row's real columns */
    wp = wp > c_max + 1 - pl ? wp : c_max + 1 - pl;          /* overlap only padding */
    wp = wp > (int32_t)S * out_w ? wp : (int32_t)S * out_w;  /* a dout row fits */
    const uint32_t Wp = ((uint32_t)wp + S - 1u) / S * S, Wq = Wp / S;
    const uint32_t left = (uint32_t)pl;
    /* the most output rows R per strip whose buffers fit */
    uint32_t R = (uint32_t)out_h, n_iter = 0, x_len = 0, phase_len = 0, d_len = 0;
    for (;; --R) {
        const uint32_t n_steps = (R - 1u) * Wq + (uint32_t)out_w + umax;
        n_iter = (n_steps + U - 1u) / U;
        phase_len = (R + umax) * Wp;
        /* a pass reads S * steps floats from its first row: past the last phase, zeros
         * (any read past those lands in the dout strip: finite, times zero dout) */
        const uint32_t reach = S * n_iter * U;
        const uint32_t tail = reach > R * Wp ? reach - R * Wp : 0u;
        x_len = S * phase_len + tail;
        d_len = n_iter * U > R * Wq ? n_iter * U : R * Wq;
        if (x_len + d_len <= MDY_CONV_STRIP_FLOATS) {
            break;
        }
        if (R == 1u) {
            return 0;
        }
    }
    float buf[MDY_CONV_STRIP_FLOATS];
    float *const xb = buf, *const db = buf + x_len;
    const uint32_t in_plane = (uint32_t)(in_h * in_w), out_plane = (uint32_t)(out_h * out_w);
    const uint32_t KK = K * K;
    /* strips outer, channels inner: a strip's zeros (padding, garbage columns, tails)
     * are the same for every channel, so they are written once per strip */
    uint32_t prev_rows = 0, prev_lo[2] = {0u, 0u}, prev_hi[2] = {0u, 0u};
    for (uint32_t oh0 = 0; oh0 < (uint32_t)out_h; oh0 += R) {
        const uint32_t rows = (uint32_t)out_h - oh0 < R ? (uint32_t)out_h - oh0 : R;
        const uint32_t n_steps = (rows - 1u) * Wq + (uint32_t)out_w + umax;
        const uint32_t it = (n_steps + U - 1u) / U * U;   /* steps, rounded */
        const uint32_t plen = (rows + umax) * Wp;   /* floats of one phase */
        /* x strip: phase a, row r = padded row S*(oh0 + r) + a = input row ih; the rows
         * inside the input are [r_lo[a], r_hi[a]) */
        uint32_t r_lo[2] = {0u, 0u}, r_hi[2] = {0u, 0u};
        for (uint32_t a = 0; a < S; ++a) {
            int32_t lo = -1, hi = -1;
            for (uint32_t r = 0; r < rows + umax; ++r) {
                const int32_t ih = (int32_t)(S * (oh0 + r) + a) - pt;
                if (ih >= 0 && ih < in_h) {
                    lo = lo < 0 ? (int32_t)r : lo;
                    hi = (int32_t)r + 1;
                }
            }
            if (lo >= 0 && n_real > 0) {
                r_lo[a] = (uint32_t)lo;
                r_hi[a] = (uint32_t)hi;
            }
        }
        /* zeros: unless the previous strip had the same layout and wrote real rows
         * only where this one does too (the middle strips of a tall map) */
        int fresh = oh0 == 0u || rows != prev_rows;
        for (uint32_t a = 0; a < S; ++a) {
            fresh |= r_lo[a] > prev_lo[a] || r_hi[a] < prev_hi[a];
            prev_lo[a] = r_lo[a];
            prev_hi[a] = r_hi[a];
        }
        prev_rows = rows;
        if (fresh) {
            dwg_zero(buf, x_len + d_len);
        }
        const float *rowp[7];   /* window row kh: its phase, offset u * Wp */
        for (uint32_t kh = 0; kh < K; ++kh) {
            rowp[kh] = xb + (kh % S) * plen + (kh / S) * Wp;
        }
        for (uint32_t j = 0; j < n_sel; ++j) {
            const float *x = saved + (size_t)j * in_plane;
            const float *dy = dout + (size_t)channels[j] * out_plane + oh0 * (uint32_t)out_w;
            float *slice = dw_slices + (size_t)j * KK;
            for (uint32_t a = 0; a < S; ++a) {
                if (r_hi[a] > r_lo[a]) {
                    const int32_t ih = (int32_t)(S * (oh0 + r_lo[a]) + a) - pt;
                    dwg_copy_rows(xb + a * plen + r_lo[a] * Wp + left, Wp, x + ih * in_w,
                                  S * (uint32_t)in_w, r_hi[a] - r_lo[a], (uint32_t)n_real);
                }
            }
            dwg_copy_rows(db, Wq, dy, (uint32_t)out_w, rows, (uint32_t)out_w);
            uint32_t kh = 0;
            for (uint32_t q = 0; q < plan->n; kh += plan->rows[q], ++q) {
                plan->f[q](rowp + kh, db, it, slice + kh * K);
            }
        }
    }
    return 1;
}
