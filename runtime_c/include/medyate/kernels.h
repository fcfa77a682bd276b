/*
 * medyate runtime kernels: float32, one sample at a time, no malloc.
 *
 * Layouts (per sample, batch streamed one sample at a time):
 *   activation  CHW, contiguous: x[c * H * W + h * W + w]
 *   conv weight [O][I/groups][KH][KW] (ONNX order after BN folding)
 *   gemm weight [O][I] (y = W x + b)
 *
 * Sparse-channel backward: a trainable layer trains, this epoch, a LIST of input
 * channels `channels[0..n_sel)` (any order, no duplicates). The forward pass saves
 * only those channels' input planes, packed in list order:
 *     saved[j * H * W ...]  = plane of input channel channels[j]
 * and the weight gradient is accumulated into per-channel slices, packed in list
 * order, each slice holding every weight that reads that input channel:
 *     conv:  slice j = dW[o][c % icpg][kh][kw] for the group's output channels o,
 *            layout [o_local][kh][kw], length (O / groups) * KH * KW
 *     gemm:  slice j = dW[o][c] for all o, layout [o], length O
 * Kernels named *_grad_* ACCUMULATE (+=) into their outputs unless documented otherwise
 * so a batch is the sum of its samples; callers zero the accumulators.
 *
 * Every kernel that needs scratch memory takes a caller-owned `scratch` pointer whose
 * size in bytes is returned by the matching *_scratch_size() companion (CMSIS-NN style).
 */
#ifndef MEDYATE_KERNELS_H
#define MEDYATE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ parameters */

typedef struct {
    uint16_t in_c, in_h, in_w;
    uint16_t out_c, out_h, out_w;
    uint16_t k_h, k_w;
    uint16_t stride_h, stride_w;
    uint16_t pad_top, pad_left;       /* bottom/right padding is implied by out_h/out_w */
    uint16_t dil_h, dil_w;
    uint16_t groups;
    float act_min, act_max;           /* fused clamp on the output; -INF/+INF for none */
} mdy_conv_params_t;

typedef struct {
    uint16_t c, in_h, in_w, out_h, out_w;
    uint16_t k_h, k_w, stride_h, stride_w, pad_top, pad_left;
    uint8_t count_include_pad;        /* average pool only */
} mdy_pool_params_t;

/* ------------------------------------------------------------------ forward */

/* out = clamp(conv(in, w) + bias). bias may be NULL. Dispatches internally to fast
 * paths: 1x1 stride-1 unpadded pointwise; depthwise (groups == in_c == out_c) 3x3/5x5/7x7
 * stride 1/2; generic otherwise. */
void mdy_conv2d_f32(const float *in, const mdy_conv_params_t *p, const float *w,
                    const float *bias, float *out);

/* out[o] = clamp(sum_i w[o*in_f + i] * in[i] + bias[o]). bias may be NULL. */
void mdy_gemm_f32(const float *in, uint32_t in_f, uint32_t out_f, const float *w,
                  const float *bias, float act_min, float act_max, float *out);

/* In place: x[i] = min(max(x[i], lo), hi). ReLU: lo = 0, hi = +INF. */
void mdy_clamp_f32(float *x, uint32_t n, float lo, float hi);

/* out[i] = a[i] + b[i] (out may alias a or b). */
void mdy_add_f32(const float *a, const float *b, float *out, uint32_t n);

/* Frozen per-channel affine (BatchNormalization not foldable into a conv):
 * out[c][i] = x[c][i] * scale[c] + shift[c]. out may alias x. */
void mdy_channel_affine_f32(const float *x, uint32_t c, uint32_t hw, const float *scale,
                            const float *shift, float *out);

/* Max pool; padding never wins. argmax may be NULL; if not, argmax[o] = index inside
 * the k_h x k_w window (kh * k_w + kw) of the maximum, for the backward pass. */
void mdy_maxpool2d_f32(const float *in, const mdy_pool_params_t *p, float *out,
                       uint8_t *argmax);
void mdy_avgpool2d_f32(const float *in, const mdy_pool_params_t *p, float *out);
/* out[c] = mean over the c-th H*W plane. */
void mdy_global_avgpool_f32(const float *in, uint32_t c, uint32_t hw, float *out);

