/*
 * mdy_conv_depthwise_phase_input_grad_f32 (internal path of mdy_conv2d_input_grad_f32):
 * depthwise (groups == in_c == out_c), 3x3 stride 1, 5x5/7x7 stride 2, no
 * dilation, "same" padding pad_top == pad_left == K/2 (3x3 stride 2:
 * mdy_conv_depthwise_k3s2_input_grad_f32, or the KxK path when its output is cropped).
 *
 * The input gradient as a gather over stride phases with everything known at compile
 * time: for each s x s block of din pixels (one per dout pixel), every din pixel of
 * the block sums the taps of its phase, read from a zero-padded strip of the dout
 * plane (MDY_CONV_STRIP_FLOATS) at immediate offsets, and is stored once (no zeroing
 * pass, no read-modify-write). The K*K weights of the channel are read once per
 * channel. Returns 0 (nothing written) when the shape does not qualify or one strip
 * row does not fit the buffer.
 */
#include "../mdy_grad_internal.h"

#define FLOORDIV(a, b) ((a) >= 0 ? (a) / (b) : -((-(a) + (b) - 1) / (b)))

/* din pixels [rh < RHN][rw < RWN] of the block whose dout pixel sits at column 0 of
 * the row pointers x[e - E_MIN] (dout rows m + e, already offset by -E_MIN columns);
 * d[rh] = the block's first pixel in din row rh. */
MDY_ALWAYS_INLINE void dp_block(const float *const *x, const float *MDY_RESTRICT wl,
                                float *const *d, const int K, const int S, const int RHN,
                                const int RWN)
{
    const int P = K / 2;
    const int E_MIN = FLOORDIV(P - (K - 1), S);
    MDY_UNROLL
    for (int rh = 0; rh < RHN; ++rh) {
        MDY_UNROLL
        for (int rw = 0; rw < RWN; ++rw) {
            float acc = 0.0f;
            int first = 1;   /* the first product initialises acc: a vmul, no zeroing */
            MDY_UNROLL
            for (int kh = 0; kh < K; ++kh) {
                const int vh = rh + P - kh;
                if (((vh % S) + S) % S != 0) {
                    continue;
                }
                MDY_UNROLL
                for (int kw = 0; kw < K; ++kw) {
                    const int vw = rw + P - kw;
                    if (((vw % S) + S) % S != 0) {
                        continue;
                    }
                    const float prod =
                        wl[kh * K + kw] * x[FLOORDIV(vh, S) - E_MIN][FLOORDIV(vw, S) - E_MIN];
                    acc = first ? prod : acc + prod;
                    first = 0;
                }
            }
            d[rh][rw] = acc;
        }
    }
}

/* One phase row block m of RHN din rows (d0 = its first din row): every dout column. */
MDY_ALWAYS_INLINE void dp_row(const float *row0, uint32_t pw, const float *wl, float *d0,
                              int32_t in_w, const int K, const int S, const int RHN)
{
    const int P = K / 2;
    const int NE = FLOORDIV(S - 1 + P, S) - FLOORDIV(P - (K - 1), S) + 1;
    const float *x[8];
    MDY_UNROLL
    for (int e = 0; e < NE; ++e) {
        x[e] = row0 + (uint32_t)e * pw;
    }
    float *d[2];
    d[0] = d0;
    d[1] = d0 + in_w;
    const int32_t full = in_w / S;
    for (int32_t n = 0; n < full; ++n) {
        dp_block(x, wl, d, K, S, RHN, S);
        MDY_UNROLL
        for (int e = 0; e < NE; ++e) {
            ++x[e];
        }
        MDY_UNROLL
        for (int rh = 0; rh < RHN; ++rh) {
            d[rh] += S;
        }
    }
    if (S == 2 && (in_w & 1)) {
        dp_block(x, wl, d, K, S, RHN, 1);
    }
}

