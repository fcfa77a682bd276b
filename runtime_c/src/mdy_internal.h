/*
 * Private helpers shared by the kernel sources (not part of the public ABI).
 * Only <stdint.h>/<stddef.h>: everything here is static inline.
 */
#ifndef MEDYATE_INTERNAL_H
#define MEDYATE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "medyate/kernels.h"

/* The inline-assembly blocks need an optimising build: at -O0 GCC keeps every operand
 * in memory and stops with "asm operand has impossible constraints". An unoptimised
 * (debug) build therefore runs the C twins of every path, which give the same results. */
#if !defined(__OPTIMIZE__) && !defined(MDY_NO_ASM)
#define MDY_NO_ASM 1
#endif

#if defined(__GNUC__)
#define MDY_ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define MDY_ALWAYS_INLINE static inline
#endif

/* restrict in C99 (the weights may then stay in registers across output stores). */
#define MDY_RESTRICT restrict

/* Full unrolling of a constant-trip loop (GCC >= 8; -O2 alone does not unroll the
 * depthwise window). Other compilers: a no-op, same results. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8
#define MDY_UNROLL _Pragma("GCC unroll 16")
#else
#define MDY_UNROLL
#endif

/* Written by mdy_maxpool2d_f32 when a window holds no real input (only padding):
 * the backward pass skips it. Windows are therefore limited to 255 elements. */
#define MDY_ARGMAX_NONE 255u

MDY_ALWAYS_INLINE float mdy_clampf(float v, float lo, float hi)
{
    /* Comparisons rather than fminf/fmaxf: no libm call on targets without the
     * instruction, and -INF/+INF bounds cost nothing. */
    if (v < lo) {
        return lo;
    }
    if (v > hi) {
        return hi;
    }
    return v;
}

/* Which parts of the fused clamp [lo, hi] can change a value: the output stores of the
 * forward kernels are instantiated per kind, so a layer without activation runs no
 * compare and a ReLU (hi = +INF) one compare instead of two. */
enum { MDY_ACT_NONE = 0, MDY_ACT_LO = 1, MDY_ACT_BOTH = 2 };

MDY_ALWAYS_INLINE int mdy_act_kind(float lo, float hi)
{
    const float big = 3.40282347e38f; /* FLT_MAX: beyond it only +-INF */
    if (hi > big) {
        return lo < -big ? MDY_ACT_NONE : MDY_ACT_LO;
    }
    return MDY_ACT_BOTH;
}

/* mdy_clampf restricted to the parts ACT (a compile-time constant) says matter. */
MDY_ALWAYS_INLINE float mdy_act(float v, float lo, float hi, const int ACT)
{
    if (ACT == MDY_ACT_NONE) {
        return v;
    }
    if (ACT == MDY_ACT_LO) {
        return v < lo ? lo : v;
    }
    return mdy_clampf(v, lo, hi);
}

/*
 * Output positions o in [*lo, *hi) whose input position
 *     i = o * stride + offset
 * lies inside [0, in_len). offset = k * dilation - pad may be negative. Every sliding
 * window loop (conv forward, both conv gradients, pooling) uses this to hoist the bounds
 * checks out of its inner loop.
 */
MDY_ALWAYS_INLINE void mdy_valid_range(int32_t offset, int32_t stride, int32_t in_len,
                                       int32_t out_len, int32_t *lo, int32_t *hi)
{
    int32_t first = 0;
    int32_t last; /* exclusive */
    if (offset < 0) {
        first = (-offset + stride - 1) / stride; /* ceil(-offset / stride) */
    }
    if (in_len - offset <= 0) {
        last = 0;
    } else {
        last = (in_len - 1 - offset) / stride + 1; /* floor((in_len-1-offset)/stride) + 1 */
    }
    if (last > out_len) {
        last = out_len;
    }
    if (first > last) {
        first = last;
    }
    *lo = first;
    *hi = last;
}

/* One tap (kh, kw) of a convolution window: where it reads relative to the start of an
 * output row's input row, and the output rectangle [oh_lo, oh_hi) x [ow_lo, ow_hi) in
 * which that read falls inside the input. Shared by the conv forward and both gradients
 * so that their inner loops carry no bounds checks. */
typedef struct {
    int32_t in_offset;  /* (kh * dil_h - pad_top) * in_w + kw * dil_w - pad_left */
    int32_t oh_lo, oh_hi, ow_lo, ow_hi;
} mdy_conv_tap_t;

MDY_ALWAYS_INLINE void mdy_conv_tap(const mdy_conv_params_t *p, int32_t kh, int32_t kw,
                                    mdy_conv_tap_t *t)
{
    const int32_t off_h = kh * p->dil_h - p->pad_top;
    const int32_t off_w = kw * p->dil_w - p->pad_left;
    mdy_valid_range(off_h, p->stride_h, p->in_h, p->out_h, &t->oh_lo, &t->oh_hi);
    mdy_valid_range(off_w, p->stride_w, p->in_w, p->out_w, &t->ow_lo, &t->ow_hi);
    t->in_offset = off_h * (int32_t)p->in_w + off_w;
}

/* The taps k0 .. k0 + MDY_LIVE_TAPS_MAX - 1 (index kh * k_w + kw) that read the input for
 * at least one output, with their ranges: the generic loops walk this table instead of
 * recomputing every tap for every channel pair, and never visit a tap that only reads
 * padding (most of a dilated window on a small map). Returns how many it wrote. */