/* Copy the planes of the listed channels, packed in list order (the saved activation). */
void mdy_gather_planes_f32(const float *in, uint32_t plane, const uint16_t *channels,
                           uint32_t n_sel, float *saved);

/* ------------------------------------------------------------------ loss */

/* Softmax cross-entropy of one sample. Returns the loss (natural log). If dlogits is
 * not NULL writes dlogits = (softmax(logits) - onehot(label)) * scale (overwrites). */
float mdy_softmax_xent_f32(const float *logits, uint32_t n, uint32_t label, float scale,
                           float *dlogits);

/* ------------------------------------------------------------------ backward */

/* 1-bit mask of where a clamp passes the gradient: bit i = (lo < y[i] < hi), computed
 * from the clamp's OUTPUT y. mask has (n + 7) / 8 bytes, bit i in byte i/8, bit i%8. */
void mdy_clamp_mask_f32(const float *y, uint32_t n, float lo, float hi, uint8_t *mask);
/* In place: g[i] = bit i of mask ? g[i] : 0. */
void mdy_mask_apply_f32(float *g, const uint8_t *mask, uint32_t n);

/* din = conv_transpose(dout, w): the input gradient of mdy_conv2d_f32 (before the
 * fused clamp: apply the clamp mask to dout first). OVERWRITES din. Any groups. */
void mdy_conv2d_input_grad_f32(const float *dout, const mdy_conv_params_t *p,
                               const float *w, float *din);

/* Accumulate the weight gradient slices of the listed input channels (see layout at
 * the top) from their saved planes and dout (C_out x out_h x out_w). */
void mdy_conv2d_weight_grad_f32(const float *saved, const uint16_t *channels,
                                uint32_t n_sel, const float *dout,
                                const mdy_conv_params_t *p, float *dw_slices);

/* din[i] = sum_o w[o*in_f + i] * dout[o]. OVERWRITES din. */
void mdy_gemm_input_grad_f32(const float *dout, const float *w, uint32_t in_f,
                             uint32_t out_f, float *din);
/* dw_slices[j * out_f + o] += saved[j] * dout[o], saved[j] = in[channels[j]]. */
void mdy_gemm_weight_grad_f32(const float *saved, uint32_t n_sel, const float *dout,
                              uint32_t out_f, float *dw_slices);

/* db[c] += sum over the c-th plane of dout (hw = 1 for gemm). */
void mdy_bias_grad_f32(const float *dout, uint32_t c, uint32_t hw, float *db);

/* dx[c][i] = dy[c][i] * scale[c]. OVERWRITES dx (may alias dy). */
void mdy_channel_affine_grad_f32(const float *dy, uint32_t c, uint32_t hw,
                                 const float *scale, float *dx);

/* din = scatter of dout to the argmax positions (accumulating overlaps). OVERWRITES din. */
void mdy_maxpool2d_grad_f32(const float *dout, const uint8_t *argmax,
                            const mdy_pool_params_t *p, float *din);
/* din = average-pool backward. OVERWRITES din. */
void mdy_avgpool2d_grad_f32(const float *dout, const mdy_pool_params_t *p, float *din);
/* din[c][i] = dout[c] / hw. OVERWRITES din. */
void mdy_global_avgpool_grad_f32(const float *dout, uint32_t c, uint32_t hw, float *din);

/* ------------------------------------------------------------------ update */

/* Per-channel L2 norms of the slices: norms[j] += || slice j ||_2 (slice_len floats). */
void mdy_slice_norms_f32(const float *slices, uint32_t n_sel, uint32_t slice_len,
                         float *norms);

/* SGD on exactly the touched weights of a conv layer:
 *   w[o][c % icpg][kh][kw] -= lr * gscale[o] * slice_j[o_local][kh][kw]
 * for every listed channel c = channels[j]. gscale may be NULL (1). gscale carries the
 * square of a folded BatchNorm's per-output scale, so that the step equals SGD on the
 * weight as it stands in the ONNX file. */
