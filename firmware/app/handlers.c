/*
 * Message handlers: each checks its payload completely before touching model state.
 */
#include <math.h>
#include <string.h>

#include "app.h"
#include "board.h"
#include "frame.h"
#include "sample_input.h"

static int staged_input_valid;

static float logits[MDY_MODEL_NUM_CLASSES];
/* counts ++ input channels [++ output counts ++ output channels (NEq neurons)] */
#define SCHEDULE_STAGING_VALUES \
    (2u * MDY_MODEL_NUM_LAYERS + MDY_MODEL_TOTAL_CHANNELS + MDY_MODEL_TOTAL_OUT_CHANNELS)
static uint16_t schedule_staging[SCHEDULE_STAGING_VALUES];

typedef struct {
    uint32_t samples, correct;
    float loss_sum;
    uint64_t time_spent;
} phase_stats_t;

static phase_stats_t train_stats, eval_stats;

enum { SAMPLE_RESULT_BYTES = 6, MAX_FLOATS_PER_REPLY = (MDY_MAX_PAYLOAD - 16) / 4 };

void app_init(void)
{
    sample_input_init();
}

static int fail(app_error_t *error, uint16_t code, uint16_t detail)
{
    error->code = code;
    error->detail = detail;
    return code;
}

static uint32_t input_elems(void)
{
    const mdy_model_info_t *info = model_info();
    return info->input_c * info->input_h * info->input_w;
}

static uint32_t sample_bytes(uint8_t encoding)
{
    return input_elems() * sample_element_bytes(encoding);
}

static uint32_t argmax(const float *values, uint32_t n)
{
    uint32_t best = 0;
    for (uint32_t k = 1; k < n; ++k) {
        best = values[k] > values[best] ? k : best;
    }
    return best;
}

static float cross_entropy(const float *z, uint32_t n, uint32_t label)
{
    float max_logit = z[argmax(z, n)], sum = 0.0f;
    for (uint32_t k = 0; k < n; ++k) {
        sum += expf(z[k] - max_logit);
    }
    return logf(sum) + max_logit - z[label];
}

/* Runs one staged sample; appends (loss, predicted[, logits]) to the reply. */
static int run_staged(int train, uint32_t label, int with_logits, uint8_t **out, app_error_t *error)
{
    const uint32_t classes = model_info()->num_classes;
    float loss = 0.0f;
    phase_stats_t *stats = train ? &train_stats : &eval_stats;
    const uint64_t start = board_timer_read();
    if (train) {
        const int status = sample_train(label, &loss, logits);
        if (status != MDY_OK) {
            return fail(error, ERR_MODEL, (uint16_t)status);
        }
    } else {
        sample_forward(logits);
        loss = cross_entropy(logits, classes, label);
    }
    stats->time_spent += board_timer_read() - start;
    const uint32_t predicted = argmax(logits, classes);
    stats->samples++;
    stats->correct += predicted == label;
    stats->loss_sum += loss;
    *out = put_f32(*out, loss);
    *out = put_u16(*out, (uint16_t)predicted);
    for (uint32_t k = 0; with_logits && k < classes; ++k) {
        *out = put_f32(*out, logits[k]);
    }
    return 0;
}

static uint32_t result_bytes(int with_logits)
{
    return SAMPLE_RESULT_BYTES + (with_logits ? 4u * model_info()->num_classes : 0u);
}

/* Samples to run, wherever they are (inside a frame or in the preloaded dataset). */
typedef struct {
    const uint8_t *samples;
    uint32_t sample_stride;
    const uint8_t *labels;
    uint32_t label_stride;
    uint32_t count;
    uint8_t encoding;
} sample_view_t;

/* Reply [u16 count][u16 logits per sample] then one result per sample. Every label is
 * checked before the first sample runs, so a bad request never half-trains a batch. */
