/*
 * Read-back and restore of model tensors: CHANNEL_NORMS, READ_TENSOR, WRITE_TENSOR.
 */
#include "frame.h"
#include "handlers_internal.h"
#include "sample_input.h"

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
int handle_channel_norms(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
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
int handle_read_tensor(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
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

/* WRITE_TENSOR: [u8 kind (0 weight, 1 bias)][u8 0][u16 layer][u32 first][f32 values...]
 * -> []; restores a resumed run's weights. Idempotent: re-running it writes the same. */
int handle_write_tensor(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
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