void mdy_sgd_conv_slices_f32(float *w, const mdy_conv_params_t *p, const uint16_t *channels,
                             uint32_t n_sel, const float *dw_slices, float lr,
                             const float *gscale);
/* Same for gemm: w[o][c] -= lr * gscale[o] * slice_j[o]. */
void mdy_sgd_gemm_slices_f32(float *w, uint32_t in_f, uint32_t out_f,
                             const uint16_t *channels, uint32_t n_sel,
                             const float *dw_slices, float lr, const float *gscale);
/* Dense SGD step: x[i] -= lr * gscale[i] * g[i] (bias). gscale may be NULL. */
void mdy_sgd_dense_f32(float *x, const float *g, uint32_t n, float lr, const float *gscale);

/* ------------------------------------------------------------------ output-channel rows
 * NEq-style neurons: a scheduled output channel o trains its whole weight row W[o]
 * ([I/g][KH][KW] for conv, [I] for gemm) from the layer's whole saved input. Rows are
 * packed in list order: dw_rows[j] is the row of outs[j]. */

/* dw_rows[j][ci][kh][kw] += dW[outs[j]][ci][kh][kw] of mdy_conv2d_f32 (any groups). */
void mdy_conv2d_weight_grad_rows_f32(const float *in, const uint16_t *outs, uint32_t n_out,
                                     const float *dout, const mdy_conv_params_t *p,
                                     float *dw_rows);
/* dw_rows[j * in_f + i] += dout[outs[j]] * in[i]. */
void mdy_gemm_weight_grad_rows_f32(const float *in, uint32_t in_f, const uint16_t *outs,
                                   uint32_t n_out, const float *dout, float *dw_rows);
/* w[outs[j]][i] -= lr * gscale[outs[j]] * dw_rows[j][i] (row_len floats a row;
 * gscale may be NULL). */
void mdy_sgd_rows_f32(float *w, uint32_t row_len, const uint16_t *outs, uint32_t n_out,
                      const float *dw_rows, float lr, const float *gscale);

/* Scatter slices into a dense weight-gradient tensor (zeros elsewhere; OVERWRITES).
 * Used to read gradients back for checking (`medyate grad`). */
void mdy_conv_slices_to_dense_f32(const float *dw_slices, const uint16_t *channels,
                                  uint32_t n_sel, const mdy_conv_params_t *p, float *dw);
void mdy_gemm_slices_to_dense_f32(const float *dw_slices, const uint16_t *channels,
                                  uint32_t n_sel, uint32_t in_f, uint32_t out_f, float *dw);

/* ------------------------------------------------------------------ compression (asi)
 *
 * A compressed saved activation (docs/compression.md): the block of one sample for one
 * layer is A[j][y][x] = act[channels[j] * h * w + y * w + x] (j < n_sel), read straight
 * from the layer's input activation `act` (C x h x w; a gemm input is (C, 1, 1)). It is
 * stored as a Tucker tensor A ~= core x1 u1 x2 u2 x3 u3 with orthonormal factors, all
 * row-major: u1 [n_sel][k1], u2 [h][k2], u3 [w][k3], core [k1][k2][k3]; k_n <= mode size.
 * The factors live in the channel pool between the forward save and the weight gradient;
 * they are also the warm start of the next sample's subspace iteration.
 */
typedef struct {
    float *u1, *u2, *u3, *core;
    uint32_t n_sel, h, w;         /* block shape */
    uint32_t k1, k2, k3;          /* ranks (k1 = 0: empty block, nothing stored) */
} mdy_tucker_t;

/* In place: modified Gram-Schmidt (each column orthogonalised twice) of the k columns
 * of u [rows][k] (k <= rows). A column that keeps less than 1e-3 of its norm (or is
 * zero) is replaced by the first unit vector e_r whose residual against the previous
 * columns has squared norm > 0.5 / rows, so the result is always orthonormal. */
void mdy_orthonormalize_f32(float *u, uint32_t rows, uint32_t k);

/* The deterministic start of a subspace iteration: u [rows][k] = orthonormalised
 * hash values ((h >> 8) * 2^-24 - 0.5 of a 32-bit hash of (row, column, seed)); the
 * reference executor computes the same numbers (codegen/compression.py). */
