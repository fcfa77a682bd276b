/*
 * mdy_conv_s8_dw_tiny: int8 depthwise convolution on tiny square maps (N x N input,
 * N <= 4; 5x5 at stride 2 up to N = 8), square K = 3/5/7 window, stride 1 or 2 on both
 * axes, "same" padding K/2 on
 * every side, no dilation (the int8 twin of mdy_conv_depthwise_tiny_f32).
 *
 * At these sizes most window taps fall on padding (a 3x3 window at stride 2 on a 2x2
 * map reads 4 real values of 9 taps) and the strip path's per-channel copy and per-row
 * setup cost more than the arithmetic. Here N, K and S are compile-time constants of
 * each instance: the plane is loaded once (minus the input zero point) into
 * registers, every output pixel's valid taps are known at compile time, and the padded
 * taps generate no code. Channels whose requantization is off mdy_s8_rq_fast's range
 * use mdy_s8_rq. Returns 0 (nothing written) when no instance matches.
 */
#include "../mdy_s8_internal.h"

/* One channel's O*O accumulators. The plane minus zp: four bytes per word load, as
 * halfwords (SXTB16, SSUB16 by zz = (zp, zp)); each valid tap one SMLABB/SMLABT. */
MDY_ALWAYS_INLINE void mdy_s8_dw_tiny_acc(const int8_t *in, const int8_t *w, int32_t b,
                                          int32_t zp, int32_t zz, int32_t *acc, const int K,
                                          const int S, const int N)
{
    const int P = K / 2, O = (N - 1) / S + 1, NN = N * N;
    int32_t xv[64]; /* N <= 8 */
    MDY_UNROLL
    for (int g = 0; g < NN / 4; ++g) {
        const int32_t v = mdy_s8_ldw(in + 4 * g);
        const int32_t e = mdy_s8_ssub16(mdy_s8_sx02(v), zz), o = mdy_s8_ssub16(mdy_s8_sx13(v), zz);
        xv[4 * g] = e;
        xv[4 * g + 1] = o;
        xv[4 * g + 2] = e;
        xv[4 * g + 3] = o;
    }
    MDY_UNROLL
    for (int i = NN / 4 * 4; i < NN; ++i) {
        xv[i] = in[i] - zp;
    }
    MDY_UNROLL
    for (int oh = 0; oh < O; ++oh) {
        MDY_UNROLL
        for (int ow = 0; ow < O; ++ow) {
            int32_t a = b;
            MDY_UNROLL
            for (int kh = 0; kh < K; ++kh) {
                const int ih = oh * S - P + kh;
                if (ih < 0 || ih >= N) {
                    continue; /* compile-time: no code for padded rows */
                }
                MDY_UNROLL
                for (int kw = 0; kw < K; ++kw) {
                    const int iw = ow * S - P + kw;
                    const int i = ih * N + iw;
                    if (iw >= 0 && iw < N) {
                        const int32_t wt = w[kh * K + kw];
                        /* top half: bytes 2, 3 of a full word group */
                        a = (i < NN / 4 * 4 && (i & 2)) ? mdy_s8_smlabt(wt, xv[i], a)
                                                        : mdy_s8_smlabb(wt, xv[i], a);
                    }
                }
            }
            acc[oh * O + ow] = a;
        }
    }
}

/* mdy_s8_rq_make with the slow test as two branches and k selected: the same values
 * (k is unused when slow); with the header's one-compare form GCC scheduled these
 * fully unrolled instances worse (3x3 stride 1 on 2x2: 3.08 vs 2.83 instr/MAC). */
MDY_ALWAYS_INLINE mdy_s8_rq_t mdy_s8_dw_tiny_make(int32_t mult, int32_t shift, int32_t zp)
{
    mdy_s8_rq_t r;
    const uint32_t r2 = (uint32_t)(-2 - shift);
    r.mult = mult;
    r.shift = shift;
    r.zp = zp;
    r.slow = mult < 0 || r2 > 21u;
    r.k = r.slow ? 0 : (int32_t)((uint32_t)(2 * zp + 1) << r2);
    r.sh = (int32_t)r2 + 1;
    return r;
}

MDY_ALWAYS_INLINE int32_t mdy_s8_dw_tiny_rq(int32_t a, const mdy_s8_rq_t *r)
{
    return r->slow ? mdy_s8_rq(a, r) : mdy_s8_rq_fast(a, r->mult, r->k, r->sh);
}

