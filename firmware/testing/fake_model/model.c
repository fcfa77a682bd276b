/*
 * Fake model: x (32) -> h = relu(W0 x + b0) (16) -> z = W1 h + b1 (4), softmax
 * cross-entropy. Both gemms are trainable layers; their "channels" are input features.
 * Scheduled channels save their input value (the "plane", 1 element) and accumulate a
 * weight-gradient slice (out_channels elements) inside the channel pool of the arena,
 * exactly like the generated code does for conv/gemm layers.
 */
#include <math.h>
#include <string.h>

#include "model.h"

enum { IN0 = 32, OUT0 = 16, IN1 = 16, OUT1 = 4, NUM_LAYERS = 2, TOTAL_CHANNELS = IN0 + IN1 };
enum { POOL_BYTES = 1024, ACTIVATION_FLOATS = OUT0 + OUT1 + OUT1 + OUT0 };

static const mdy_layer_info_t layer_table[NUM_LAYERS] = {
    {"fc0.weight", "fc0.bias", IN0, OUT0, IN0 * OUT0, OUT0, 1, 4 * (OUT0 + 1), 1, 1},
    {"fc1.weight", "fc1.bias", IN1, OUT1, IN1 * OUT1, OUT1, 1, 4 * (OUT1 + 1), 1, 1},
};

static const mdy_model_info_t info = {
    "fake-mlp-2x4x4-16-4-v1",
    2, 4, 4,
    OUT1,
    NUM_LAYERS,
    layer_table,
    POOL_BYTES + 4 * ACTIVATION_FLOATS,
    POOL_BYTES,
};

/* One arena: the channel pool, then the activations and their gradients. */
static float arena[POOL_BYTES / 4 + ACTIVATION_FLOATS];
static float *const pool = arena;
static float *const hidden = arena + POOL_BYTES / 4;
static float *const logits_buf = arena + POOL_BYTES / 4 + OUT0;
static float *const dlogits = arena + POOL_BYTES / 4 + OUT0 + OUT1;
static float *const dhidden = arena + POOL_BYTES / 4 + OUT0 + 2 * OUT1;

static float w0[OUT0 * IN0], b0[OUT0], w1[OUT1 * IN1], b1[OUT1];
static float db0[OUT0], db1[OUT1];
static float *const weights[NUM_LAYERS] = {w0, w1};
static float *const biases[NUM_LAYERS] = {b0, b1};
static float *const bias_grads[NUM_LAYERS] = {db0, db1};

typedef struct {
    uint16_t count;
    uint16_t channels[IN0];
    float *planes;   /* count saved inputs, in the pool */
    float *slices;   /* count * out_channels gradient entries, in the pool */
} layer_schedule_t;

static layer_schedule_t schedule[NUM_LAYERS];
static float channel_norm_sums[TOTAL_CHANNELS];
static uint32_t updates;
static int has_schedule;
static int weights_ready;

/* Deterministic initial weights "compiled into the image" (a fixed LCG stream). */
void model_reset_weights(void)
{
    uint32_t state = 12345u;
    for (uint32_t layer = 0; layer < NUM_LAYERS; ++layer) {
        const mdy_layer_info_t *l = &layer_table[layer];
        const float scale = 1.0f / sqrtf((float)l->in_channels);
        for (uint32_t i = 0; i < l->weight_elems; ++i) {
            state = state * 1664525u + 1013904223u;
            weights[layer][i] = scale * ((float)(state >> 8) / 8388608.0f - 1.0f);
        }
        for (uint32_t o = 0; o < l->out_channels; ++o) {
            biases[layer][o] = 0.01f * (float)o;
        }
    }
    weights_ready = 1;
}

static void ensure_weights(void)
{
    if (!weights_ready) {
        model_reset_weights();
    }
}

const mdy_model_info_t *model_info(void)
{
    return &info;
}

void model_zero_grad(void)
{
    for (uint32_t layer = 0; layer < NUM_LAYERS; ++layer) {
        if (schedule[layer].slices) {
            memset(schedule[layer].slices, 0,
                   sizeof(float) * schedule[layer].count * layer_table[layer].out_channels);
        }
        memset(bias_grads[layer], 0, sizeof(float) * layer_table[layer].out_channels);
    }
}

/* The fake trains input channels only: an output-channel slot (NEq neuron) is refused
 * with MDY_ERR_RANGE, so the firmware tests see which entry point the commit reached. */