void mdy_orthonormal_start_f32(float *u, uint32_t rows, uint32_t k, uint32_t seed);

/* `iterations` warm-started orthogonal iterations for mode `mode` (0 channel, 1 height,
 * 2 width) of the block: U <- orth(A_(mode) A_(mode)^T U), U = t->u1/u2/u3 (rows =
 * n_sel/h/w, k = k1/k2/k3), updated in place. Streams over the fibres of the unfolding,
 * never forming A^T U. scratch: mdy_subspace_iter_f32_scratch_size(rows, k) bytes. */
void mdy_subspace_iter_f32(const float *act, const uint16_t *channels, const mdy_tucker_t *t,
                           uint32_t mode, uint32_t iterations, void *scratch);
size_t mdy_subspace_iter_f32_scratch_size(uint32_t rows, uint32_t k);

/* t->core = A x1 u1^T x2 u2^T x3 u3^T (OVERWRITES the core), one channel plane at a time.
 * scratch: mdy_tucker_core_f32_scratch_size(h, k2, k3) bytes. */
void mdy_tucker_core_f32(const float *act, const uint16_t *channels, const mdy_tucker_t *t,
                         void *scratch);
size_t mdy_tucker_core_f32_scratch_size(uint32_t h, uint32_t k2, uint32_t k3);

/* mdy_conv2d_weight_grad_f32 on the Tucker block instead of the saved planes, without
 * rebuilding them (the Z-path): per output channel o, Z1 = dout_o contracted with the
 * windowed height factor, Z2 with the windowed width factor, Z3 with the core, and the
 * slices of the selected channels of o's group get u1[j] . Z3 ACCUMULATED. Equals the
 * exact weight gradient of the reconstructed activation. Any groups/stride/dilation.
 * scratch: mdy_conv2d_weight_grad_tucker_f32_scratch_size(p, k1, k2, k3) bytes. */
void mdy_conv2d_weight_grad_tucker_f32(const mdy_tucker_t *t, const uint16_t *channels,
                                       const float *dout, const mdy_conv_params_t *p,
                                       float *dw_slices, void *scratch);
size_t mdy_conv2d_weight_grad_tucker_f32_scratch_size(const mdy_conv_params_t *p, uint32_t k1,
                                                      uint32_t k2, uint32_t k3);

/* Symmetric eigen-decomposition by cyclic Jacobi rotations (at most max_sweeps sweeps):
 * a [n][n] symmetric, DESTROYED; vals [n] descending; vecs [n][n] row-major, the
 * eigenvector of vals[i] in column i. No scratch beyond the caller's arrays. */
void mdy_sym_eig_jacobi_f32(float *a, uint32_t n, uint32_t max_sweeps, float *vals, float *vecs);

/* svd/hosvd on the device: the factor of mode `mode` (0 channel, 1 height, 2 width) of
 * the block from the eigen-decomposition of the Gram matrix of its mode unfolding:
 * factor [rows][K] = top-K eigenvectors, K = smallest rank whose eigenvalue share
 * (explained variance of the squared singular values) reaches eps (0: all-zero block).
 * Returns K (the caller stores it in t->k1/k2/k3). Reads only t's shape (n_sel, h, w).
 * scratch: mdy_eig_factor_f32_scratch_size(rows) bytes = (2 rows^2 + rows) floats. */
uint32_t mdy_eig_factor_f32(const float *act, const uint16_t *channels, const mdy_tucker_t *t,
                            uint32_t mode, float eps, uint32_t max_sweeps, float *factor,
                            void *scratch);
size_t mdy_eig_factor_f32_scratch_size(uint32_t rows);

/* Gemm weight gradient from a (n_sel, 1, 1) Tucker block: saved[j] = sum_a u1[j][a]
 * core[a] u2[0] u3[0]; dw_slices[j * out_f + o] += saved[j] * dout[o]. No scratch. */
void mdy_gemm_weight_grad_tucker_f32(const mdy_tucker_t *t, const float *dout, uint32_t out_f,
                                     float *dw_slices);

/* ---- activations and joins of the common CNN families (issue 12): element-wise ops
 * take n elements; [c][hw] ops one value per channel. Gradients may alias dy. */
