/*
 * Serial session: reads COBS frames, checks them, enforces the sequence rules (a
 * retransmitted request is answered from the cached reply, never executed twice) and
 * routes the request to its handler.
 */
#include <string.h>

#include "app.h"
#include "board.h"
#include "frame.h"

enum {
    RAW_FRAME_BYTES = MDY_HEADER_BYTES + MDY_MAX_PAYLOAD + MDY_CRC_BYTES,
    ENCODED_FRAME_BYTES = RAW_FRAME_BYTES + RAW_FRAME_BYTES / 254 + 3
};

static uint8_t rx_frame[ENCODED_FRAME_BYTES];
static uint8_t tx_raw[RAW_FRAME_BYTES];
static uint8_t tx_encoded[ENCODED_FRAME_BYTES];   /* the last reply, kept for duplicates */
static size_t tx_encoded_length;

static int session_open;
static uint16_t last_seq;

static uint16_t next_seq(uint16_t seq)
{
    return (uint16_t)(seq + 1u >= MDY_SEQ_NONE ? 1u : seq + 1u);
}

static void send_encoded(void)
{
    for (size_t i = 0; i < tx_encoded_length; ++i) {
        board_uart_putc(tx_encoded[i]);
    }
    board_uart_flush();
}

/* Frames the payload already written at tx_raw + header; the result stays cached. */
static void send_reply(uint8_t type, uint16_t seq, uint16_t length)
{
    tx_raw[0] = MDY_PROTOCOL_VERSION;
    tx_raw[1] = type;
    put_u16(tx_raw + 2, seq);
    put_u16(tx_raw + 4, length);
    put_u32(tx_raw + MDY_HEADER_BYTES + length, frame_crc32(tx_raw, MDY_HEADER_BYTES + length));
    tx_encoded[0] = 0;   /* leading delimiter flushes any partial frame on the host */
    tx_encoded_length = 1 + cobs_encode(tx_raw, MDY_HEADER_BYTES + length + MDY_CRC_BYTES,
                                        tx_encoded + 1);
    tx_encoded[tx_encoded_length++] = 0;
    send_encoded();
}

static void send_error(uint16_t seq, uint8_t request_type, const app_error_t *error)
{
    uint8_t *p = tx_raw + MDY_HEADER_BYTES;
    p = put_u16(p, error->code);
    p = put_u16(p, error->detail);
    *p++ = request_type;
    *p++ = 0;
    for (uint8_t i = 0; i < error->extra_count; ++i) {
        p = put_u32(p, error->extra[i]);
    }
    send_reply(MSG_ERROR, seq, (uint16_t)(p - (tx_raw + MDY_HEADER_BYTES)));
}

static void send_simple_error(uint16_t seq, uint8_t request_type, uint16_t code, uint16_t detail)
{
    const app_error_t error = {code, detail, {0, 0, 0}, 0};
    send_error(seq, request_type, &error);
}

void app_report_fault(uint32_t kind, uint32_t pc, uint32_t cfsr, uint32_t hfsr)
{
    const app_error_t error = {ERR_FAULT, (uint16_t)kind, {pc, cfsr, hfsr}, 3};
    send_error(MDY_SEQ_NONE, 0, &error);
}

static message_handler_t find_handler(uint8_t type)
{
    for (uint32_t i = 0; i < app_route_count; ++i) {
        if (app_routes[i].type == type) {
            return app_routes[i].handler;
        }
    }
    return 0;
}

static void execute(uint8_t type, uint16_t seq, const uint8_t *payload, uint16_t length)
{
    app_error_t error = {0, 0, {0, 0, 0}, 0};
    reply_t reply = {(uint8_t)(type | MDY_RESPONSE_FLAG), 0, tx_raw + MDY_HEADER_BYTES};
    const message_handler_t handler = find_handler(type);
    if (!handler) {
        error.code = ERR_UNKNOWN_TYPE;
        error.detail = type;
    } else {
        handler(payload, length, &reply, &error);
    }
    session_open = 1;
    last_seq = seq;
    if (error.code != 0) {
        send_error(seq, type, &error);
    } else {
        send_reply(reply.type, seq, reply.length);
    }
    if (type == MSG_SHUTDOWN && error.code == 0) {
        board_exit(0);
    }
}

static void process_frame(uint8_t *frame, size_t encoded_length)
{
    const int decoded = cobs_decode(frame, encoded_length);
    if (decoded < (int)(MDY_HEADER_BYTES + MDY_CRC_BYTES)) {
        send_simple_error(MDY_SEQ_NONE, 0, ERR_BAD_FRAME, 0);
        return;
    }
    const uint16_t payload_length = get_u16(frame + 4);
    if ((size_t)decoded != MDY_HEADER_BYTES + payload_length + MDY_CRC_BYTES) {
        send_simple_error(MDY_SEQ_NONE, 0, ERR_BAD_FRAME, 1);
        return;
    }
    const size_t checked = MDY_HEADER_BYTES + payload_length;
    if (frame_crc32(frame, checked) != get_u32(frame + checked)) {
        send_simple_error(MDY_SEQ_NONE, 0, ERR_BAD_CRC, 0);
        return;
    }
    const uint8_t type = frame[1];
    const uint16_t seq = get_u16(frame + 2);
    if (frame[0] != MDY_PROTOCOL_VERSION) {
        send_simple_error(seq, type, ERR_BAD_VERSION, MDY_PROTOCOL_VERSION);
        return;
    }
    if (type == MSG_HELLO) {   /* opens (or re-opens) a session at any sequence number */
        execute(type, seq, frame + MDY_HEADER_BYTES, payload_length);
    } else if (session_open && seq == last_seq) {
        send_encoded();   /* duplicate: the host lost our reply */
    } else if (session_open && seq == next_seq(last_seq)) {
        execute(type, seq, frame + MDY_HEADER_BYTES, payload_length);
    } else {
        send_simple_error(seq, type, ERR_SEQUENCE, session_open ? next_seq(last_seq) : 0);
    }
}

void session_run(void)
{
    size_t fill = 0;
    int overflow = 0;
    for (;;) {
        const int byte = board_uart_getc();
        if (byte < 0) {
            board_exit(0);   /* the line closed */
        }
        if (byte == 0) {
            if (overflow) {
                send_simple_error(MDY_SEQ_NONE, 0, ERR_OVERFLOW, 0);
            } else if (fill > 0) {
                process_frame(rx_frame, fill);
            }
            fill = 0;
            overflow = 0;
        } else if (fill < sizeof rx_frame) {
            rx_frame[fill++] = (uint8_t)byte;
        } else {
            overflow = 1;
        }
    }
}
