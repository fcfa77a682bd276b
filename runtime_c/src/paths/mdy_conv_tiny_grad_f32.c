/*
 * mdy_conv_tiny_grad_f32: mdy_conv_tiny_{input,weight}_grad_f32, internal paths of
 * mdy_conv2d_input_grad_f32 / mdy_conv2d_weight_grad_f32: the gradients of a convolution
 * on tiny square maps (N x N input, N <= 4; 3x3 stride 2 also N = 8), square K = 3/5/7
 * window, stride 1 or 2, "same" padding K/2, no dilation: depthwise, and 3x3 with any
 * groups when the output is at most 2x2.
 *
 * At these sizes a channel pair holds 1..64 MACs, most on padding, and the strip paths'
 * per-channel copy and setup cost more than the arithmetic (10-39 instructions per MAC
 * at 2x2). As in the forward's mdy_conv_depthwise_tiny_f32, N, K and S are compile-time
 * constants of each instance: the plane and its dout are loaded once into registers,
 * every tap's valid output pixels are known at compile time, and padded taps generate
 * no code. Both return 0 (nothing written) when no instance matches.
 */
#include "../mdy_grad_internal.h"

/* din[c] = sum over the output channels of c's group and the taps that read each input
 * pixel (OVERWRITES din); the N x N accumulators stay in registers across them. */
MDY_ALWAYS_INLINE void tiny_igrad(const float *MDY_RESTRICT dout, const mdy_conv_params_t *p,
                                  const float *MDY_RESTRICT w, float *MDY_RESTRICT din,
                                  const int K, const int S, const int N, const int DW)
{
    const int P = K / 2;
    const int O = (N + 2 * P - K) / S + 1;
    /* depthwise (DW, compile-time): one output channel per input channel, no loop */
    const uint32_t icpg = DW ? 1u : p->in_c / p->groups, ocpg = DW ? 1u : p->out_c / p->groups;
    for (uint32_t c = 0; c < p->in_c; ++c, din += N * N) {
        const uint32_t o0 = (c / icpg) * ocpg;
        const float *dy = dout + (size_t)o0 * (O * O);
        const float *wk = w + ((size_t)o0 * icpg + c % icpg) * (K * K);
        float acc[64];
        MDY_UNROLL
        for (int i = 0; i < N * N; ++i) {
            acc[i] = 0.0f;
        }
        for (uint32_t ol = 0; ol < ocpg; ++ol, dy += O * O, wk += icpg * (K * K)) {
            MDY_UNROLL
            for (int ih = 0; ih < N; ++ih) {
                MDY_UNROLL
                for (int iw = 0; iw < N; ++iw) {
                    MDY_UNROLL
                    for (int oh = 0; oh < O; ++oh) {
                        const int kh = ih - oh * S + P;
                        if (kh < 0 || kh >= K) {
                            continue;   /* compile-time: no code for taps out of the window */
                        }
                        MDY_UNROLL
                        for (int ow = 0; ow < O; ++ow) {
                            const int kw = iw - ow * S + P;
                            if (kw >= 0 && kw < K) {
                                acc[ih * N + iw] += wk[kh * K + kw] * dy[oh * O + ow];
                            }
                        }
                    }
                }
            }
        }
        MDY_UNROLL
        for (int i = 0; i < N * N; ++i) {
            din[i] = acc[i];
        }
    }
}

/* dw_slices[j][ol][kh][kw] += sum over the output pixels whose tap (kh, kw) is real; the
 * saved plane stays in registers across the output channels of its group. */