static int run_samples(int train, int with_logits, const sample_view_t *v, reply_t *reply,
                       app_error_t *error)
{
    if (4u + v->count * result_bytes(with_logits) > MDY_MAX_PAYLOAD) {
        return fail(error, ERR_CAPACITY, 0);
    }
    for (uint32_t i = 0; i < v->count; ++i) {
        if (get_u16(v->labels + i * v->label_stride) >= model_info()->num_classes) {
            return fail(error, ERR_MODEL, MDY_ERR_LABEL);
        }
    }
    uint8_t *out = put_u16(reply->payload, (uint16_t)v->count);
    out = put_u16(out, with_logits ? (uint16_t)model_info()->num_classes : 0u);
    for (uint32_t i = 0; i < v->count; ++i) {
        sample_decode(v->samples + i * v->sample_stride, v->encoding, 0, input_elems());
        if (run_staged(train, get_u16(v->labels + i * v->label_stride), with_logits, &out,
                       error)) {
            return error->code;
        }
    }
    staged_input_valid = 0;
    reply->length = (uint16_t)(out - reply->payload);
    return 0;
}

/* TRAIN / EVALUATE: [u8 encoding][u8 flags][u16 count] count x ([u16 label][sample]) */
static int run_inline(int train, const uint8_t *payload, uint16_t length, reply_t *reply,
                      app_error_t *error)
{
    if (length < 4) {
        return fail(error, ERR_BAD_LENGTH, 0);
    }
    const uint8_t encoding = payload[0];
    const int with_logits = !train && (payload[1] & 1u);
    const uint16_t count = get_u16(payload + 2);
    if (!sample_encoding_ok(encoding)) {
        return fail(error, ERR_BAD_LENGTH, 1);
    }
    const uint32_t record = 2u + sample_bytes(encoding);
    if ((uint32_t)length != 4u + count * record) {
        return fail(error, ERR_BAD_LENGTH, 2);
    }
    const sample_view_t view = {payload + 6, record, payload + 4, record, count, encoding};
    return run_samples(train, with_logits, &view, reply, error);
}

static int handle_train(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    return run_inline(1, p, n, r, e);
}

static int handle_evaluate(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    return run_inline(0, p, n, r, e);
}

/* SAMPLE_CHUNK: [u8 encoding][u8 0][u16 0][u32 first element][data] */
static int handle_sample_chunk(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    (void)r;
    if (n < 8 || !sample_encoding_ok(p[0])) {
        return fail(e, ERR_BAD_LENGTH, 0);
    }
    const uint32_t element_bytes = sample_element_bytes(p[0]);
    const uint32_t first = get_u32(p + 4), count = (n - 8u) / element_bytes;
    if ((n - 8u) % element_bytes != 0 || first > input_elems() || count > input_elems() - first) {
        return fail(e, ERR_BAD_LENGTH, 1);
    }
    sample_decode(p + 8, p[0], first, count);
    staged_input_valid = 1;
    return 0;
}

/* TRAIN_STAGED / EVALUATE_STAGED: [u16 label][u8 flags] */
static int run_staged_message(int train, const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    if (n < 2) {
        return fail(e, ERR_BAD_LENGTH, 0);
    }
    const int with_logits = !train && n >= 3 && (p[2] & 1u);
    if (!staged_input_valid) {
        return fail(e, ERR_STATE, 0);
    }
    if (get_u16(p) >= model_info()->num_classes) {
        return fail(e, ERR_MODEL, MDY_ERR_LABEL);
    }
    uint8_t *out = put_u16(r->payload, 1);
    out = put_u16(out, with_logits ? (uint16_t)model_info()->num_classes : 0u);
    if (run_staged(train, get_u16(p), with_logits, &out, e)) {
        return e->code;
    }
    r->length = (uint16_t)(out - r->payload);
    return 0;
}

static int handle_train_staged(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    return run_staged_message(1, p, n, r, e);
}

