/*
 * The staged model input. A model whose int8 backbone starts at its input
 * (MDY_MODEL_INPUT_S8) takes the sample as int8: it is staged at 1 byte per element,
 * arrives quantized already (ENC_S8, quantized on the host exactly as the model's own
 * quantize step would) or is quantized here element by element with the model's
 * model_quantize_input, so no float copy of a sample exists on the device. Other
 * models stage float32.
 */
#include "sample_input.h"

#include "app.h"
#include "frame.h"

#if defined(MDY_MODEL_INPUT_S8) && MDY_MODEL_INPUT_S8
#define INPUT_S8 1
typedef int8_t staged_t;
#else
#define INPUT_S8 0
typedef float staged_t;
#endif

/* room for a layer's channel norms (tensors are read a window at a time, no copy) */
#define TENSOR_SCRATCH_ELEMS MDY_MODEL_TOTAL_CHANNELS

/* The staged input and the read-back scratch are never needed at the same time. */
static union {
    staged_t input[MDY_MODEL_INPUT_ELEMS];
    float tensor[TENSOR_SCRATCH_ELEMS];
} scratch;

static float affine_scale[MDY_MODEL_INPUT_C];
static float affine_offset[MDY_MODEL_INPUT_C];

void sample_input_init(void)
{
    for (uint32_t c = 0; c < MDY_MODEL_INPUT_C; ++c) {
        affine_scale[c] = 1.0f;
        affine_offset[c] = 0.0f;
    }
}

uint16_t sample_encodings(void)
{
    return (uint16_t)((1u << ENC_F32) | (1u << ENC_U8) | (INPUT_S8 ? 1u << ENC_S8 : 0u));
}

int sample_encoding_ok(uint32_t encoding)
{
    return encoding < 16u && ((sample_encodings() >> encoding) & 1u);
}

uint32_t sample_element_bytes(uint8_t encoding)
{
    return encoding == ENC_F32 ? 4u : 1u;
}

void sample_set_affine(uint32_t channel, float scale, float offset)
{
    affine_scale[channel] = scale;
    affine_offset[channel] = offset;
}

static void stage(uint32_t element, float x)
{
#if INPUT_S8
    model_quantize_input(&x, 1u, &scratch.input[element]);
#else
    scratch.input[element] = x;
#endif
}

void sample_decode(const uint8_t *src, uint8_t encoding, uint32_t first, uint32_t count)
{
    const mdy_model_info_t *info = model_info();
    const uint32_t plane = info->input_h * info->input_w;
    for (uint32_t i = 0; i < count; ++i) {
        const uint32_t element = first + i;
        if (encoding == ENC_F32) {
            stage(element, get_f32(src + 4 * i));
        } else if (encoding == ENC_U8) {
            const uint32_t channel = element / plane;
            stage(element, (float)src[i] * affine_scale[channel] + affine_offset[channel]);
        } else {
#if INPUT_S8
            scratch.input[element] = (int8_t)src[i];    /* ENC_S8: offered only here */
#endif
        }
    }
}

int sample_train(uint32_t label, float *loss, float *logits)
{
#if INPUT_S8
    return model_train_sample_s8(scratch.input, label, loss, logits);
#else
    return model_train_sample(scratch.input, label, loss, logits);
#endif
}

void sample_forward(float *logits)
{
#if INPUT_S8
    model_forward_s8(scratch.input, logits);
#else
    model_forward(scratch.input, logits);
#endif
}

float *sample_tensor_scratch(void)
{
    return scratch.tensor;
}