MDY_ALWAYS_INLINE void tiny_wgrad(const float *MDY_RESTRICT saved,
                                  const uint16_t *MDY_RESTRICT channels, uint32_t n_sel,
                                  const float *MDY_RESTRICT dout, const mdy_conv_params_t *p,
                                  float *MDY_RESTRICT dw, const int K, const int S, const int N,
                                  const int DW)
{
    const int P = K / 2;
    const int O = (N + 2 * P - K) / S + 1;
    /* depthwise (DW, compile-time): one output channel per input channel, no loop */
    const uint32_t icpg = DW ? 1u : p->in_c / p->groups, ocpg = DW ? 1u : p->out_c / p->groups;
    for (uint32_t j = 0; j < n_sel; ++j, saved += N * N) {
        const float *dy = dout + (size_t)(channels[j] / icpg) * ocpg * (O * O);
        float xv[64];
        MDY_UNROLL
        for (int i = 0; i < N * N; ++i) {
            xv[i] = saved[i];
        }
        for (uint32_t ol = 0; ol < ocpg; ++ol, dy += O * O, dw += K * K) {
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
}

typedef void (*dti_fn)(const float *, const mdy_conv_params_t *, const float *, float *);
typedef void (*dtw_fn)(const float *, const uint16_t *, uint32_t, const float *,
                       const mdy_conv_params_t *, float *);

#define TINY_IGRAD(K, S, N, DW, NAME)                                                      \
    static __attribute__((noinline)) void ti_##NAME(const float *dout,                      \
                                                    const mdy_conv_params_t *p,             \
                                                    const float *w, float *din)             \
    {                                                                                       \
        tiny_igrad(dout, p, w, din, K, S, N, DW);                                           \
    }
#define TINY_WGRAD(K, S, N, DW, NAME)                                                      \
    static __attribute__((noinline)) void tw_##NAME(                                        \
        const float *saved, const uint16_t *ch, uint32_t n_sel, const float *dout,          \
        const mdy_conv_params_t *p, float *dw)                                              \
    {                                                                                       \
        tiny_wgrad(saved, ch, n_sel, dout, p, dw, K, S, N, DW);                             \
    }
#define TINY_GRAD(K, S, N, DW, NAME) TINY_IGRAD(K, S, N, DW, NAME) TINY_WGRAD(K, S, N, DW, NAME)
#define DW_INSTANCE(K, S, N) TINY_GRAD(K, S, N, 1, dw_k##K##s##S##n##N)
#define CONV_INSTANCE(K, S, N) TINY_GRAD(K, S, N, 0, conv_k##K##s##S##n##N)

/* Depthwise: the map sizes the small-resolution nets reach at their last stages (as the
 * forward tiny instances). 3x3 convs: the inputs whose output is at most 2x2. Larger
 * maps: the strip paths. */
DW_INSTANCE(3, 1, 1)
DW_INSTANCE(3, 1, 2)
DW_INSTANCE(3, 1, 3)
DW_INSTANCE(3, 1, 4)
DW_INSTANCE(3, 2, 1)
DW_INSTANCE(3, 2, 2)
DW_INSTANCE(3, 2, 3)
DW_INSTANCE(3, 2, 4)
/* 3x3 stride 2 on 8x8: weight gradient only (mdy_conv_depthwise_k3s2_input_grad_f32
 * does the input gradient at 2.9 instr/MAC, the instance ran 3.2 in 1.2 KB) */
TINY_WGRAD(3, 2, 8, 1, dw_k3s2n8)
DW_INSTANCE(5, 1, 1)
DW_INSTANCE(5, 1, 2)
DW_INSTANCE(5, 1, 3)
DW_INSTANCE(5, 1, 4)
DW_INSTANCE(5, 2, 2)
DW_INSTANCE(5, 2, 3)
DW_INSTANCE(5, 2, 4)
DW_INSTANCE(7, 1, 1)
DW_INSTANCE(7, 1, 2)
DW_INSTANCE(7, 1, 3)
/* 7x7 stride 1 on 4x4: weight gradient only (the flipped forward path does the input
 * gradient at 3.8 instr/MAC; an instance would add 2.4 KB) */
TINY_WGRAD(7, 1, 4, 1, dw_k7s1n4)
DW_INSTANCE(7, 2, 2)
DW_INSTANCE(7, 2, 3)
DW_INSTANCE(7, 2, 4)
CONV_INSTANCE(3, 1, 1)
CONV_INSTANCE(3, 1, 2)
CONV_INSTANCE(3, 2, 1)
CONV_INSTANCE(3, 2, 2)
CONV_INSTANCE(3, 2, 3)
CONV_INSTANCE(3, 2, 4)

