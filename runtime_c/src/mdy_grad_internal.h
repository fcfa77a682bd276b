/*
 * Private declarations of the gradient fast paths (src/paths/mdy_conv_*_grad_*.c).
 * Kept apart from mdy_internal.h (the forward paths' header) so both can grow
 * independently; everything here is internal, not part of the public ABI.
 */
#ifndef MEDYATE_GRAD_INTERNAL_H
#define MEDYATE_GRAD_INTERNAL_H

#include "mdy_internal.h"

/* floor(a / b) for b > 0 (C division truncates towards zero). */
MDY_ALWAYS_INLINE int32_t mdy_floor_div(int32_t a, int32_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Most taps (k_h * k_w) the table-driven gradient paths take (9x9); larger windows
 * run the generic per-tap loops. */
#define MDY_GRAD_MAX_TAPS 81u

/* Input gradient of any non-pointwise conv (any K, stride, dilation, padding,
 * groups) by stride phases on a zero-padded strip of dout: same contract as
 * mdy_conv2d_input_grad_f32. Returns 0 (nothing written) when the window has more
 * than MDY_GRAD_MAX_TAPS taps or one strip row does not fit the strip buffer. */
int mdy_conv_kxk_input_grad_f32(const float *dout, const mdy_conv_params_t *p,
                                const float *w, float *din);

/* Input gradient of a non-depthwise conv with fewer than 4 input channels per group
 * (the stems), or strided with >= 8 outputs per group or on <= 16 output pixels; any
 * K, stride, dilation, padding: a GEMM of 4 pixels x 4 window taps over the output
 * channels, then a scatter into din. Same contract as mdy_conv2d_input_grad_f32;
 * returns 0 (nothing written) for other shapes, icpg * k_h * k_w < 4, or fewer than 4
 * output pixels. */
int mdy_conv_cols_input_grad_f32(const float *dout, const mdy_conv_params_t *p,
                                 const float *w, float *din);

/* Weight gradient of any non-pointwise conv on a zero-padded strip of each saved
 * plane: same contract as mdy_conv2d_weight_grad_f32. Returns 0 (nothing written)
 * when the window has more than MDY_GRAD_MAX_TAPS taps or one output row's input rows
 * do not fit the strip buffer. */
int mdy_conv_kxk_weight_grad_f32(const float *saved, const uint16_t *channels,
                                 uint32_t n_sel, const float *dout,
                                 const mdy_conv_params_t *p, float *dw_slices);

/* Depthwise 3x3 stride 1, 5x5/7x7 stride 2, "same" padding (K/2): the input gradient by stride
 * phases with compile-time taps. Returns 0 (nothing written) when the shape does not
 * qualify or one strip row does not fit the strip buffer. */
int mdy_conv_depthwise_phase_input_grad_f32(const float *dout, const mdy_conv_params_t *p,
                                            const float *w, float *din);

/* Depthwise 3x3 stride 2, pad_top == pad_left == 1, out >= ceil(in / 2): 2x2 din blocks
 * with fixed taps read straight from dout, any map size. Returns 0 (nothing written)
 * when the shape does not qualify. */
int mdy_conv_depthwise_k3s2_input_grad_f32(const float *dout, const mdy_conv_params_t *p,
                                           const float *w, float *din);

/* Depthwise 3/5/7, stride 1 (pad_top/pad_left <= K - 1) or 2 (padding K/2; not 3x3), on
 * maps whose zero-padded dout rows fit a fixed row stride (3x3: up to 32 wide, in strips
 * of rows; 5x5/7x7: 16 floats, whole planes): the plane is zeroed once per call, each
 * channel copies only its interior, every tap is an immediate offset. Returns 0 (nothing
 * written) when the shape does not qualify. */
int mdy_conv_depthwise_plane_input_grad_f32(const float *dout, const mdy_conv_params_t *p,
                                            const float *w, float *din);

/* Depthwise 3/5/7 (and 3x3 with any groups when the output is at most 2x2), stride 1 or
 * 2, "same" padding (K/2) on tiny square maps (N <= 4; 3x3 stride 2 also N = 8, weight
 * gradient only):
 * compile-time instances with no strip copy, padded taps
 * emit no code. Same contracts as the public gradients; return 0 (nothing written)
 * when no instance matches. */
int mdy_conv_tiny_input_grad_f32(const float *dout, const mdy_conv_params_t *p,
                                 const float *w, float *din);
int mdy_conv_tiny_weight_grad_f32(const float *saved, const uint16_t *channels,
                                  uint32_t n_sel, const float *dout,
                                  const mdy_conv_params_t *p, float *dw_slices);

/* Depthwise weight gradient, square 3/5/7 window, stride 1 or 2, no dilation, any
 * padding: a 1D correlation over flattened zero-padded strips of x and dout. Same
 * contract as mdy_conv2d_weight_grad_f32; returns 0 (nothing written) when the shape
 * does not qualify or one output row's strip does not fit the strip buffer. */
int mdy_conv_depthwise_weight_grad_f32(const float *saved, const uint16_t *channels,
                                       uint32_t n_sel, const float *dout,
                                       const mdy_conv_params_t *p, float *dw_slices);

#endif /* MEDYATE_GRAD_INTERNAL_H */