#define MDY_LIVE_TAPS_MAX 49u
typedef struct {
    mdy_conv_tap_t t;
    uint32_t k;
} mdy_live_tap_t;

MDY_ALWAYS_INLINE uint32_t mdy_conv_live_taps(const mdy_conv_params_t *p, uint32_t k0,
                                              mdy_live_tap_t *tab)
{
    const uint32_t taps = (uint32_t)p->k_h * p->k_w;
    const uint32_t k1 = taps - k0 < MDY_LIVE_TAPS_MAX ? taps : k0 + MDY_LIVE_TAPS_MAX;
    uint32_t n = 0;
    for (uint32_t k = k0; k < k1; ++k) {
        mdy_conv_tap(p, (int32_t)(k / p->k_w), (int32_t)(k % p->k_w), &tab[n].t);
        if (tab[n].t.oh_lo < tab[n].t.oh_hi && tab[n].t.ow_lo < tab[n].t.ow_hi) {
            tab[n].k = k;
            ++n;
        }
    }
    return n;
}

/* True for a dilated window of which fewer than half of the taps ever read the input
 * (a map smaller than the window's span): the generic loops, which visit live taps
 * only, then beat the strip paths, which multiply the padding too (the input gradient;
 * the forward KxK path skips those taps itself). (Counting live
 * (tap, pixel) pairs instead sent 3x3/4x4 maps to the generic loops too: slower there.) */
MDY_ALWAYS_INLINE int mdy_conv_mostly_padding(const mdy_conv_params_t *p)
{
    if (p->dil_h == 1u && p->dil_w == 1u) {
        return 0; /* undilated: the tiny/stem paths skip padded taps themselves */
    }
    const uint32_t taps = (uint32_t)p->k_h * p->k_w;
    uint32_t live = 0;
    for (uint32_t k = 0; k < taps; ++k) {
        mdy_conv_tap_t t;
        mdy_conv_tap(p, (int32_t)(k / p->k_w), (int32_t)(k % p->k_w), &t);
        live += t.oh_lo < t.oh_hi && t.ow_lo < t.ow_hi;
    }
    return 2u * live < taps;
}

/* Paths of mdy_conv2d_f32 (one file each; same contract as mdy_conv2d_f32, each for
 * the shapes its dispatcher sends it). */
void mdy_conv_pointwise_f32(const float *in, const mdy_conv_params_t *p, const float *w,
                            const float *bias, float *out);
/* Returns 0 without touching `out` when a row strip does not fit its stack buffer. */
int mdy_conv_kxk_f32(const float *in, const mdy_conv_params_t *p, const float *w,
                     const float *bias, float *out);
/* Dense conv with out_w < 4 and at most 16 output pixels as a GEMM over an im2col copy
 * (stack buffer); returns 0 without touching `out` when the shape does not qualify. */
int mdy_conv_im2col_f32(const float *in, const mdy_conv_params_t *p, const float *w,
                        const float *bias, float *out);

void mdy_conv_pointwise_input_grad_f32(const float *dout, const mdy_conv_params_t *p,
                                       const float *w, float *din);
void mdy_conv_pointwise_weight_grad_f32(const float *saved, const uint16_t *channels,
                                        uint32_t n_sel, const float *dout,
                                        const mdy_conv_params_t *p, float *dw_slices);

/* 1x1, stride 1, unpadded, same spatial size: the pointwise paths apply. */
MDY_ALWAYS_INLINE int mdy_is_pointwise(const mdy_conv_params_t *p)
{
    return p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 &&
           p->pad_top == 0 && p->pad_left == 0 && p->in_h == p->out_h && p->in_w == p->out_w;
}

/* Returns 0 (nothing written) when the shape is not stride-1 depthwise 3/5/7. */
int mdy_conv_depthwise_input_grad_f32(const float *dout, const mdy_conv_params_t *p,
                                      const float *w, float *din);
int mdy_conv_depthwise_f32(const float *in, const mdy_conv_params_t *p, const float *w,
                           const float *bias, float *out);
/* Depthwise on N x N maps with N <= 4 (3x3: also 8, stride 2: 5..7) and same padding
 * (called by the above first); returns 0 (nothing written) when no compile-time
 * instance matches the shape. */
int mdy_conv_depthwise_tiny_f32(const float *in, const mdy_conv_params_t *p, const float *w,
                                const float *bias, float *out);

/* Zero-padded copy of input rows [ih0, ih0 + rows) x columns [iw0, iw0 + pw) of a
 * plane into buf [rows][pw] (positions outside the plane read 0). */
void mdy_copy_padded_rows(float *buf, const float *plane, int32_t in_h, int32_t in_w,
                          int32_t ih0, uint32_t rows, int32_t iw0, uint32_t pw);

/* rows x cols floats from src (row stride src_w) into dst (row stride pw). */
void mdy_copy_rect(float *dst, const float *src, uint32_t src_w, uint32_t pw, uint32_t rows,
                   uint32_t cols);

/* Stack buffer (floats) of the strip-buffered conv paths: 2 KiB. */
#define MDY_CONV_STRIP_FLOATS 512u

#endif /* MEDYATE_INTERNAL_H */
