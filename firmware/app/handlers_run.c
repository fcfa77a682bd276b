/*
 * Train / evaluate handlers: inline, staged and preloaded samples, the update step,
 * zero_grad / reset, and the per-epoch statistics.
 */
#include <math.h>
#include <string.h>

#include "board.h"
#include "frame.h"
#include "handlers_internal.h"
#include "sample_input.h"

int staged_input_valid;

static float logits[MDY_MODEL_NUM_CLASSES];

typedef struct {
    uint32_t samples, correct;
    float loss_sum;
    uint64_t time_spent;
} phase_stats_t;

static phase_stats_t train_stats, eval_stats;

enum { SAMPLE_RESULT_BYTES = 6 };

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

int handle_train(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    return run_inline(1, p, n, r, e);
}

int handle_evaluate(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    return run_inline(0, p, n, r, e);
}

/* SAMPLE_CHUNK: [u8 encoding][u8 0][u16 0][u32 first element][data] */
int handle_sample_chunk(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
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

int handle_train_staged(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    return run_staged_message(1, p, n, r, e);
}

int handle_evaluate_staged(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
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

int handle_train_preloaded(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    return run_preloaded(1, p, n, r, e);
}

int handle_evaluate_preloaded(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    return run_preloaded(0, p, n, r, e);
}

/* APPLY_UPDATE: [f32 lr][u32 batch] */
int handle_apply_update(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
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

int handle_zero_grad(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    (void)p;
    (void)n;
    (void)r;
    (void)e;
    model_zero_grad();
    return 0;
}

int handle_reset_weights(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
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
int handle_epoch_end(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
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
