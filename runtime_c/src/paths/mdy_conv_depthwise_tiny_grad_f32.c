/*
 * mdy_conv_depthwise_tiny_{input,weight}_grad_f32 (internal paths of
 * mdy_conv2d_input_grad_f32 / mdy_conv2d_weight_grad_f32): the gradients of a depthwise
 * convolution on tiny square maps (N x N input, N <= 4; 3x3 stride 2 also N = 8),
 * square K = 3/5/7 window, stride 1 or 2, "same" padding K/2, no dilation.
 *
 * At these sizes a channel holds 1..64 MACs, most on padding, and the strip paths'
 * per-channel copy and setup cost more than the arithmetic (10-39 instructions per MAC
 * at 2x2). As in the forward's mdy_conv_depthwise_tiny_f32, N, K and S are compile-time
 * constants of each instance: the plane and its dout are loaded once into registers,
 * every tap's valid output pixels are known at compile time, and padded taps generate
 * no code. Both return 0 (nothing written) when no instance matches.
 */
#include "../mdy_grad_internal.h"

/* din[c] = sum over the taps that read each input pixel (OVERWRITES din). */
MDY_ALWAYS_INLINE void dw_tiny_igrad(const float *MDY_RESTRICT dout, uint32_t n_c,
                                     const float *MDY_RESTRICT w, float *MDY_RESTRICT din,
                                     const int K, const int S, const int N)
{
    const int P = K / 2;
    const int O = (N + 2 * P - K) / S + 1;
    for (uint32_t c = 0; c < n_c; ++c, dout += O * O, w += K * K, din += N * N) {
        float g[64];
        MDY_UNROLL
        for (int i = 0; i < O * O; ++i) {
            g[i] = dout[i];
        }
        MDY_UNROLL
        for (int ih = 0; ih < N; ++ih) {
            MDY_UNROLL
            for (int iw = 0; iw < N; ++iw) {
                float acc = 0.0f;
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
                            acc += w[kh * K + kw] * g[oh * O + ow];
                        }
                    }
                }
                din[ih * N + iw] = acc;
            }
        }
    }
}