int model_set_schedule_ex(const uint16_t *counts, const uint16_t *channels,
                          const uint16_t *out_counts, const uint16_t *out_channels)
{
    (void)out_channels;
    for (uint32_t layer = 0; out_counts && layer < NUM_LAYERS; ++layer) {
        if (out_counts[layer]) {
            return MDY_ERR_RANGE;
        }
    }
    return model_set_schedule(counts, channels);
}

int model_set_schedule(const uint16_t *counts, const uint16_t *channels)
{
    uint32_t needed_bytes = 0, offset = 0;
    for (uint32_t layer = 0; layer < NUM_LAYERS; ++layer) {
        const mdy_layer_info_t *l = &layer_table[layer];
        if (counts[layer] > l->in_channels) {
            return MDY_ERR_RANGE;
        }
        uint8_t seen[IN0] = {0};
        for (uint32_t j = 0; j < counts[layer]; ++j) {
            const uint16_t c = channels[offset + j];
            if (c >= l->in_channels || seen[c]) {
                return MDY_ERR_RANGE;
            }
            seen[c] = 1;
        }
        offset += counts[layer];
        needed_bytes += counts[layer] * l->channel_cost_bytes;
    }
    if (needed_bytes > POOL_BYTES) {
        return MDY_ERR_POOL;
    }
    float *cursor = pool;
    offset = 0;
    for (uint32_t layer = 0; layer < NUM_LAYERS; ++layer) {
        layer_schedule_t *s = &schedule[layer];
        s->count = counts[layer];
        memcpy(s->channels, channels + offset, sizeof(uint16_t) * s->count);
        offset += s->count;
        s->planes = cursor;
        cursor += s->count;
        s->slices = cursor;
        cursor += s->count * layer_table[layer].out_channels;
    }
    memset(channel_norm_sums, 0, sizeof channel_norm_sums);
    updates = 0;
    has_schedule = 1;
    ensure_weights();
    model_zero_grad();
    return MDY_OK;
}

static void gemm_forward(const float *w, const float *b, const float *x, float *y,
                         uint32_t out_n, uint32_t in_n)
{
    for (uint32_t o = 0; o < out_n; ++o) {
        float sum = b[o];
        for (uint32_t i = 0; i < in_n; ++i) {
            sum += w[o * in_n + i] * x[i];
        }
        y[o] = sum;
    }
}

static void forward(const float *input)
{
    ensure_weights();
    gemm_forward(w0, b0, input, hidden, OUT0, IN0);
    for (uint32_t o = 0; o < OUT0; ++o) {
        hidden[o] = hidden[o] > 0.0f ? hidden[o] : 0.0f;
    }
    gemm_forward(w1, b1, hidden, logits_buf, OUT1, IN1);
}

int model_forward(const float *input, float *logits)
{
    forward(input);
    memcpy(logits, logits_buf, sizeof(float) * OUT1);
    return MDY_OK;
}

static void save_planes(layer_schedule_t *s, const float *layer_input)
{
    for (uint32_t j = 0; j < s->count; ++j) {
        s->planes[j] = layer_input[s->channels[j]];
    }
}

static void accumulate_slices(layer_schedule_t *s, const float *dy, uint32_t out_n)
{
    for (uint32_t j = 0; j < s->count; ++j) {
        for (uint32_t o = 0; o < out_n; ++o) {
            s->slices[j * out_n + o] += dy[o] * s->planes[j];
        }
    }
}

int model_train_sample(const float *input, uint32_t label, float *loss, float *logits)
{
    if (!has_schedule) {
        return MDY_ERR_STATE;
    }
    if (label >= OUT1) {
        return MDY_ERR_LABEL;
    }
    forward(input);
    save_planes(&schedule[0], input);
    save_planes(&schedule[1], hidden);

    float max_logit = logits_buf[0];
    for (uint32_t k = 1; k < OUT1; ++k) {
        max_logit = logits_buf[k] > max_logit ? logits_buf[k] : max_logit;
    }
    float denominator = 0.0f;
    for (uint32_t k = 0; k < OUT1; ++k) {
        dlogits[k] = expf(logits_buf[k] - max_logit);
        denominator += dlogits[k];
    }
    for (uint32_t k = 0; k < OUT1; ++k) {
        dlogits[k] = dlogits[k] / denominator - (k == label ? 1.0f : 0.0f);
    }
    if (loss) {
        *loss = logf(denominator) + max_logit - logits_buf[label];
    }
    if (logits) {
        memcpy(logits, logits_buf, sizeof(float) * OUT1);
    }

    for (uint32_t k = 0; k < OUT1; ++k) {
        db1[k] += dlogits[k];
    }
    accumulate_slices(&schedule[1], dlogits, OUT1);
    for (uint32_t i = 0; i < IN1; ++i) {
        float sum = 0.0f;
        for (uint32_t k = 0; k < OUT1; ++k) {
            sum += w1[k * IN1 + i] * dlogits[k];
        }
        dhidden[i] = hidden[i] > 0.0f ? sum : 0.0f;
    }
    for (uint32_t o = 0; o < OUT0; ++o) {
        db0[o] += dhidden[o];
    }
    accumulate_slices(&schedule[0], dhidden, OUT0);
    return MDY_OK;
}

