/*
 * mdy_conv_depthwise_plane_input_grad_f32 (internal path of mdy_conv2d_input_grad_f32):
 * depthwise (groups == in_c == out_c), square 3/5/7 window, no dilation, stride 1 (any
 * pad_top/pad_left <= K - 1) or stride 2 (pad_top == pad_left == K/2), on maps whose
 * zero-padded dout rows fit a fixed row stride (34 floats for 3x3, which runs in strips
 * of 12 rows; 16 for 5x5/7x7, whole planes only) in the stack buffer.
 *
 * The mid-size maps (5..20) are where the strip paths' per-strip copy with zero pads,
 * per-row pointer setup and odd tails cost more than the arithmetic. Here the padded
 * plane buffer is zeroed once per call and each channel only copies its dout rows into
 * the interior (the borders stay zero for every channel). The row stride is a
 * compile-time constant, so every tap of a block is one immediate-offset load from a
 * single pointer. Blocks of 4 consecutive din outputs (3x3: of 2 rows; 5x5/7x7: of 2
 * outputs, one row), then a block of 2 and of 1 for the row's remainder (no bounds
 * checks, no row-crossing garbage). For stride 2 each din row is computed on its own, 2
 * outputs being one dout column (an even and an odd din column), and the taps of the
 * row's and each column's stride phase are fixed at compile time (no MACs on the zeros a
 * scatter would insert). Every din pixel is stored once (no zeroing pass).
 * Returns 0 (nothing written) when the shape does not qualify.
 */
#include <string.h>

#include "../mdy_grad_internal.h"

#define FLOORDIV(a, b) ((a) >= 0 ? (a) / (b) : -((-(a) + (b) - 1) / (b)))
#define MODP(a, b) ((((a) % (b)) + (b)) % (b))

/* Tap offsets: din (row or column) index i = S * m + ph reads dout index m + e with
 * e = (ph + POFF - k) / S for the taps k with (ph + POFF - k) % S == 0; POFF = K - 1 for
 * stride 1 (the padding is in the plane's origin), K / 2 for stride 2. */
#define POFF(K, S) ((S) == 1 ? (K) - 1 : (K) / 2)

/* NOUT consecutive din outputs of NR rows (NR = 2: stride 1 only, rows i and i + 1) of
 * phase PH starting at a phase-0 column; x is the plane element of (dout row m + 0, dout
 * column n + 0), d[r] the first output of row r. */
MDY_ALWAYS_INLINE void dpi_block(const float *MDY_RESTRICT x, const float *MDY_RESTRICT w,
                                 float *const *d, const int K, const int S, const int PH,
                                 const int NOUT, const int NR, const int PWC)
{
    const int PO = POFF(K, S);
    float acc[2][4] = {{0.0f, 0.0f, 0.0f, 0.0f}, {0.0f, 0.0f, 0.0f, 0.0f}};
    int first[2][4] = {{1, 1, 1, 1}, {1, 1, 1, 1}};   /* the first product initialises acc */
    MDY_UNROLL
    for (int r = 0; r < NR; ++r) {
        MDY_UNROLL
        for (int kh = 0; kh < K; ++kh) {
            if (MODP(PH + PO - kh, S) != 0) {
                continue;   /* compile-time: taps of the other row phase */
            }
            const int eh = FLOORDIV(PH + PO - kh, S) + r;
            MDY_UNROLL
            for (int t = 0; t < NOUT; ++t) {
                const int pw = t % S, c = t / S;
                MDY_UNROLL
                for (int kw = 0; kw < K; ++kw) {
                    if (MODP(pw + PO - kw, S) != 0) {
                        continue;
                    }
                    const int ew = FLOORDIV(pw + PO - kw, S);
                    const float prod = w[kh * K + kw] * x[eh * PWC + c + ew];
                    acc[r][t] = first[r][t] ? prod : acc[r][t] + prod;
                    first[r][t] = 0;
                }
            }
        }
    }
    MDY_UNROLL
    for (int r = 0; r < NR; ++r) {
        MDY_UNROLL
        for (int t = 0; t < NOUT; ++t) {
            d[r][t] = acc[r][t];
        }
    }
}

/* NR din rows of phase PH (d0: the first, d1: the second): blocks of NB outputs, then 2,
 * then 1. */
