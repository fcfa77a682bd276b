/*
 * Channel schedule handlers: SCHEDULE_DATA stages values, SCHEDULE_COMMIT hands them to
 * model_set_schedule(_ex).
 */
#include "frame.h"
#include "handlers_internal.h"

/* counts ++ input channels [++ output counts ++ output channels (NEq neurons)] */
#define SCHEDULE_STAGING_VALUES \
    (2u * MDY_MODEL_NUM_LAYERS + MDY_MODEL_TOTAL_CHANNELS + MDY_MODEL_TOTAL_OUT_CHANNELS)
static uint16_t schedule_staging[SCHEDULE_STAGING_VALUES];

/* SCHEDULE_DATA: [u16 first][u16 values...] into counts[num_layers] ++ channels */
int handle_schedule_data(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
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
int handle_schedule_commit(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)
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
