/*
 * mdy_conv_depthwise_tiny_f32 (internal path of mdy_conv2d_f32): depthwise convolution
 * on tiny square maps (N x N input, N <= 4; 3x3 also N = 8, and N = 5, 6, 7 at stride 2),
 * square K = 3/5/7 window, stride 1 or 2, "same" padding K/2 on every side, no dilation.
 *
 * At these sizes most window taps fall on padding (a 3x3 window on a 2x2 map reads 16
 * real values of 36 taps; on a 1x1 map 1 of 9), and the strip path's per-channel copy
 * and per-pixel full window cost more than the arithmetic. Here N, K and S are
 * compile-time constants of each instance: the whole plane is loaded once into
 * registers, every output pixel's valid taps are known at compile time, and the padded
 * taps generate no code at all. Returns 0 (nothing written) when no instance matches.
 */
#include "../mdy_internal.h"

MDY_ALWAYS_INLINE void dw_tiny(const float *MDY_RESTRICT in, const mdy_conv_params_t *p,
                               const float *MDY_RESTRICT w, const float *MDY_RESTRICT bias,
                               float *MDY_RESTRICT out, const int K, const int S, const int N)
{
    const int P = K / 2;
    const int O = (N + 2 * P - K) / S + 1;
    const float lo = p->act_min, hi = p->act_max;
    const uint32_t n_c = p->in_c;
    for (uint32_t c = 0; c < n_c; ++c, in += N * N, w += K * K, out += O * O) {
        float xv[64];
        MDY_UNROLL
        for (int i = 0; i < N * N; ++i) {
            xv[i] = in[i];
        }
        const float b = bias ? bias[c] : 0.0f;
        MDY_UNROLL
        for (int oh = 0; oh < O; ++oh) {
            MDY_UNROLL
            for (int ow = 0; ow < O; ++ow) {
                float acc = b;
                MDY_UNROLL
                for (int kh = 0; kh < K; ++kh) {
                    const int ih = oh * S - P + kh;
                    if (ih < 0 || ih >= N) {
                        continue;   /* compile-time: no code for padded rows */
                    }
                    MDY_UNROLL
                    for (int kw = 0; kw < K; ++kw) {
                        const int iw = ow * S - P + kw;
                        if (iw >= 0 && iw < N) {
                            acc += w[kh * K + kw] * xv[ih * N + iw];
                        }
                    }
                }
                out[oh * O + ow] = mdy_clampf(acc, lo, hi);
            }
        }
    }
}

typedef void (*dw_tiny_fn)(const float *, const mdy_conv_params_t *, const float *,
                           const float *, float *);

#define DW_TINY(K, S, N)                                                                  \
    static __attribute__((noinline)) void dw_tiny_k##K##s##S##n##N(                       \
        const float *in, const mdy_conv_params_t *p, const float *w, const float *bias,   \
        float *out)                                                                        \
    {                                                                                      \
        dw_tiny(in, p, w, bias, out, K, S, N);                                             \
    }

/* The map sizes the small-resolution nets reach (MobileNetV2/MCUNet/ProxylessNAS at
 * 32..48 px end at 1x1..3x3; stride-2 layers read 2x2..4x4). Larger maps: strip path,
 * except 3x3 stride 2 from 7x7 (a 4x4 output: one 4-pixel block per row, where the
 * strip path's per-channel copy and call cost as much as the arithmetic), and from 5x5 /
 * 6x6 (3-pixel rows: one spilled block per row plus the copy, 5.1 instr/MAC). */
DW_TINY(3, 1, 1)
DW_TINY(3, 1, 2)
DW_TINY(3, 1, 3)
DW_TINY(3, 1, 4)
DW_TINY(3, 2, 1)
DW_TINY(3, 2, 2)
DW_TINY(3, 2, 3)
DW_TINY(3, 2, 4)
DW_TINY(3, 1, 8)
DW_TINY(3, 2, 8)
DW_TINY(3, 2, 7)
DW_TINY(3, 2, 5)
DW_TINY(3, 2, 6)
DW_TINY(5, 1, 1)
DW_TINY(5, 1, 2)
DW_TINY(5, 1, 3)
DW_TINY(5, 2, 1)
DW_TINY(5, 2, 2)
DW_TINY(5, 2, 3)
DW_TINY(5, 2, 4)
DW_TINY(7, 1, 1)
DW_TINY(7, 1, 2)
DW_TINY(7, 1, 3)
DW_TINY(7, 2, 1)
DW_TINY(7, 2, 2)
DW_TINY(7, 2, 3)
DW_TINY(7, 2, 4)

typedef struct {
    uint8_t k, s, n;
    dw_tiny_fn fn;
} dw_tiny_entry_t;

static const dw_tiny_entry_t DW_TINY_TABLE[] = {
    {3, 1, 1, dw_tiny_k3s1n1}, {3, 1, 2, dw_tiny_k3s1n2}, {3, 1, 3, dw_tiny_k3s1n3},
    {3, 1, 4, dw_tiny_k3s1n4}, {3, 2, 1, dw_tiny_k3s2n1}, {3, 2, 2, dw_tiny_k3s2n2},
    {3, 2, 3, dw_tiny_k3s2n3}, {3, 2, 4, dw_tiny_k3s2n4}, {3, 1, 8, dw_tiny_k3s1n8},
    {3, 2, 8, dw_tiny_k3s2n8}, {3, 2, 7, dw_tiny_k3s2n7}, {3, 2, 5, dw_tiny_k3s2n5},
    {3, 2, 6, dw_tiny_k3s2n6}, {5, 1, 1, dw_tiny_k5s1n1},
    {5, 1, 2, dw_tiny_k5s1n2}, {5, 1, 3, dw_tiny_k5s1n3}, {5, 2, 1, dw_tiny_k5s2n1},
    {5, 2, 2, dw_tiny_k5s2n2}, {5, 2, 3, dw_tiny_k5s2n3}, {5, 2, 4, dw_tiny_k5s2n4},
    {7, 1, 1, dw_tiny_k7s1n1}, {7, 1, 2, dw_tiny_k7s1n2}, {7, 1, 3, dw_tiny_k7s1n3},
    {7, 2, 1, dw_tiny_k7s2n1}, {7, 2, 2, dw_tiny_k7s2n2}, {7, 2, 3, dw_tiny_k7s2n3},
    {7, 2, 4, dw_tiny_k7s2n4},
};

int mdy_conv_depthwise_tiny_f32(const float *in, const mdy_conv_params_t *p, const float *w,
                                const float *bias, float *out)
{
    const uint32_t k = p->k_h, s = p->stride_h, n = p->in_h;
    /* the caller checked: depthwise, square window 3/5/7, stride_h == stride_w, no
     * dilation; here: square map, same padding on all four sides */
    if (p->in_w != n || p->pad_top != k / 2u || p->pad_left != k / 2u ||
        p->out_h != (n - 1u) / s + 1u || p->out_w != p->out_h) {
        return 0;
    }
    for (size_t i = 0; i < sizeof DW_TINY_TABLE / sizeof DW_TINY_TABLE[0]; ++i) {
        const dw_tiny_entry_t *e = &DW_TINY_TABLE[i];
        if (e->k == k && e->s == s && e->n == n) {
            e->fn(in, p, w, bias, out);
            return 1;
        }
    }
    return 0;
}