MDY_ALWAYS_INLINE void dpi_row(const float *x, const float *MDY_RESTRICT w, float *d0,
                               float *d1, int32_t in_w, const int K, const int S,
                               const int PH, const int NR, const int PWC)
{
    float *d[2] = {d0, d1};
    int32_t j = in_w;
    /* 5x5/7x7: 2 outputs per block (4 took 0.7-1.2 KB more per instance for 5-10% fewer
     * instructions on wide maps, and more on 5x5 stride 2 at 6x6) */
    const int NB = K >= 5 ? 2 : 4;
    for (; j >= NB; j -= NB, x += NB / S, d[0] += NB, d[1] += NB) {
        dpi_block(x, w, d, K, S, PH, NB, NR, PWC);
    }
    if (j >= 2) {
        dpi_block(x, w, d, K, S, PH, 2, NR, PWC);
        x += 2 / S;
        d[0] += 2;
        d[1] += 2;
        j -= 2;
    }
    if (j) {
        dpi_block(x, w, d, K, S, PH, 1, NR, PWC);
    }
}

/* Plane rows [g0, g0 + n) (plane row g holds dout row g - top) into buf: the interior
 * columns of each row, zeros for rows outside dout (with several strips per channel an
 * earlier strip may have left data there). */
static __attribute__((noinline)) void dpi_fill(float *buf, const float *dout, int32_t out_h,
                                               int32_t out_w, int32_t g0, int32_t n,
                                               int32_t top, int32_t cw, int32_t PWC)
{
    int32_t lo = top - g0, hi = out_h + top - g0;   /* rows [lo, hi) hold dout */
    lo = lo < 0 ? 0 : lo;
    hi = hi > n ? n : hi;
    for (int32_t r = 0; r < n; ++r) {
        if (r == lo) {
            r = hi > lo ? hi : lo;   /* skip the dout rows */
            if (r >= n) {
                break;
            }
        }
        for (int32_t q = 0; q < cw; ++q) {
            buf[r * PWC + q] = 0.0f;
        }
    }
    const float *src = dout + (g0 + lo - top) * out_w;
    for (int32_t r = lo; r < hi; ++r, src += out_w) {
        for (int32_t q = 0; q < cw; ++q) {
            buf[r * PWC + q] = src[q];
        }
    }
}

/* n units (din rows at stride 1, din row pairs at stride 2; odd: the last pair has only
 * its even row) of one channel from the plane rows at x. Returns din past them. */
MDY_ALWAYS_INLINE float *dpi_units(const float *x, const float *MDY_RESTRICT w, float *din,
                                   int32_t n, int odd, int32_t in_w, const int K, const int S,
                                   const int PWC)
{
    int32_t i = n;
    if (S == 1) {
        if (K == 3) {   /* 2 rows per block: 9 weights + 8 sums fit the registers */
            for (; i >= 2; i -= 2, x += 2 * PWC, din += 2 * in_w) {
                dpi_row(x, w, din, din + in_w, in_w, K, S, 0, 2, PWC);
            }
        }
        for (; i > 0; --i, x += PWC, din += in_w) {
            dpi_row(x, w, din, din, in_w, K, S, 0, 1, PWC);
        }
        return din;
    }
    for (i = n - odd; i > 0; --i, x += PWC, din += 2 * in_w) {
        dpi_row(x, w, din, din, in_w, K, S, 0, 1, PWC);
        dpi_row(x, w, din + in_w, din, in_w, K, S, 1, 1, PWC);
    }
    if (odd) {
        dpi_row(x, w, din, din, in_w, K, S, 0, 1, PWC);
        din += in_w;
    }
    return din;
}

/* Every channel: 3x3 stride 1 in strips of `strip` din rows (each reading K - 1 more
 * plane rows), the others on the whole plane. */
MDY_ALWAYS_INLINE void dpi_all(const float *dout, const mdy_conv_params_t *p, const float *w,
                               float *din, float *plane, int32_t top, int32_t left,
                               int32_t cols, int32_t strip, const int K, const int S,
                               const int PWC)
{
    const int32_t in_h = p->in_h, in_w = p->in_w;
    const int32_t out_h = p->out_h, out_w = p->out_w;
    /* dout columns that land inside the plane (the rest are never read) */
    const int32_t cw = out_w < cols - left ? out_w : cols - left;
    const size_t out_plane = (size_t)out_h * out_w;
    if (K == 3 && S == 1) {
        const int strips = strip < in_h;   /* an earlier strip may have left data */
        const int32_t ch = out_h < in_h + K - 1 - top ? out_h : in_h + K - 1 - top;
        for (uint32_t c = 0; c < p->in_c; ++c, w += K * K, dout += out_plane) {
            for (int32_t u0 = 0; u0 < in_h; u0 += strip) {
                const int32_t n = in_h - u0 > strip ? strip : in_h - u0;
                if (strips) {
                    dpi_fill(plane + left, dout, out_h, out_w, u0, n + K - 1, top, cw, PWC);
                } else {   /* one strip: the rows outside dout stay zero */
                    const float *src = dout;
                    float *dst = plane + top * PWC + left;
                    for (int32_t r = 0; r < ch; ++r, src += out_w, dst += PWC) {
                        for (int32_t q = 0; q < cw; ++q) {
                            dst[q] = src[q];
                        }
                    }
                }
                din = dpi_units(plane, w, din, n, 0, in_w, K, S, PWC);
            }
        }
        return;
    }
    /* whole plane: dout rows [0, ch) at plane row top (the rest are never read) */
    const int32_t rows = S == 1 ? in_h + K - 1 : (in_h + 1) / 2 + (K == 7 ? 3 : 2);
    const int32_t ch = out_h < rows - top ? out_h : rows - top;
    float *const interior = plane + top * PWC + left;
    for (uint32_t c = 0; c < p->in_c; ++c, w += K * K, dout += out_plane) {
        const float *src = dout;
        float *dst = interior;
        for (int32_t r = 0; r < ch; ++r, src += out_w, dst += PWC) {
            for (int32_t q = 0; q < cw; ++q) {
                dst[q] = src[q];
            }
        }
        /* S = 1: the plane origin holds the padding; S = 2: x = dout (0, 0) */
        din = dpi_units(S == 1 ? plane : interior, w, din, S == 1 ? in_h : (in_h + 1) / 2,
                        S == 2 && (in_h & 1), in_w, K, S, PWC);
    }
}

