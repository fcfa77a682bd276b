/* Device application: message handlers behind the serial session. */
#ifndef MEDYATE_APP_H
#define MEDYATE_APP_H

#include <stdint.h>

#include "model.h"
#include "protocol.h"

#if !defined(MDY_MODEL_INPUT_ELEMS) || !defined(MDY_MODEL_INPUT_C) ||                 \
    !defined(MDY_MODEL_NUM_CLASSES) || !defined(MDY_MODEL_NUM_LAYERS) ||              \
    !defined(MDY_MODEL_MAX_WEIGHT_ELEMS) || !defined(MDY_MODEL_MAX_OUT_CHANNELS) ||   \
    !defined(MDY_MODEL_TOTAL_CHANNELS)
#error "model.h must define the MDY_MODEL_* capacities the application sizes its buffers with"
#endif

typedef struct {
    uint8_t type;          /* response type (request | 0x80, or MSG_ERROR) */
    uint16_t length;       /* payload bytes written */
    uint8_t *payload;      /* MDY_MAX_PAYLOAD bytes of room */
} reply_t;

/* Returns 0 or an ERR_* code; on error `detail` and up to 3 extra words describe it. */
typedef struct {
    uint16_t code;
    uint16_t detail;
    uint32_t extra[3];
    uint8_t extra_count;
} app_error_t;

typedef int (*message_handler_t)(const uint8_t *payload, uint16_t length, reply_t *reply,
                                 app_error_t *error);

typedef struct {
    uint8_t type;
    message_handler_t handler;
} message_route_t;

/* Table of request type -> handler (handlers.c; the handlers: handlers*.c). */
extern const message_route_t app_routes[];
extern const uint32_t app_route_count;

void app_init(void);

#endif /* MEDYATE_APP_H */
