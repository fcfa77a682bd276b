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
 * loop is unrolled by the window length so the window rotates without moves.
 * Strips of output rows bound the stack buffer to MDY_CONV_STRIP_FLOATS (2 KiB).
 * Returns 0 (nothing written) when the shape does not qualify or one output row's
 * strip does not fit the buffer.
 */
#include <string.h>

#include "../mdy_grad_internal.h"

/* Window rows H from kh0 (xr[h]: the x strip at that row's phase and offset) of a K x K
 * window at stride S: n_steps (a multiple of DWG_UNIT) steps over the flattened dout
 * strip d, U at a time. */
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
DWG_PASS(3, 1, 3)
DWG_PASS(5, 1, 3)
DWG_PASS(5, 1, 2)
DWG_PASS(7, 1, 3)
DWG_PASS(7, 1, 1)
#if defined(__GNUC__) && defined(__thumb2__) && defined(__ARM_FP) && (__ARM_FP & 4)
/* 3x3 stride 2 on the Cortex-M4F/M7: the C pass loads each x value alone (2 per window
 * row and step: 16 instructions per 9 MACs). Here one vldm takes 4 steps of a window
 * row (8 floats) and one the 4 dout values: 43 instructions per 36 MACs. */
static __attribute__((noinline)) void dwg_k3s2h3(const float *const *xr, const float *d,
                                                 uint32_t n_steps, float *dw)
{
    float a0 = dw[0], a1 = dw[1], a2 = dw[2], a3 = dw[3], a4 = dw[4], a5 = dw[5];
    float a6 = dw[6], a7 = dw[7], a8 = dw[8];
    const float *x0 = xr[0], *x1 = xr[1], *x2 = xr[2];
    uint32_t n = n_steps / 4u;
#define DWG_ROW(A, B, C)                                                                   \
    "vfma.f32 %[" #A "], s5, s0\n\tvfma.f32 %[" #B "], s6, s0\n\t"                          \
    "vfma.f32 %[" #C "], s5, s4\n\tvfma.f32 %[" #A "], s7, s1\n\t"                          \
    "vfma.f32 %[" #B "], s8, s1\n\tvfma.f32 %[" #C "], s7, s0\n\t"                          \
    "vfma.f32 %[" #A "], s9, s2\n\tvfma.f32 %[" #B "], s10, s2\n\t"                         \
    "vfma.f32 %[" #C "], s9, s1\n\tvfma.f32 %[" #A "], s11, s3\n\t"                         \
    "vfma.f32 %[" #B "], s12, s3\n\tvfma.f32 %[" #C "], s11, s2\n\t"
    __asm__ volatile("vmov.f32 s4, %[z]\n"   /* D[-1] = 0 */
                     "1:\tvldmia %[d]!, {s0-s3}\n\t"
                     "vldmia %[x0]!, {s5-s12}\n\t" DWG_ROW(a0, a1, a2)
                     "vldmia %[x1]!, {s5-s12}\n\t" DWG_ROW(a3, a4, a5)
                     "vldmia %[x2]!, {s5-s12}\n\t" DWG_ROW(a6, a7, a8)
                     "vmov.f32 s4, s3\n\tsubs %[n], %[n], #1\n\tbne 1b\n"
                     : [a0] "+t"(a0), [a1] "+t"(a1), [a2] "+t"(a2), [a3] "+t"(a3),
                       [a4] "+t"(a4), [a5] "+t"(a5), [a6] "+t"(a6), [a7] "+t"(a7),
                       [a8] "+t"(a8), [d] "+r"(d), [x0] "+r"(x0), [x1] "+r"(x1),
                       [x2] "+r"(x2), [n] "+r"(n)
                     : [z] "t"(0.0f)
                     : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10",
                       "s11", "s12", "cc", "memory");
#undef DWG_ROW
    dw[0] = a0;
    dw[1] = a1;
    dw[2] = a2;
    dw[3] = a3;
    dw[4] = a4;
    dw[5] = a5;
    dw[6] = a6;
    dw[7] = a7;
    dw[8] = a8;
}
/* 5x5 stride 2, the same way: per 4 steps one vldm of dout (s0-s3 = D[n..n+3], with
 * D[n-1], D[n-2] kept in s4, s5) and one of 8 x floats per window row (s6-s13:
 * even/odd columns of the 4 steps), 20 MACs per window row; the accumulators live in
 * s14-s28 (one vldm/vstm each way). */
#define DWG5_ROW(A0, A1, A2, A3, A4) \
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
#define DWG5_LOOP(ROWS)                                                                    \
    "vmov.f32 s4, %[z]\n\tvmov.f32 s5, %[z]\n"                                              \
    "1:\tvldmia %[d]!, {s0-s3}\n\t" ROWS                                                    \
    "vmov.f32 s5, s2\n\tvmov.f32 s4, s3\n\tsubs %[n], %[n], #1\n\tbne 1b\n\t"
#define DWG5_CLOBBER                                                                        \
    "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13", \
        "s14", "s15", "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "cc", "memory"