static int handle_evaluate_staged(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    return run_staged_message(0, p, n, r, e);
}

/* TRAIN_PRELOADED / EVALUATE_PRELOADED: [u32 first][u16 count][u8 flags] over the
 * dataset the emulator loaded at board_preload_base() (layout in docs/protocol.md). */
static int run_preloaded(int train, const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    const uint8_t *base = board_preload_base();
    if (!base) {
        return fail(e, ERR_UNSUPPORTED, 0);
    }
    if (n < 6) {
        return fail(e, ERR_BAD_LENGTH, 0);
    }
    const uint32_t first = get_u32(p), count = get_u16(p + 4);
    const int with_logits = !train && n >= 7 && (p[6] & 1u);
    const uint32_t total = get_u32(base + 8), elems = get_u32(base + 12);
    const uint32_t encoding = get_u32(base + 16), labels_at = get_u32(base + 20);
    const uint32_t samples_at = get_u32(base + 24);
    if (get_u32(base) != MDY_PRELOAD_MAGIC || elems != input_elems() || !sample_encoding_ok(encoding)) {
        return fail(e, ERR_UNSUPPORTED, 1);
    }
    const uint32_t bytes = sample_bytes((uint8_t)encoding);
    if (first > total || count > total - first ||
        (uint64_t)samples_at + (uint64_t)total * bytes > board_preload_capacity() ||
        (uint64_t)labels_at + 2u * (uint64_t)total > board_preload_capacity()) {
        return fail(e, ERR_CAPACITY, 1);
    }
    const sample_view_t view = {base + samples_at + first * bytes, bytes,
                                base + labels_at + 2u * first, 2u, count, (uint8_t)encoding};
    return run_samples(train, with_logits, &view, r, e);
}

static int handle_train_preloaded(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    return run_preloaded(1, p, n, r, e);
}

static int handle_evaluate_preloaded(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    return run_preloaded(0, p, n, r, e);
}

static int handle_hello(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    (void)p;
    (void)n;
    (void)e;
    const mdy_model_info_t *info = model_info();
    uint8_t *out = put_u16(r->payload, MDY_PROTOCOL_VERSION);
    out = put_u16(out, MDY_MAX_PAYLOAD);
    out = put_u32(out, info->arena_bytes);
    out = put_u32(out, info->channel_pool_bytes);
    out = put_u32(out, info->num_classes);
    out = put_u32(out, info->input_c);
    out = put_u32(out, info->input_h);
    out = put_u32(out, info->input_w);
    out = put_u16(out, (uint16_t)info->num_layers);
    out = put_u16(out, sample_encodings());
    out = put_u32(out, board_preload_base() ? board_preload_capacity() : 0u);
    out = put_str(out, board_name(), 63);
    out = put_str(out, board_timer_unit(), 63);
    out = put_str(out, info->model_hash, 128);
    r->length = (uint16_t)(out - r->payload);
    return 0;
}

/* LAYER_INFO: [u16 layer] */
static int handle_layer_info(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    const mdy_model_info_t *info = model_info();
    if (n != 2) {
        return fail(e, ERR_BAD_LENGTH, 0);
    }
    if (get_u16(p) >= info->num_layers) {
        return fail(e, ERR_MODEL, MDY_ERR_RANGE);
    }
    const mdy_layer_info_t *layer = &info->layers[get_u16(p)];
    uint8_t *out = put_u32(r->payload, layer->in_channels);
    out = put_u32(out, layer->out_channels);
    out = put_u32(out, layer->weight_elems);
    out = put_u32(out, layer->slice_elems);
    out = put_u32(out, layer->plane_elems);
    out = put_u32(out, layer->channel_cost_bytes);
    *out++ = layer->trains_bias;
    *out++ = layer->kind;
    out = put_str(out, layer->weight_name, 200);
    out = put_str(out, layer->bias_name, 200);
    r->length = (uint16_t)(out - r->payload);
    return 0;
}