/* Row stride (floats) per instance: 3x3 stride 1 up to 32-wide maps (13 rows in one
 * strip), the others 16 (more strips than rows of taps fit otherwise). */
#define PW3 34
#define PW_ 16

#define DPI_ALL(NAME, K, S, PWC)                                                           \
    static __attribute__((noinline)) void NAME(const float *dout, const mdy_conv_params_t *p, \
                                               const float *w, float *din, float *plane,    \
                                               int32_t top, int32_t left, int32_t cols,     \
                                               int32_t strip)                               \
    {                                                                                       \
        dpi_all(dout, p, w, din, plane, top, left, cols, strip, K, S, PWC);                 \
    }

DPI_ALL(dpi_k3s1, 3, 1, PW3)
DPI_ALL(dpi_k5s1, 5, 1, PW_)
DPI_ALL(dpi_k5s2, 5, 2, PW_)
DPI_ALL(dpi_k7s1, 7, 1, PW_)
DPI_ALL(dpi_k7s2, 7, 2, PW_)

typedef void (*dpi_fn)(const float *, const mdy_conv_params_t *, const float *, float *,
                       float *, int32_t, int32_t, int32_t, int32_t);

int mdy_conv_depthwise_plane_input_grad_f32(const float *dout, const mdy_conv_params_t *p,
                                            const float *w, float *din)
{
    const int32_t k = p->k_h, s = p->stride_h;
    /* 3x3 stride 2 runs mdy_conv_depthwise_k3s2_input_grad_f32 (no copy at all) */
    if (!(p->groups == p->in_c && p->in_c == p->out_c && k == p->k_w &&
          (k == 3 || k == 5 || k == 7) && s == p->stride_w && (s == 1 || s == 2) &&
          !(k == 3 && s == 2) && p->dil_h == 1u && p->dil_w == 1u)) {
        return 0;
    }
    const int32_t pw = k == 3 ? PW3 : PW_;
    int32_t top, left, cols, units, halo;
    if (s == 1) {
        if (!(p->pad_top < k && p->pad_left < k)) {
            return 0;
        }
        top = k - 1 - p->pad_top;
        left = k - 1 - p->pad_left;
        cols = p->in_w + k - 1;
        units = p->in_h;
        halo = k - 1;
    } else {
        if (!(p->pad_top == k / 2 && p->pad_left == k / 2)) {
            return 0;
        }
        /* dout offsets e of the phases' taps: [-1, 1] (K = 5), [-1, 2] (7) */
        top = left = 1;
        halo = k == 7 ? 3 : 2;
        cols = (p->in_w + 1) / 2 + halo;
        units = (p->in_h + 1) / 2;
    }
    const int32_t fit = (int32_t)MDY_CONV_STRIP_FLOATS / pw - halo;   /* units per strip */
    if (cols > pw || fit < 2) {
        return 0;
    }
    /* one strip, or (3x3 stride 1) strips of an even number of rows (2 rows per block) */
    if (units > fit && k != 3) {
        return 0;
    }
    const int32_t strip = units <= fit ? units : fit & ~1;
    static const dpi_fn fns[3][2] = {{dpi_k3s1, NULL}, {dpi_k5s1, dpi_k5s2}, {dpi_k7s1, dpi_k7s2}};
    float plane[MDY_CONV_STRIP_FLOATS];
    memset(plane, 0, (size_t)(strip + halo) * pw * sizeof(float));
    fns[(k - 3) / 2][s - 1](dout, p, w, din, plane, top, left, cols, strip);
    return 1;
}