/* A channel off mdy_s8_rq_fast's range: its n outputs out of line (rare). */
MDY_NOINLINE static void mdy_s8_dw_tiny_slow(const int32_t *acc, int32_t n, const mdy_s8_rq_t *r,
                                             int32_t lo, int32_t hi, int8_t *out)
{
    for (int32_t i = 0; i < n; ++i) {
        out[i] = mdy_s8_finish(acc[i], r, lo, hi);
    }
}

MDY_ALWAYS_INLINE void mdy_s8_dw_tiny(const int8_t *MDY_RESTRICT in, const mdy_conv_params_t *p,
                                      const mdy_s8_requant_t *q, const int8_t *MDY_RESTRICT w,
                                      const int32_t *bias, int8_t *MDY_RESTRICT out,
                                      const int K, const int S, const int N)
{
    const int O = (N - 1) / S + 1, OO = O * O;
    const int32_t zp = q->in_zp, lo = q->act_min, hi = q->act_max, out_zp = q->out_zp;
    const int32_t zz = (int32_t)(((uint32_t)zp << 16) | ((uint32_t)zp & 0xFFFFu));
    const uint32_t lo4 = mdy_s8_rep4(lo), hi4 = mdy_s8_rep4(hi);
    const int32_t *mult = q->mult, *shift = q->shift;
    static const int32_t zero = 0;
    const int32_t *bp = bias ? bias : &zero;
    const int32_t bstep = bias ? 1 : 0;
    const int32_t n_c = p->out_c;
    int32_t c = 0;
    if (O == 1) { /* four channels per pass: their four outputs are one word */
        for (; c + 4 <= n_c; c += 4, in += 4 * N * N, w += 4 * K * K, out += 4) {
            int32_t v[4];
            MDY_UNROLL
            for (int j = 0; j < 4; ++j) {
                int32_t a;
                mdy_s8_dw_tiny_acc(in + j * N * N, w + j * K * K, *bp, zp, zz, &a, K, S, N);
                bp += bstep;
                const mdy_s8_rq_t r = mdy_s8_dw_tiny_make(mult[c + j], shift[c + j], out_zp);
                v[j] = mdy_s8_dw_tiny_rq(a, &r);
            }
            mdy_s8_st4(out, mdy_s8_pack4(v[0], v[1], v[2], v[3], lo4, hi4));
        }
    }
    for (; c < n_c; ++c, in += N * N, w += K * K, out += OO) {
        int32_t acc[64];
        mdy_s8_dw_tiny_acc(in, w, *bp, zp, zz, acc, K, S, N);
        bp += bstep;
        const mdy_s8_rq_t r = mdy_s8_dw_tiny_make(mult[c], shift[c], out_zp);
        if (r.slow) {
            mdy_s8_dw_tiny_slow(acc, OO, &r, lo, hi, out);
            continue;
        }
        int32_t v[64];
        MDY_UNROLL
        for (int i = 0; i < OO; ++i) {
            v[i] = mdy_s8_rq_fast(acc[i], r.mult, r.k, r.sh);
        }
        MDY_UNROLL
        for (int i = 0; i + 4 <= OO; i += 4) {
            mdy_s8_st4(out + i, mdy_s8_pack4(v[i], v[i + 1], v[i + 2], v[i + 3], lo4, hi4));
        }
        MDY_UNROLL
        for (int i = OO / 4 * 4; i < OO; ++i) {
            out[i] = mdy_s8_clamp(v[i], lo, hi);
        }
    }
}

typedef void (*mdy_s8_dw_tiny_fn)(const int8_t *, const mdy_conv_params_t *,
                                  const mdy_s8_requant_t *, const int8_t *, const int32_t *,
                                  int8_t *);

#define MDY_S8_DW_TINY(K, S, N)                                                           \
    MDY_NOINLINE static void mdy_s8_dw_tiny_k##K##s##S##n##N(                             \
        const int8_t *in, const mdy_conv_params_t *p, const mdy_s8_requant_t *q,          \
        const int8_t *w, const int32_t *bias, int8_t *out)                                \
    {                                                                                     \
        mdy_s8_dw_tiny(in, p, q, w, bias, out, K, S, N);                                  \
    }