/* SET_AFFINE: [u16 channels] scale[channels] offset[channels] (f32) */
static int handle_set_affine(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    (void)r;
    if (n < 2 || get_u16(p) != model_info()->input_c || n != 2u + 8u * get_u16(p)) {
        return fail(e, ERR_BAD_LENGTH, 0);
    }
    const uint16_t channels = get_u16(p);
    if (channels > MDY_MODEL_INPUT_C) {
        return fail(e, ERR_CAPACITY, 0);
    }
    for (uint16_t c = 0; c < channels; ++c) {
        sample_set_affine(c, get_f32(p + 2 + 4 * c), get_f32(p + 2 + 4 * (channels + c)));
    }
    return 0;
}

/* SCHEDULE_DATA: [u16 first][u16 values...] into counts[num_layers] ++ channels */
static int handle_schedule_data(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    (void)r;
    if (n < 2 || n % 2 != 0) {
        return fail(e, ERR_BAD_LENGTH, 0);
    }
    const uint32_t first = get_u16(p), count = (n - 2u) / 2u;
    if (first + count > sizeof schedule_staging / sizeof schedule_staging[0]) {
        return fail(e, ERR_CAPACITY, 0);
    }
    for (uint32_t i = 0; i < count; ++i) {
        schedule_staging[first + i] = get_u16(p + 2 + 2 * i);
    }
    return 0;
}

/* sum of the `layers` counts at staging[first] (0 if they do not fit the staging) */
static uint32_t staged_sum(uint32_t first, uint32_t layers)
{
    uint32_t sum = 0;
    for (uint32_t l = 0; l < layers && first + l < SCHEDULE_STAGING_VALUES; ++l) {
        sum += schedule_staging[first + l];
    }
    return sum;
}

/* SCHEDULE_COMMIT: [u16 total values] (input channels only) or
 * [u16 total values][u16 offset of the output counts] (output-channel slots too)
 * -> [i32 model_set_schedule(_ex) status] */
static int handle_schedule_commit(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    const uint32_t layers = model_info()->num_layers;
    if (n != 2 && n != 4) {
        return fail(e, ERR_BAD_LENGTH, 0);
    }
    const uint32_t channels = staged_sum(0, layers);
    const uint32_t inputs = layers + channels;
    uint32_t total = inputs;
    if (n == 4) {
        if (get_u16(p + 2) != inputs || inputs + layers > SCHEDULE_STAGING_VALUES) {
            return fail(e, ERR_BAD_LENGTH, 2);
        }
        total += layers + staged_sum(inputs, layers);
    }
    if (get_u16(p) != total || total > SCHEDULE_STAGING_VALUES) {
        return fail(e, ERR_BAD_LENGTH, 1);
    }
    const int status = n == 4 ?
        model_set_schedule_ex(schedule_staging, schedule_staging + layers,
                              schedule_staging + inputs, schedule_staging + inputs + layers) :
        model_set_schedule(schedule_staging, schedule_staging + layers);
    r->length = (uint16_t)(put_u32(r->payload, (uint32_t)status) - r->payload);
    return 0;
}

/* APPLY_UPDATE: [f32 lr][u32 batch] */
static int handle_apply_update(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    (void)r;
    if (n != 8) {
        return fail(e, ERR_BAD_LENGTH, 0);
    }
    const uint64_t start = board_timer_read();
    const int status = model_apply_update(get_f32(p), get_u32(p + 4));
    train_stats.time_spent += board_timer_read() - start;
    return status == MDY_OK ? 0 : fail(e, ERR_MODEL, (uint16_t)status);
}

static int handle_zero_grad(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    (void)p;
    (void)n;
    (void)r;
    (void)e;
    model_zero_grad();
    return 0;
}

static int handle_reset_weights(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    (void)p;
    (void)n;
    (void)r;
    (void)e;
    model_reset_weights();
    return 0;
}