MDY_ALWAYS_INLINE void dp_all(const float *dout, const mdy_conv_params_t *p,
                              const float *w, float *din, float *buf, uint32_t strip,
                              uint32_t pw, const int K, const int S)
{
    const int P = K / 2;
    const int E_MIN = FLOORDIV(P - (K - 1), S);
    const int NE = FLOORDIV(S - 1 + P, S) - E_MIN + 1;
    const int32_t in_h = p->in_h, in_w = p->in_w, out_h = p->out_h, out_w = p->out_w;
    const uint32_t in_plane = (uint32_t)(in_h * in_w), out_plane = (uint32_t)(out_h * out_w);
    const uint32_t m_full = (uint32_t)(in_h / S), m_all = (uint32_t)((in_h + S - 1) / S);
    for (uint32_t c = 0; c < p->in_c; ++c, w += K * K) {
        float wl[49];
        MDY_UNROLL
        for (int t = 0; t < K * K; ++t) {
            wl[t] = w[t];
        }
        float *dc = din + (size_t)c * in_plane;
        for (uint32_t m0 = 0; m0 < m_all; m0 += strip) {
            const uint32_t rows = m_all - m0 < strip ? m_all - m0 : strip;
            mdy_copy_padded_rows(buf, dout + (size_t)c * out_plane, out_h, out_w,
                                 (int32_t)m0 + E_MIN, rows + (uint32_t)NE - 1u, E_MIN, pw);
            for (uint32_t r = 0; r < rows; ++r) {
                const uint32_t m = m0 + r;
                float *d = dc + m * (uint32_t)S * (uint32_t)in_w;
                if (m < m_full) {
                    dp_row(buf + r * pw, pw, wl, d, in_w, K, S, S);
                } else {
                    dp_row(buf + r * pw, pw, wl, d, in_w, K, S, 1);
                }
            }
        }
    }
}

#define DP_ALL(NAME, K, S)                                                                 \
    static __attribute__((noinline)) void NAME(const float *dout, const mdy_conv_params_t *p, \
                                               const float *w, float *din, float *buf,      \
                                               uint32_t strip, uint32_t pw)                 \
    {                                                                                       \
        dp_all(dout, p, w, din, buf, strip, pw, K, S);                                      \
    }

DP_ALL(dp_k3s1, 3, 1)
DP_ALL(dp_k5s2, 5, 2)
DP_ALL(dp_k7s2, 7, 2)

typedef void (*dp_fn)(const float *, const mdy_conv_params_t *, const float *, float *, float *,
                      uint32_t, uint32_t);

int mdy_conv_depthwise_phase_input_grad_f32(const float *dout, const mdy_conv_params_t *p,
                                            const float *w, float *din)
{
    const int32_t k = p->k_h, s = p->stride_h;
    if (!(p->groups == p->in_c && p->in_c == p->out_c && k == p->k_w &&
          (k == 3 || k == 5 || k == 7) && s == p->stride_w && (k == 3 ? s == 1 : s == 2) &&
          p->dil_h == 1u && p->dil_w == 1u && p->pad_top == k / 2 && p->pad_left == k / 2)) {
        return 0;
    }
    const int32_t p_ = k / 2;
    const int32_t e_min = FLOORDIV(p_ - (k - 1), s), e_max = FLOORDIV(s - 1 + p_, s);
    const uint32_t ne = (uint32_t)(e_max - e_min + 1);
    const uint32_t pw = (uint32_t)((p->in_w + s - 1) / s + e_max - e_min);
    if (ne * pw > MDY_CONV_STRIP_FLOATS) {
        return 0;
    }
    uint32_t strip = MDY_CONV_STRIP_FLOATS / pw - (ne - 1u);
    const uint32_t m_all = (uint32_t)((p->in_h + s - 1) / s);
    if (strip > m_all) {
        strip = m_all;
    }
    /* 5x5/7x7 stride 1 go to the flipped forward path (fewer instructions on wide
     * maps; 2-3 KB of code each here) */
    const dp_fn fns[3][2] = {{dp_k3s1, NULL}, {NULL, dp_k5s2}, {NULL, dp_k7s2}};
    float buf[MDY_CONV_STRIP_FLOATS];
    fns[(k - 3) / 2][s - 1](dout, p, w, din, buf, strip, pw);
    return 1;
}