MDY_S8_DW_TINY(3, 1, 2)
MDY_S8_DW_TINY(3, 1, 3)
MDY_S8_DW_TINY(3, 1, 4)
/* 3x3 stride 2 only on 3x3 and 4x4 (rows of 2 outputs): 2x2 and 5x5 up are
 * mdy_conv_s8_dw3s2's, which the dispatcher tries first */
MDY_S8_DW_TINY(3, 2, 3)
MDY_S8_DW_TINY(3, 2, 4)
MDY_S8_DW_TINY(5, 1, 2)
MDY_S8_DW_TINY(5, 1, 3)
MDY_S8_DW_TINY(5, 2, 2)
MDY_S8_DW_TINY(5, 2, 3)
MDY_S8_DW_TINY(5, 2, 4)
/* 5x5 stride 2 on 5x5..8x8 (3x3 and 4x4 outputs; 121, 144, 256 and 289 of the 225 or
 * 400 taps on the map): the strip path's per-row pair and single cost 5.0, 5.1, 3.95 and
 * 3.99 instr/MAC there, these 2.2-2.7 (7 and 8: 3.1 and 3.4 KB of code) */
MDY_S8_DW_TINY(5, 2, 5)
MDY_S8_DW_TINY(5, 2, 6)
MDY_S8_DW_TINY(5, 2, 7)
MDY_S8_DW_TINY(5, 2, 8)
MDY_S8_DW_TINY(7, 1, 2)
MDY_S8_DW_TINY(7, 2, 2)
MDY_S8_DW_TINY(7, 2, 3)
MDY_S8_DW_TINY(7, 2, 4)

typedef struct {
    uint8_t k, s, n;
    mdy_s8_dw_tiny_fn fn;
} mdy_s8_dw_tiny_entry_t;

static const mdy_s8_dw_tiny_entry_t MDY_S8_DW_TINY_TABLE[] = {
    {3, 1, 2, mdy_s8_dw_tiny_k3s1n2}, {3, 1, 3, mdy_s8_dw_tiny_k3s1n3},
    {3, 1, 4, mdy_s8_dw_tiny_k3s1n4},
    {3, 2, 3, mdy_s8_dw_tiny_k3s2n3}, {3, 2, 4, mdy_s8_dw_tiny_k3s2n4},
    {5, 1, 2, mdy_s8_dw_tiny_k5s1n2}, {5, 1, 3, mdy_s8_dw_tiny_k5s1n3},
    {5, 2, 2, mdy_s8_dw_tiny_k5s2n2}, {5, 2, 3, mdy_s8_dw_tiny_k5s2n3},
    {5, 2, 4, mdy_s8_dw_tiny_k5s2n4}, {7, 1, 2, mdy_s8_dw_tiny_k7s1n2},
    {7, 2, 2, mdy_s8_dw_tiny_k7s2n2}, {7, 2, 3, mdy_s8_dw_tiny_k7s2n3},
    {7, 2, 4, mdy_s8_dw_tiny_k7s2n4},
    {5, 2, 5, mdy_s8_dw_tiny_k5s2n5}, {5, 2, 6, mdy_s8_dw_tiny_k5s2n6},
    {5, 2, 7, mdy_s8_dw_tiny_k5s2n7}, {5, 2, 8, mdy_s8_dw_tiny_k5s2n8},
};

int mdy_conv_s8_dw_tiny(const int8_t *in, const mdy_conv_params_t *p,
                        const mdy_s8_requant_t *q, const int8_t *w, const int32_t *bias,
                        int8_t *out)
{
    const int32_t k = p->k_h, s = p->stride_h, n = p->in_h;
    if (p->k_w != k || p->stride_w != s || p->dil_h != 1 || p->dil_w != 1 || p->in_w != n ||
        n < 1 || p->pad_top != k / 2 || p->pad_left != k / 2 ||
        p->out_h != (n - 1) / s + 1 || p->out_w != p->out_h) {
        return 0;
    }
    for (size_t i = 0; i < sizeof MDY_S8_DW_TINY_TABLE / sizeof MDY_S8_DW_TINY_TABLE[0]; ++i) {
        const mdy_s8_dw_tiny_entry_t *e = &MDY_S8_DW_TINY_TABLE[i];
        if (e->k == k && e->s == s && e->n == n) {
            e->fn(in, p, q, w, bias, out);
            return 1;
        }
    }
    return 0;
}
