/*
 * mdy_conv_depthwise_k3s2_input_grad_f32 (internal path of mdy_conv2d_input_grad_f32):
 * depthwise (groups == in_c == out_c) 3x3, stride 2, no dilation, pad_top == pad_left
 * == 1, an output at least ceil(in / 2) in each direction (the bottom/right padding
 * only adds dout rows/columns no input pixel reaches). Any map size, no buffer.
 *
 * With stride 2 and padding 1 every 2x2 block of din pixels reads a 2x2 block of dout
 * (D = dout[m..m+1][n..n+1]) with fixed taps:
 *   din[2m][2n]       = w11 D00
 *   din[2m][2n+1]     = w10 D01 + w12 D00
 *   din[2m+1][2n]     = w01 D10 + w21 D00
 *   din[2m+1][2n+1]   = w00 D11 + w02 D10 + w20 D01 + w22 D00
 * so the gradient is read straight from dout (no zero-padded copy): the last block row
 * and column, where dout row m + 1 / column n + 1 does not exist or din has only its even
 * row / column, run compile-time variants without those taps. The 9 weights stay in
 * registers for the channel, the inner loop does 2 blocks (4 dout loads with the shared
 * column, 18 MACs, 8 stores) per iteration, and each din pixel is stored once.
 * Returns 0 (nothing written) when the shape does not qualify.
 */
#include "../mdy_grad_internal.h"

enum { FULL = 0, NO_NEXT = 1, EVEN_ONLY = 2 };   /* block row / column variants */

typedef struct {
    float w00, w01, w02, w10, w11, w12, w20, w21, w22;
} k3_t;

/* One 2x2 din block (RV: its rows, CV: its columns); q0/q1 = dout rows m / m + 1 at
 * column n, d0/d1 = din rows 2m / 2m + 1 at column 2n. */
MDY_ALWAYS_INLINE void k3s2_block(const float *MDY_RESTRICT q0, const float *MDY_RESTRICT q1,
                                  const k3_t *w, float *MDY_RESTRICT d0,
                                  float *MDY_RESTRICT d1, const int RV, const int CV)
{
    const float a = q0[0];
    const float b = CV == FULL ? q0[1] : 0.0f;
    d0[0] = w->w11 * a;
    if (CV != EVEN_ONLY) {
        d0[1] = CV == FULL ? w->w10 * b + w->w12 * a : w->w12 * a;
    }
    if (RV == EVEN_ONLY) {
        return;
    }
    if (RV == FULL) {
        const float c = q1[0];
        d1[0] = w->w01 * c + w->w21 * a;
        if (CV == FULL) {
            d1[1] = w->w00 * q1[1] + w->w02 * c + w->w20 * b + w->w22 * a;
        } else if (CV == NO_NEXT) {
            d1[1] = w->w02 * c + w->w22 * a;
        }
    } else {   /* NO_NEXT: dout row m + 1 is padding */
        d1[0] = w->w21 * a;
        if (CV == FULL) {
            d1[1] = w->w20 * b + w->w22 * a;
        } else if (CV == NO_NEXT) {
            d1[1] = w->w22 * a;
        }
    }
}

/* One block row: n_full full blocks (2 per iteration), then the last column's variant
 * (cv: NO_NEXT, EVEN_ONLY, or FULL = none left). */
MDY_ALWAYS_INLINE void k3s2_row(const float *q0, const float *q1, const k3_t *w, float *d0,
                                float *d1, int32_t n_full, int cv, const int RV)
{
    const k3_t wr = *w;   /* the weights in registers for the row */
    int32_t n = n_full;
    for (; n >= 2; n -= 2, q0 += 2, q1 += 2, d0 += 4, d1 += 4) {
        k3s2_block(q0, q1, &wr, d0, d1, RV, FULL);
        k3s2_block(q0 + 1, q1 + 1, &wr, d0 + 2, d1 + 2, RV, FULL);
    }
    if (n) {
        k3s2_block(q0, q1, &wr, d0, d1, RV, FULL);
        ++q0;
        ++q1;
        d0 += 2;
        d1 += 2;
    }
    if (cv == NO_NEXT) {
        k3s2_block(q0, q1, &wr, d0, d1, RV, NO_NEXT);
    } else if (cv == EVEN_ONLY) {
        k3s2_block(q0, q1, &wr, d0, d1, RV, EVEN_ONLY);
    }
}

int mdy_conv_depthwise_k3s2_input_grad_f32(const float *dout, const mdy_conv_params_t *p,
                                           const float *w, float *din)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, out_h = p->out_h, out_w = p->out_w;
    if (!(p->groups == p->in_c && p->in_c == p->out_c && p->k_h == 3u && p->k_w == 3u &&
          p->stride_h == 2u && p->stride_w == 2u && p->dil_h == 1u && p->dil_w == 1u &&
          p->pad_top == 1u && p->pad_left == 1u && out_h >= (in_h + 1) / 2 &&
          out_w >= (in_w + 1) / 2)) {
        return 0;
    }
    /* block rows / columns with both din rows and dout row m + 1, then the last one's
     * variant: din even (NO_NEXT: dout row m + 1 is padding) or odd (EVEN_ONLY) */
    const int32_t m_full = in_h / 2 < out_h - 1 ? in_h / 2 : out_h - 1;
    const int32_t n_full = in_w / 2 < out_w - 1 ? in_w / 2 : out_w - 1;
    const int rv = m_full * 2 == in_h ? FULL : (in_h & 1) ? EVEN_ONLY : NO_NEXT;
    const int cv = n_full * 2 == in_w ? FULL : (in_w & 1) ? EVEN_ONLY : NO_NEXT;
    const size_t out_plane = (size_t)out_h * out_w, in_plane = (size_t)in_h * in_w;
    for (uint32_t c = 0; c < p->in_c; ++c, w += 9, dout += out_plane, din += in_plane) {
        const k3_t wk = {w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]};
        const float *q = dout;
        float *d = din;
        for (int32_t m = 0; m < m_full; ++m, q += out_w, d += 2 * in_w) {
            k3s2_row(q, q + out_w, &wk, d, d + in_w, n_full, cv, FULL);
        }
        if (rv == NO_NEXT) {
            k3s2_row(q, q, &wk, d, d + in_w, n_full, cv, NO_NEXT);
        } else if (rv == EVEN_ONLY) {
            k3s2_row(q, q, &wk, d, d, n_full, cv, EVEN_ONLY);
        }
    }
    return 1;
}