/* dw_slices[j][kh][kw] += sum over the output pixels whose tap (kh, kw) is real. */
MDY_ALWAYS_INLINE void dw_tiny_wgrad(const float *MDY_RESTRICT saved,
                                     const uint16_t *MDY_RESTRICT channels, uint32_t n_sel,
                                     const float *MDY_RESTRICT dout, float *MDY_RESTRICT dw,
                                     const int K, const int S, const int N)
{
    const int P = K / 2;
    const int O = (N + 2 * P - K) / S + 1;
    for (uint32_t j = 0; j < n_sel; ++j, saved += N * N, dw += K * K) {
        const float *dy = dout + (size_t)channels[j] * (O * O);
        float xv[64], g[64];
        MDY_UNROLL
        for (int i = 0; i < N * N; ++i) {
            xv[i] = saved[i];
        }
        MDY_UNROLL
        for (int i = 0; i < O * O; ++i) {
            g[i] = dy[i];
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
                            acc += xv[ih * N + iw] * g[oh * O + ow];
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

typedef void (*dti_fn)(const float *, uint32_t, const float *, float *);
typedef void (*dtw_fn)(const float *, const uint16_t *, uint32_t, const float *, float *);

#define DW_TINY_GRAD(K, S, N)                                                              \
    static __attribute__((noinline)) void dti_k##K##s##S##n##N(                             \
        const float *dout, uint32_t n_c, const float *w, float *din)                        \
    {                                                                                       \
        dw_tiny_igrad(dout, n_c, w, din, K, S, N);                                          \
    }                                                                                       \
    static __attribute__((noinline)) void dtw_k##K##s##S##n##N(                             \
        const float *saved, const uint16_t *ch, uint32_t n_sel, const float *dout,          \
        float *dw)                                                                          \
    {                                                                                       \
        dw_tiny_wgrad(saved, ch, n_sel, dout, dw, K, S, N);                                 \
    }

/* The map sizes the small-resolution nets reach at their last stages (as the forward
 * tiny instances). Larger maps: the strip paths. */
DW_TINY_GRAD(3, 1, 1)
DW_TINY_GRAD(3, 1, 2)
DW_TINY_GRAD(3, 1, 3)
DW_TINY_GRAD(3, 1, 4)
DW_TINY_GRAD(3, 2, 1)
DW_TINY_GRAD(3, 2, 2)
DW_TINY_GRAD(3, 2, 3)
DW_TINY_GRAD(3, 2, 4)
DW_TINY_GRAD(3, 2, 8)
DW_TINY_GRAD(5, 1, 1)
DW_TINY_GRAD(5, 1, 2)
DW_TINY_GRAD(5, 1, 3)
DW_TINY_GRAD(5, 1, 4)
DW_TINY_GRAD(5, 2, 2)
DW_TINY_GRAD(5, 2, 3)
DW_TINY_GRAD(5, 2, 4)
DW_TINY_GRAD(7, 1, 1)
DW_TINY_GRAD(7, 1, 2)
DW_TINY_GRAD(7, 1, 3)
DW_TINY_GRAD(7, 1, 4)
DW_TINY_GRAD(7, 2, 2)
DW_TINY_GRAD(7, 2, 3)
DW_TINY_GRAD(7, 2, 4)

typedef struct {
    uint8_t k, s, n;
    dti_fn igrad;
    dtw_fn wgrad;
} dw_tiny_grad_entry_t;

#define E(K, S, N) {K, S, N, dti_k##K##s##S##n##N, dtw_k##K##s##S##n##N}
static const dw_tiny_grad_entry_t DW_TINY_GRAD_TABLE[] = {
    E(3, 1, 1), E(3, 1, 2), E(3, 1, 3), E(3, 1, 4), E(3, 2, 1), E(3, 2, 2),
    E(3, 2, 3), E(3, 2, 4), E(3, 2, 8), E(5, 1, 1), E(5, 1, 2), E(5, 1, 3),
    E(5, 1, 4), E(5, 2, 2), E(5, 2, 3), E(5, 2, 4), E(7, 1, 1), E(7, 1, 2),
    E(7, 1, 3), E(7, 1, 4), E(7, 2, 2), E(7, 2, 3), E(7, 2, 4),
};
#undef E

/* The instance for this conv, or NULL: depthwise, square 3/5/7 window and map, equal
 * strides 1/2, no dilation, padding K/2 at the top/left and the output size that
 * padding gives (the bottom/right padding then only pads taps no output reads). */
static const dw_tiny_grad_entry_t *find_instance(const mdy_conv_params_t *p)
{
    const uint32_t k = p->k_h, s = p->stride_h, n = p->in_h;
    if (!(p->groups == p->in_c && p->in_c == p->out_c && p->k_w == k && p->stride_w == s &&
          p->dil_h == 1u && p->dil_w == 1u && p->in_w == n && p->pad_top == k / 2u &&
          p->pad_left == k / 2u && (s == 1u || s == 2u) && p->out_h == (n - 1u) / s + 1u &&
          p->out_w == p->out_h)) {
        return NULL;
    }
    for (size_t i = 0; i < sizeof DW_TINY_GRAD_TABLE / sizeof DW_TINY_GRAD_TABLE[0]; ++i) {
        const dw_tiny_grad_entry_t *e = &DW_TINY_GRAD_TABLE[i];
        if (e->k == k && e->s == s && e->n == n) {
            return e;
        }
    }
    return NULL;
}

int mdy_conv_depthwise_tiny_input_grad_f32(const float *dout, const mdy_conv_params_t *p,
                                           const float *w, float *din)
{
    const dw_tiny_grad_entry_t *e = find_instance(p);
    if (e == NULL) {
        return 0;
    }
    e->igrad(dout, p->in_c, w, din);
    return 1;
}

int mdy_conv_depthwise_tiny_weight_grad_f32(const float *saved, const uint16_t *channels,
                                            uint32_t n_sel, const float *dout,
                                            const mdy_conv_params_t *p, float *dw_slices)
{
    const dw_tiny_grad_entry_t *e = find_instance(p);
    if (e == NULL) {
        return 0;
    }
    e->wgrad(saved, channels, n_sel, dout, dw_slices);
    return 1;
}
