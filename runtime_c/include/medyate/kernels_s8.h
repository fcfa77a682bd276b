/*
 * medyate int8 kernels: the frozen backbone below the deepest trainable layer.
 *
 * Layouts are the float kernels' (kernels.h): activations int8 CHW, conv weights int8
 * [O][I/groups][KH][KW], gemm weights int8 [O][I]. Activations are asymmetric int8
 * (real = scale * (q - zero_point), one scale per tensor); weights symmetric int8 per
 * output channel; bias int32 per output channel in units of in_scale * w_scale[o].
 * Accumulation is int32; requantization is gemmlowp's / TFLite Micro's / CMSIS-NN's
 * fixed-point MultiplyByQuantizedMultiplier (mdy_requantize_s32). Fused ReLU/ReLU6 are
 * the [act_min, act_max] clamp in the quantized domain. The numpy oracle with the same
 * bits is codegen/int8_math.py + codegen/ops/qint8.py. No kernel needs scratch.
 *
 * On cores with the DSP extension (__ARM_FEATURE_DSP: Cortex-M4/M7/M33...) conv and
 * gemm run dual 16-bit MACs (SMLAD on SXTB16-expanded weights, activations offset by
 * their zero point into int16 stack buffers of at most 2 KiB, the size of the generic
 * path's accumulator row); other cores run the same data layout in plain C. Results are
 * bit-identical either way (int32 accumulation is exact).
 */
#ifndef MEDYATE_KERNELS_S8_H
#define MEDYATE_KERNELS_S8_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Requantization of one conv/gemm: out = clamp(requant(acc, mult[o], shift[o]) + out_zp,
 * act_min, act_max); the input's zero point is subtracted from every input tap (so
 * padding reads as real 0). */
typedef struct {
    int32_t in_zp, out_zp;
    int32_t act_min, act_max;
    const int32_t *mult;   /* Q31 multiplier per output channel */
    const int32_t *shift;  /* its power-of-two exponent (> 0: left shift) */
} mdy_s8_requant_t;

/* Residual add with rescaling (TFLite's int8 Add): each side (q - zp) << left_shift is
 * brought to a common scale by its multiplier, the sum to the output scale. */
typedef struct {
    int32_t zp_a, zp_b, zp_out;
    int32_t mult_a, shift_a, mult_b, shift_b, mult_out, shift_out;
    int32_t left_shift;
    int32_t act_min, act_max;
} mdy_add_s8_params_t;

/* MultiplyByQuantizedMultiplier(acc, mult, shift): rounding right shift of the
 * saturating rounding doubling high product of (acc << max(shift, 0)) and mult. The
 * left shift saturates to int32 (the reference overflows there). */
int32_t mdy_requantize_s32(int32_t acc, int32_t mult, int32_t shift);

/* out[i] = clamp(roundf(x[i] * inv_scale) + zp, -128, 127) (round half away from 0). */
void mdy_quantize_s8(const float *x, uint32_t n, float inv_scale, int32_t zp, int8_t *out);

/* out[i] = (float)(q[i] - zp) * scale: where the int8 region hands over to float. */
void mdy_dequantize_s8(const int8_t *q, uint32_t n, float scale, int32_t zp, float *out);

/* Convolution, any kernel/stride/padding/dilation/groups (pointwise, depthwise and
 * KxK); p->act_min/act_max (float) are ignored: q carries the int8 clamp. bias may be
 * NULL. out [out_c][out_h][out_w] overwritten. */
void mdy_conv2d_s8(const int8_t *in, const mdy_conv_params_t *p, const mdy_s8_requant_t *q,
                   const int8_t *w, const int32_t *bias, int8_t *out);

/* Fully connected: out[o] = requant(bias[o] + sum_f (x[f] - in_zp) w[o][f]). */
void mdy_gemm_s8(const int8_t *x, uint32_t in_f, uint32_t out_f, const int8_t *w,
                 const int32_t *bias, const mdy_s8_requant_t *q, int8_t *out);

/* The same layer with its bias and requantization prepared once (mdy_gemm_s8_prepare,
 * or the compiler's constant table): rq is [out_f][4] int32 {bias, mult, k, sh}, the
 * last row flagged (MDY_GEMM_S8_RQ_LAST in sh). q->in_zp, act_min and act_max are read,
 * q->mult and q->shift are not. Bit-identical with mdy_gemm_s8 for any in_f >= 1; the
 * fast path is MDY_GEMM_S8_RQ_MIN_IN_F <= in_f <= MDY_GEMM_S8_RQ_MAX_IN_F (small
 * classifiers, where the per-channel requantization setup outweighed the dot product),
 * other widths take a plain loop: call mdy_gemm_s8 for them. */
#define MDY_GEMM_S8_RQ_MIN_IN_F 4u
#define MDY_GEMM_S8_RQ_MAX_IN_F 12u
#define MDY_GEMM_S8_RQ_LAST 0x100
void mdy_gemm_s8_rq(const int8_t *x, uint32_t in_f, uint32_t out_f, const int8_t *w,
                    const int32_t *rq, const mdy_s8_requant_t *q, int8_t *out);

/* Fills rq ([out_f][4] int32) for mdy_gemm_s8_rq; bias may be NULL. Returns 1, or 0 when
 * out_f is 0 or a channel is off the table's requantization (mult < 0, or a right shift
 * -shift[o] outside [2, 23], i.e. a real multiplier of 1/4 or more or below 2^-24), and
 * then rq is untouched and mdy_gemm_s8 is the kernel to call. */
int mdy_gemm_s8_prepare(const int32_t *bias, const int32_t *mult, const int32_t *shift,
                        int32_t out_zp, uint32_t out_f, int32_t *rq);

/* out = a + b with rescaling (see mdy_add_s8_params_t); n elements. */
void mdy_add_s8(const int8_t *a, const int8_t *b, uint32_t n, const mdy_add_s8_params_t *p,
                int8_t *out);

/* Max pool (scale kept); padding never wins, a window of padding only writes zp. */
void mdy_maxpool2d_s8(const int8_t *in, const mdy_pool_params_t *p, int32_t zp, int8_t *out);

/* Average pool (scale kept): zp + round(sum(q - zp) / count), rounding half away from
 * zero as TFLite's pooling; count as mdy_avgpool2d_f32 (count_include_pad). */
void mdy_avgpool2d_s8(const int8_t *in, const mdy_pool_params_t *p, int32_t zp, int8_t *out);

/* Global average over hw per channel (scale kept), same rounding. */
void mdy_global_avgpool_s8(const int8_t *in, uint32_t c, uint32_t hw, int32_t zp, int8_t *out);

/* out[i] = clamp(in[i], lo, hi): a standalone ReLU/ReLU6 in the quantized domain. */
void mdy_clamp_s8(const int8_t *in, uint32_t n, int32_t lo, int32_t hi, int8_t *out);

#ifdef __cplusplus
}
#endif
#endif /* MEDYATE_KERNELS_S8_H */