static uint8_t *put_stats(uint8_t *out, phase_stats_t *stats)
{
    out = put_u32(out, stats->samples);
    out = put_u32(out, stats->correct);
    out = put_f32(out, stats->loss_sum);
    out = put_u64(out, stats->time_spent);
    memset(stats, 0, sizeof *stats);
    return out;
}

/* EPOCH_END -> train stats, eval stats, number of updates; counters restart. */
static int handle_epoch_end(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    (void)p;
    (void)n;
    (void)e;
    uint8_t *out = put_stats(r->payload, &train_stats);
    out = put_stats(out, &eval_stats);
    out = put_u32(out, model_num_updates());
    r->length = (uint16_t)(out - r->payload);
    return 0;
}

/* A window of at most `limit` floats (0: as many as fit a reply): the host bounds reply
 * frames too, e.g. on a noisy line where long frames rarely cross intact. */
static uint8_t *put_float_window(uint8_t *out, const float *values, uint32_t total, uint32_t first,
                                 uint32_t limit)
{
    const uint32_t available = first < total ? total - first : 0u;
    if (limit == 0 || limit > MAX_FLOATS_PER_REPLY) {
        limit = MAX_FLOATS_PER_REPLY;
    }
    const uint32_t count = available < limit ? available : limit;
    out = put_u32(out, total);
    out = put_u32(out, first);
    out = put_u16(out, (uint16_t)count);
    for (uint32_t i = 0; i < count; ++i) {
        out = put_f32(out, values[first + i]);
    }
    return out;
}

/* CHANNEL_NORMS: [u16 layer][u32 first][u16 max count] -> [u32 total][u32 first][u16 n][f32 x n] */
static int handle_channel_norms(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    if (n != 8) {
        return fail(e, ERR_BAD_LENGTH, 0);
    }
    if (get_u16(p) >= model_info()->num_layers) {
        return fail(e, ERR_MODEL, MDY_ERR_RANGE);
    }
    staged_input_valid = 0;
    float *norms = sample_tensor_scratch();
    const uint32_t total = model_get_channel_norms(get_u16(p), norms);
    r->length = (uint16_t)(put_float_window(r->payload, norms, total, get_u32(p + 2), get_u16(p + 6)) - r->payload);
    return 0;
}

/* READ_TENSOR: [u8 kind][u8 0][u16 layer][u32 first][u16 max count] -> same window as
 * CHANNEL_NORMS */
static int handle_read_tensor(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    const mdy_model_info_t *info = model_info();
    if (n != 10 || p[0] > TENSOR_BIAS_GRAD) {
        return fail(e, ERR_BAD_LENGTH, 0);
    }
    const uint16_t layer = get_u16(p + 2);
    if (layer >= info->num_layers) {
        return fail(e, ERR_MODEL, MDY_ERR_RANGE);
    }
    staged_input_valid = 0;
    /* the window is read by the model straight into the reply: no dense scratch copy */
    const uint32_t total = model_tensor_elems(layer, p[0]);
    const uint32_t first = get_u32(p + 4);
    uint32_t limit = get_u16(p + 8);
    if (limit == 0 || limit > MAX_FLOATS_PER_REPLY) {
        limit = MAX_FLOATS_PER_REPLY;
    }
    float window[MAX_FLOATS_PER_REPLY];
    const uint32_t count = model_read_tensor(layer, p[0], first, limit, window);
    uint8_t *out = put_u32(r->payload, total);
    out = put_u32(out, first);
    out = put_u16(out, (uint16_t)count);
    for (uint32_t i = 0; i < count; ++i) {
        out = put_f32(out, window[i]);
    }
    r->length = (uint16_t)(out - r->payload);
    return 0;
}

