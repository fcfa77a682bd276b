/*
 * The interface every generated model implements (`medyate compile` writes model.c /
 * model.h behind it) and the device application calls. One sample at a time; a batch
 * is accumulated by calling model_train_sample() several times, then
 * model_apply_update(). All storage is static: one arena, no malloc.
 *
 * Trainable layers are numbered 0..num_layers-1 in plan order. A schedule gives, per
 * layer, a list of input channels to train; the saved activation planes and weight
 * gradient slices of those channels are laid out at run time inside the channel pool.
 */
#ifndef MEDYATE_MODEL_API_H
#define MEDYATE_MODEL_API_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    MDY_OK = 0,
    MDY_ERR_POOL = 1,      /* schedule needs more bytes than the channel pool holds */
    MDY_ERR_RANGE = 2,     /* channel or layer index out of range, or a duplicate */
    MDY_ERR_LABEL = 3,     /* label >= num_classes */
    MDY_ERR_STATE = 4      /* call out of order (e.g. no schedule set) */
};

typedef struct {
    const char *weight_name;       /* ONNX initializer name of the weight */
    const char *bias_name;         /* ONNX name the bias gradient maps to, or "" */
    uint32_t in_channels;          /* schedulable input channels */
    uint32_t out_channels;
    uint32_t weight_elems;         /* dense weight size (IR layout) */
    uint32_t slice_elems;          /* weight-gradient slice per channel */
    uint32_t plane_elems;          /* saved activation per channel */
    uint32_t channel_cost_bytes;   /* 4 * (slice_elems + plane_elems) */
    uint8_t trains_bias;
    uint8_t kind;                  /* 0 = conv, 1 = gemm */
} mdy_layer_info_t;

typedef struct {
    const char *model_hash;        /* hex digest of the ONNX model + plan */
    uint32_t input_c, input_h, input_w;
    uint32_t num_classes;
    uint32_t num_layers;
    const mdy_layer_info_t *layers;
    uint32_t arena_bytes;          /* the static arena (includes the channel pool) */
    uint32_t channel_pool_bytes;
} mdy_model_info_t;

const mdy_model_info_t *model_info(void);

/* counts[l] channels for layer l; channels = the lists concatenated in layer order.
 * Rejects (MDY_ERR_POOL / MDY_ERR_RANGE) without changing the current schedule.
 * Zeroes all gradient accumulators and channel-norm statistics. */
int model_set_schedule(const uint16_t *counts, const uint16_t *channels);

/* model_set_schedule plus output-channel slots (NEq-style neurons): out_counts[l] output
 * channels of layer l, out_channels = those lists concatenated in layer order (both NULL:
 * none). A scheduled output channel o trains its whole weight row W[o] (and reads back
 * as that row); a layer with any output slot saves its whole input, so it needs
 * 4 * (input elements + out_counts[l] * row elements) pool bytes on top of its input
 * channels. A layer may have input-channel and output-channel slots at once. */
int model_set_schedule_ex(const uint16_t *counts, const uint16_t *channels,
                          const uint16_t *out_counts, const uint16_t *out_channels);

/* Inference only: logits[num_classes]. */
int model_forward(const float *input, float *logits);

/* Forward + loss + sparse backward for one sample; ACCUMULATES gradients of the
 * scheduled channels and trained biases. loss and logits may be NULL. */
int model_train_sample(const float *input, uint32_t label, float *loss, float *logits);

/* Models whose int8 backbone starts at the input (model.h: MDY_MODEL_INPUT_S8 1) also
 * take a sample quantized already, at 1 byte per element (the int8 input's scale and
 * zero point), and quantize float values for the caller; others do not define these. */
int model_forward_s8(const int8_t *input, float *logits);
int model_train_sample_s8(const int8_t *input, uint32_t label, float *loss, float *logits);
void model_quantize_input(const float *x, uint32_t count, int8_t *q);

/* SGD step with the mean of the accumulated gradients over `batch` samples:
 * w -= lr * grad_sum / batch on exactly the scheduled slices and trained biases.
 * Adds each scheduled channel's gradient norm (of that mean) to the norm statistics,
 * then zeroes the accumulators. */
int model_apply_update(float lr, uint32_t batch);

/* Discard accumulated gradients without updating. */
void model_zero_grad(void);

/* Read back a layer's tensors in IR layout ([O][I/g][KH][KW] or [O][I]) a window at a
 * time, straight into the caller's buffer (no dense copy, so no scratch of the size of
 * the largest weight): elements [first, first + count) of `kind`. The weight gradient is
 * the dense accumulated gradient, zeros outside the scheduled channels; the bias and its
 * gradient exist only where the plan trains the bias. Returns the elements copied (fewer
 * at the end, 0 past it or for a tensor the layer does not have). */
enum {
    MDY_TENSOR_WEIGHT = 0,
    MDY_TENSOR_BIAS = 1,
    MDY_TENSOR_WEIGHT_GRAD = 2,
    MDY_TENSOR_BIAS_GRAD = 3
};
uint32_t model_tensor_elems(uint32_t layer, uint32_t kind);
uint32_t model_read_tensor(uint32_t layer, uint32_t kind, uint32_t first, uint32_t count,
                           float *dst);
/* Overwrites elements first..first+count-1 of a layer's weight or bias (kinds 0, 1; a
 * resumed run restores its last finished epoch). Returns count, or 0 if out of range. */
uint32_t model_write_tensor(uint32_t layer, uint32_t kind, uint32_t first, uint32_t count,
                            const float *src);

/* Sum over updates since the last model_set_schedule() of each scheduled channel's
 * gradient norm, in schedule order (counts[layer] values). Returns the count. */
uint32_t model_get_channel_norms(uint32_t layer, float *norms);
uint32_t model_num_updates(void);

/* Restore the weights compiled into the image (undo all training). */
void model_reset_weights(void);

#ifdef __cplusplus
}
#endif
#endif /* MEDYATE_MODEL_API_H */