void mdy_sigmoid_f32(const float *x, float *y, uint32_t n);
void mdy_sigmoid_grad_f32(const float *dy, const float *y, float *dx, uint32_t n);
void mdy_tanh_f32(const float *x, float *y, uint32_t n);
void mdy_tanh_grad_f32(const float *dy, const float *y, float *dx, uint32_t n);
void mdy_hardsigmoid_f32(const float *x, float *y, uint32_t n, float alpha, float beta);
void mdy_hardsigmoid_grad_f32(const float *dy, const float *x, float *dx, uint32_t n,
                              float alpha, float beta);
void mdy_hardswish_f32(const float *x, float *y, uint32_t n);
void mdy_hardswish_grad_f32(const float *dy, const float *x, float *dx, uint32_t n);
void mdy_leaky_relu_f32(const float *x, float *y, uint32_t n, float alpha);
void mdy_leaky_relu_grad_f32(const float *dy, const float *x, float *dx, uint32_t n, float alpha);
void mdy_prelu_f32(const float *x, const float *slope, float *y, uint32_t c, uint32_t hw);
void mdy_prelu_grad_f32(const float *dy, const float *x, const float *slope, float *dx,
                        uint32_t c, uint32_t hw);
/* out = a * b element-wise (also d a = dy * b). */
void mdy_mul_f32(const float *a, const float *b, float *out, uint32_t n);
/* out[ch][i] = x[ch][i] * s[ch] (squeeze-excitation; also d x = dy * s). */
void mdy_mul_channel_f32(const float *x, const float *s, float *out, uint32_t c, uint32_t hw);
/* ds[ch] = sum_i dy[ch][i] * x[ch][i] (overwritten). */
void mdy_mul_channel_grad_f32(const float *dy, const float *x, float *ds, uint32_t c, uint32_t hw);
/* numpy.transpose of a row-major x with dims[rank] by perm[rank] (rank <= 6); y != x. */
void mdy_transpose_f32(const float *x, float *y, uint32_t rank, const uint32_t *dims,
                       const uint32_t *perm);
/* Zero padding of H and W: x [c][h][w] -> y [c][h+top+bottom][w+left+right]; the
 * gradient copies the interior back. */
void mdy_pad2d_f32(const float *x, uint32_t c, uint32_t h, uint32_t w, uint32_t top,
                   uint32_t left, uint32_t bottom, uint32_t right, float *y);
void mdy_pad2d_grad_f32(const float *dy, uint32_t c, uint32_t h, uint32_t w, uint32_t top,
                        uint32_t left, uint32_t bottom, uint32_t right, float *dx);
/* ONNX LRN across channels, x, y [c][hw] (y != x); the gradient recomputes the
 * denominators from x (dx != dy, x). No scratch. */
void mdy_lrn_f32(const float *x, uint32_t c, uint32_t hw, uint32_t size, float alpha,
                 float beta, float bias, float *y);
void mdy_lrn_grad_f32(const float *dy, const float *x, uint32_t c, uint32_t hw, uint32_t size,
                      float alpha, float beta, float bias, float *dx);
/* Softmax over n values `groups` apart, for each of the groups (forward only). */
void mdy_softmax_f32(const float *x, uint32_t n, uint32_t groups, float *y);
/* out[ch][i] = x[ch][i] + s[ch] (out may alias x). */
void mdy_add_channel_f32(const float *x, const float *s, float *out, uint32_t c, uint32_t hw);
/* out = x / s, s [c][hw] (channel = 0) or [c] (channel = 1); also d x with x = dy. */
void mdy_div_f32(const float *x, const float *s, float *out, uint32_t c, uint32_t hw,
                 uint32_t channel);
/* d s of y = x / s from y: -dy * y / s, summed per channel when channel = 1. */
void mdy_div_grad_f32(const float *dy, const float *y, const float *s, float *ds, uint32_t c,
                      uint32_t hw, uint32_t channel);

#ifdef __cplusplus
}
#endif

#include "medyate/kernels_s8.h"   /* the int8 frozen backbone */
#endif /* MEDYATE_KERNELS_H */