/* MEMORY -> measured memory of this image, all u32 bytes (docs/protocol.md). */
static int handle_memory(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    (void)p;
    (void)n;
    (void)e;
    board_memory_t memory;
    board_memory(&memory);
    const mdy_model_info_t *info = model_info();
    const uint32_t static_ram = memory.data_bytes + memory.bss_bytes;
    uint8_t *out = put_u32(r->payload, memory.ram_bytes);
    out = put_u32(out, memory.data_bytes);
    out = put_u32(out, memory.bss_bytes);
    out = put_u32(out, memory.stack_bytes);
    out = put_u32(out, memory.stack_used_bytes);
    out = put_u32(out, info->arena_bytes);
    out = put_u32(out, info->channel_pool_bytes);
    out = put_u32(out, static_ram);
    out = put_u32(out, static_ram + memory.stack_used_bytes);
    *out++ = memory.stack_measured;
    r->length = (uint16_t)(out - r->payload);
    return 0;
}

/* PING: [u8 mode] -> [u8 0 (this ping took the seq: the request before it never ran), u8 0] */
static int handle_ping(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    (void)p;
    (void)n;
    (void)e;
    r->payload[0] = 0;
    r->payload[1] = 0;
    r->length = 2;
    return 0;
}

/* WRITE_TENSOR: [u8 kind (0 weight, 1 bias)][u8 0][u16 layer][u32 first][f32 values...]
 * -> []; restores a resumed run's weights. Idempotent: re-running it writes the same. */
static int handle_write_tensor(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    if (n < 12 || (n - 8u) % 4u != 0u || p[0] > TENSOR_BIAS) {
        return fail(e, ERR_BAD_LENGTH, 0);
    }
    const uint16_t layer = get_u16(p + 2);
    if (layer >= model_info()->num_layers) {
        return fail(e, ERR_MODEL, MDY_ERR_RANGE);
    }
    const uint32_t count = (n - 8u) / 4u;
    float values[MDY_MAX_PAYLOAD / 4];
    for (uint32_t i = 0; i < count; ++i) {
        values[i] = get_f32(p + 8 + 4 * i);
    }
    if (model_write_tensor(layer, p[0], get_u32(p + 4), count, values) != count) {
        return fail(e, ERR_MODEL, MDY_ERR_RANGE);
    }
    r->length = 0;
    return 0;
}

static int handle_shutdown(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    (void)p;
    (void)n;
    (void)r;
    (void)e;
    return 0;   /* the session exits after sending the reply */
}

const message_route_t app_routes[] = {
    {MSG_HELLO, handle_hello},
    {MSG_LAYER_INFO, handle_layer_info},
    {MSG_SET_AFFINE, handle_set_affine},
    {MSG_SCHEDULE_DATA, handle_schedule_data},
    {MSG_SCHEDULE_COMMIT, handle_schedule_commit},
    {MSG_PING, handle_ping},
    {MSG_TRAIN, handle_train},
    {MSG_EVALUATE, handle_evaluate},
    {MSG_SAMPLE_CHUNK, handle_sample_chunk},
    {MSG_TRAIN_STAGED, handle_train_staged},
    {MSG_EVALUATE_STAGED, handle_evaluate_staged},
    {MSG_TRAIN_PRELOADED, handle_train_preloaded},
    {MSG_EVALUATE_PRELOADED, handle_evaluate_preloaded},
    {MSG_APPLY_UPDATE, handle_apply_update},
    {MSG_ZERO_GRAD, handle_zero_grad},
    {MSG_RESET_WEIGHTS, handle_reset_weights},
    {MSG_EPOCH_END, handle_epoch_end},
    {MSG_CHANNEL_NORMS, handle_channel_norms},
    {MSG_MEMORY, handle_memory},
    {MSG_READ_TENSOR, handle_read_tensor},
    {MSG_WRITE_TENSOR, handle_write_tensor},
    {MSG_SHUTDOWN, handle_shutdown},
};
const uint32_t app_route_count = sizeof app_routes / sizeof app_routes[0];
