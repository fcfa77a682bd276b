/*
 * Message handlers: each checks its payload completely before touching model state.
 * This file: session info (HELLO, LAYER_INFO, SET_AFFINE, MEMORY, PING, SHUTDOWN) and the
 * route table; the other families live in handlers_run.c (train/evaluate/update),
 * handlers_schedule.c (channel schedules) and handlers_tensor.c (weights/norms).
 */
#include "board.h"
#include "frame.h"
#include "handlers_internal.h"
#include "sample_input.h"

void app_init(void)
{
    sample_input_init();
}

int handle_hello(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
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
int handle_layer_info(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
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
int handle_set_affine(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
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

/* MEMORY -> measured memory of this image, all u32 bytes (docs/protocol.md). */
int handle_memory(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
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
int handle_ping(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
{
    (void)p;
    (void)n;
    (void)e;
    r->payload[0] = 0;
    r->payload[1] = 0;
    r->length = 2;
    return 0;
}

int handle_shutdown(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
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