static __attribute__((noinline)) void dwg_k5s2h3(const float *const *xr, const float *d,
                                                 uint32_t n_steps, float *dw)
{
    const float *x0 = xr[0], *x1 = xr[1], *x2 = xr[2];
    uint32_t n = n_steps / 4u;
    __asm__ volatile("vldmia %[w], {s14-s28}\n\t"
                     DWG5_LOOP("vldmia %[x0]!, {s6-s13}\n\t" DWG5_ROW(s14, s15, s16, s17, s18)
                               "vldmia %[x1]!, {s6-s13}\n\t" DWG5_ROW(s19, s20, s21, s22, s23)
                               "vldmia %[x2]!, {s6-s13}\n\t" DWG5_ROW(s24, s25, s26, s27, s28))
                     "vstmia %[w], {s14-s28}\n"
                     : [d] "+r"(d), [x0] "+r"(x0), [x1] "+r"(x1), [x2] "+r"(x2), [n] "+r"(n)
                     : [z] "t"(0.0f), [w] "r"(dw)
                     : DWG5_CLOBBER, "s24", "s25", "s26", "s27", "s28");
}

static __attribute__((noinline)) void dwg_k5s2h2(const float *const *xr, const float *d,
                                                 uint32_t n_steps, float *dw)
{
    const float *x0 = xr[0], *x1 = xr[1];
    uint32_t n = n_steps / 4u;
    __asm__ volatile("vldmia %[w], {s14-s23}\n\t"
                     DWG5_LOOP("vldmia %[x0]!, {s6-s13}\n\t" DWG5_ROW(s14, s15, s16, s17, s18)
                               "vldmia %[x1]!, {s6-s13}\n\t" DWG5_ROW(s19, s20, s21, s22, s23))
                     "vstmia %[w], {s14-s23}\n"
                     : [d] "+r"(d), [x0] "+r"(x0), [x1] "+r"(x1), [n] "+r"(n)
                     : [z] "t"(0.0f), [w] "r"(dw)
                     : DWG5_CLOBBER);
}
#undef DWG5_ROW
#undef DWG5_LOOP
#undef DWG5_CLOBBER
#define DWG_UNIT_K3S2 4u
#define DWG_UNIT_K5S2 4u
#else
DWG_PASS(3, 2, 3)
DWG_PASS(5, 2, 3)
DWG_PASS(5, 2, 2)
#define DWG_UNIT_K3S2 2u
#define DWG_UNIT_K5S2 3u
#endif
DWG_PASS(7, 2, 3)
DWG_PASS(7, 2, 1)

/* The passes of one K x K window: window rows in blocks of 3 (the last 2 or 1). */
typedef struct {
    dwg_fn f3, tail;   /* 3 rows; the last K % 3 rows (NULL when K % 3 == 0) */
} dwg_passes_t;

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

/* ---- small stride-2 maps: compile-time instances ----
 * On 5..7 pixel maps at stride 2 the strips' copies and the flattened pass's rounding
 * cost more than the MACs (4.4-5.6 instructions per MAC); as in mdy_conv_tiny_grad_f32
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
    dwg_passes_t ps;
    switch (K * 2u + S) {
    case 7u: ps.f3 = dwg_k3s1h3; ps.tail = NULL; break;
    case 11u: ps.f3 = dwg_k5s1h3; ps.tail = dwg_k5s1h2; break;
    case 15u: ps.f3 = dwg_k7s1h3; ps.tail = dwg_k7s1h1; break;
    case 8u: ps.f3 = dwg_k3s2h3; ps.tail = NULL; break;
    case 12u: ps.f3 = dwg_k5s2h3; ps.tail = dwg_k5s2h2; break;
    default: ps.f3 = dwg_k7s2h3; ps.tail = dwg_k7s2h1; break;
    }
    const int32_t in_h = p->in_h, in_w = p->in_w, out_h = p->out_h, out_w = p->out_w;
    const int32_t pt = p->pad_top, pl = p->pad_left;
    /* steps a pass takes at a time (its unroll): the window length, 4 for the 3x3
     * stride-2 assembly */
    const uint32_t U = S == 1u ? K : (K == 3u ? DWG_UNIT_K3S2 : K == 5u ? DWG_UNIT_K5S2 : 4u);
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
        const uint32_t reach = S * n_iter * U;   /* x floats a phase-0 pass reads past row 0 */
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
    for (uint32_t oh0 = 0; oh0 < (uint32_t)out_h; oh0 += R) {
        const uint32_t rows = (uint32_t)out_h - oh0 < R ? (uint32_t)out_h - oh0 : R;
        const uint32_t n_steps = (rows - 1u) * Wq + (uint32_t)out_w + umax;
        const uint32_t it = (n_steps + U - 1u) / U * U;   /* steps, rounded */
        const uint32_t plen = (rows + umax) * Wp;   /* floats of one phase */
        memset(buf, 0, (x_len + d_len) * sizeof(float));
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
            for (; kh + 3u <= K; kh += 3u) {
                ps.f3(rowp + kh, db, it, slice + kh * K);
            }
            if (kh < K) {
                ps.tail(rowp + kh, db, it, slice + kh * K);
            }
        }
    }
    return 1;
}
