/* Shared by the message-handler files (handlers*.c), not part of the app's interface:
 * the error helper, the reply window size, the staged-input flag and every handler the
 * route table in handlers.c points at. */
#ifndef MEDYATE_HANDLERS_INTERNAL_H
#define MEDYATE_HANDLERS_INTERNAL_H

#include <stdint.h>

#include "app.h"

enum { MAX_FLOATS_PER_REPLY = (MDY_MAX_PAYLOAD - 16) / 4 };

/* 1 while SAMPLE_CHUNK has staged a whole input that no other request has overwritten
 * (the read-back handlers reuse the sample scratch and clear it). */
extern int staged_input_valid;

static inline int fail(app_error_t *error, uint16_t code, uint16_t detail)
{
    error->code = code;
    error->detail = detail;
    return code;
}

#define MDY_HANDLER(name) \
    int name(const uint8_t *p, uint16_t n, reply_t *r, app_error_t *e)

/* handlers.c: session info */
MDY_HANDLER(handle_hello);
MDY_HANDLER(handle_layer_info);
MDY_HANDLER(handle_set_affine);
MDY_HANDLER(handle_memory);
MDY_HANDLER(handle_ping);
MDY_HANDLER(handle_shutdown);
/* handlers_run.c: train / evaluate / update */
MDY_HANDLER(handle_train);
MDY_HANDLER(handle_evaluate);
MDY_HANDLER(handle_sample_chunk);
MDY_HANDLER(handle_train_staged);
MDY_HANDLER(handle_evaluate_staged);
MDY_HANDLER(handle_train_preloaded);
MDY_HANDLER(handle_evaluate_preloaded);
MDY_HANDLER(handle_apply_update);
MDY_HANDLER(handle_zero_grad);
MDY_HANDLER(handle_reset_weights);
MDY_HANDLER(handle_epoch_end);
/* handlers_schedule.c: channel schedules */
MDY_HANDLER(handle_schedule_data);
MDY_HANDLER(handle_schedule_commit);
/* handlers_tensor.c: tensor read-back and restore */
MDY_HANDLER(handle_channel_norms);
MDY_HANDLER(handle_read_tensor);
MDY_HANDLER(handle_write_tensor);

#endif /* MEDYATE_HANDLERS_INTERNAL_H */