int model_apply_update(float lr, uint32_t batch)
{
    if (!has_schedule) {
        return MDY_ERR_STATE;
    }
    if (batch == 0) {
        return MDY_ERR_RANGE;
    }
    const float inv_batch = 1.0f / (float)batch;
    uint32_t norm_index = 0;
    for (uint32_t layer = 0; layer < NUM_LAYERS; ++layer) {
        const mdy_layer_info_t *l = &layer_table[layer];
        layer_schedule_t *s = &schedule[layer];
        for (uint32_t j = 0; j < s->count; ++j) {
            float squares = 0.0f;
            for (uint32_t o = 0; o < l->out_channels; ++o) {
                const float g = s->slices[j * l->out_channels + o] * inv_batch;
                squares += g * g;
                weights[layer][o * l->in_channels + s->channels[j]] -= lr * g;
            }
            channel_norm_sums[norm_index++] += sqrtf(squares);
        }
        for (uint32_t o = 0; o < l->out_channels; ++o) {
            biases[layer][o] -= lr * bias_grads[layer][o] * inv_batch;
        }
    }
    updates++;
    model_zero_grad();
    return MDY_OK;
}

static float weight_grad_at(uint32_t layer, uint32_t index)
{
    const mdy_layer_info_t *l = &layer_table[layer];
    const layer_schedule_t *s = &schedule[layer];
    const uint32_t channel = index % l->in_channels, o = index / l->in_channels;
    for (uint32_t j = 0; j < s->count; ++j) {
        if (s->channels[j] == channel) {
            return s->slices[j * l->out_channels + o];
        }
    }
    return 0.0f;
}

uint32_t model_tensor_elems(uint32_t layer, uint32_t kind)
{
    if (layer >= NUM_LAYERS || kind > MDY_TENSOR_BIAS_GRAD) {
        return 0;
    }
    return kind == MDY_TENSOR_WEIGHT || kind == MDY_TENSOR_WEIGHT_GRAD
               ? layer_table[layer].weight_elems
               : layer_table[layer].out_channels;
}

uint32_t model_read_tensor(uint32_t layer, uint32_t kind, uint32_t first, uint32_t count,
                           float *dst)
{
    const uint32_t total = model_tensor_elems(layer, kind);
    const uint32_t n = first >= total ? 0u : (count < total - first ? count : total - first);
    ensure_weights();
    for (uint32_t i = 0; i < n; ++i) {
        const uint32_t at = first + i;
        switch (kind) {
        case MDY_TENSOR_WEIGHT:
            dst[i] = weights[layer][at];
            break;
        case MDY_TENSOR_BIAS:
            dst[i] = biases[layer][at];
            break;
        case MDY_TENSOR_WEIGHT_GRAD:
            dst[i] = weight_grad_at(layer, at);
            break;
        default:
            dst[i] = bias_grads[layer][at];
            break;
        }
    }
    return n;
}

uint32_t model_write_tensor(uint32_t layer, uint32_t kind, uint32_t first, uint32_t count,
                            const float *src)
{
    const uint32_t total = model_tensor_elems(layer, kind);
    if ((kind != MDY_TENSOR_WEIGHT && kind != MDY_TENSOR_BIAS) || first > total ||
        count > total - first || count == 0u) {
        return 0;
    }
    ensure_weights();
    memcpy((kind == MDY_TENSOR_WEIGHT ? weights[layer] : biases[layer]) + first, src,
           sizeof(float) * count);
    return count;
}

uint32_t model_get_channel_norms(uint32_t layer, float *norms)
{
    if (layer >= NUM_LAYERS) {
        return 0;
    }
    uint32_t first = 0;
    for (uint32_t l = 0; l < layer; ++l) {
        first += schedule[l].count;
    }
    memcpy(norms, channel_norm_sums + first, sizeof(float) * schedule[layer].count);
    return schedule[layer].count;
}

uint32_t model_num_updates(void)
{
    return updates;
}