typedef struct {
    uint8_t dw, k, s, n;
    dti_fn igrad;
    dtw_fn wgrad;
} tiny_grad_entry_t;

#define E(DW, K, S, N, NAME)                                                               \
    {DW, K, S, N, ti_##NAME##_k##K##s##S##n##N, tw_##NAME##_k##K##s##S##n##N}
static const tiny_grad_entry_t TINY_GRAD_TABLE[] = {
    E(1, 3, 1, 1, dw), E(1, 3, 1, 2, dw), E(1, 3, 1, 3, dw), E(1, 3, 1, 4, dw),
    E(1, 3, 2, 1, dw), E(1, 3, 2, 2, dw), E(1, 3, 2, 3, dw), E(1, 3, 2, 4, dw),
    {1, 3, 2, 8, NULL, tw_dw_k3s2n8}, E(1, 5, 1, 1, dw), E(1, 5, 1, 2, dw), E(1, 5, 1, 3, dw),
    E(1, 5, 1, 4, dw), E(1, 5, 2, 2, dw), E(1, 5, 2, 3, dw), E(1, 5, 2, 4, dw),
    E(1, 7, 1, 1, dw), E(1, 7, 1, 2, dw), E(1, 7, 1, 3, dw), {1, 7, 1, 4, NULL, tw_dw_k7s1n4},
    E(1, 7, 2, 2, dw), E(1, 7, 2, 3, dw), E(1, 7, 2, 4, dw),
    E(0, 3, 1, 1, conv), E(0, 3, 1, 2, conv), E(0, 3, 2, 1, conv), E(0, 3, 2, 2, conv),
    E(0, 3, 2, 3, conv), E(0, 3, 2, 4, conv),
};
#undef E

/* The instance for this conv, or NULL: square 3/5/7 window and map, equal strides 1/2,
 * no dilation, padding K/2 at the top/left and the output size that padding gives (the
 * bottom/right padding then only pads taps no output reads). Depthwise takes every
 * instance; other convs (many output channels per input channel) only 3x3 with an
 * output of at most 2x2, where the strip paths' per-channel setup dominates (on larger
 * maps the accumulators and dout values no longer fit the FPU registers). */
static const tiny_grad_entry_t *find_instance(const mdy_conv_params_t *p)
{
    const uint32_t k = p->k_h, s = p->stride_h, n = p->in_h;
    if (!(p->k_w == k && p->stride_w == s && p->dil_h == 1u && p->dil_w == 1u &&
          p->in_w == n && p->pad_top == k / 2u && p->pad_left == k / 2u &&
          (s == 1u || s == 2u) && p->out_h == (n - 1u) / s + 1u && p->out_w == p->out_h)) {
        return NULL;
    }
    const uint8_t depthwise = p->groups == p->in_c && p->in_c == p->out_c;
    for (size_t i = 0; i < sizeof TINY_GRAD_TABLE / sizeof TINY_GRAD_TABLE[0]; ++i) {
        const tiny_grad_entry_t *e = &TINY_GRAD_TABLE[i];
        if (e->dw == depthwise && e->k == k && e->s == s && e->n == n) {
            return e;
        }
    }
    return NULL;
}

int mdy_conv_tiny_input_grad_f32(const float *dout, const mdy_conv_params_t *p,
                                 const float *w, float *din)
{
    const tiny_grad_entry_t *e = find_instance(p);
    if (e == NULL || e->igrad == NULL) {
        return 0;
    }
    e->igrad(dout, p, w, din);
    return 1;
}

int mdy_conv_tiny_weight_grad_f32(const float *saved, const uint16_t *channels,
                                  uint32_t n_sel, const float *dout,
                                  const mdy_conv_params_t *p, float *dw_slices)
{
    const tiny_grad_entry_t *e = find_instance(p);
    if (e == NULL) {
        return 0;
    }
    e->wgrad(saved, channels, n_sel, dout, p, dw_slices);
    return 1;
}
