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

enum { NOTICE_PAYLOAD_BYTES = 20, NOTICE_RAW_BYTES = MDY_HEADER_BYTES + NOTICE_PAYLOAD_BYTES + MDY_CRC_BYTES };

typedef struct {
    uint8_t *raw;          /* header + payload + crc, payload written by the caller */
    uint8_t *encoded;      /* leading 0 + COBS + trailing 0 */
    size_t encoded_length;
} tx_slot_t;

static uint8_t rx_frame[ENCODED_FRAME_BYTES];
/* The reply to the last executed request, kept to answer a retransmission of it. */
static uint8_t reply_raw[RAW_FRAME_BYTES];
static uint8_t reply_encoded[ENCODED_FRAME_BYTES];
static tx_slot_t reply_slot = {reply_raw, reply_encoded, 0};
/* Replies to frames that were not executed (damaged, out of sequence) must never
 * replace that cached reply: they go through their own small buffers. */
static uint8_t notice_raw[NOTICE_RAW_BYTES];
static uint8_t notice_encoded[NOTICE_RAW_BYTES + 4];
static tx_slot_t notice_slot = {notice_raw, notice_encoded, 0};

static int session_open;
static uint16_t last_seq;
static uint8_t last_type;   /* type of the request behind the cached reply */

static uint16_t next_seq(uint16_t seq)
{
    return (uint16_t)(seq + 1u >= MDY_SEQ_NONE ? 1u : seq + 1u);
}

static void send_encoded(const tx_slot_t *slot)
{
    for (size_t i = 0; i < slot->encoded_length; ++i) {
        board_uart_putc(slot->encoded[i]);
    }
    board_uart_flush();
}

/* Frames the payload already written at slot->raw + header and sends it. */
static void send_reply(tx_slot_t *slot, uint8_t type, uint16_t seq, uint16_t length)
{
    uint8_t *raw = slot->raw;
    raw[0] = MDY_PROTOCOL_VERSION;
    raw[1] = type;
    put_u16(raw + 2, seq);
    put_u16(raw + 4, length);
    put_u32(raw + MDY_HEADER_BYTES + length, frame_crc32(raw, MDY_HEADER_BYTES + length));
    slot->encoded[0] = 0;   /* leading delimiter flushes any partial frame on the host */
    slot->encoded_length =
        1 + cobs_encode(raw, MDY_HEADER_BYTES + length + MDY_CRC_BYTES, slot->encoded + 1);
    slot->encoded[slot->encoded_length++] = 0;
    send_encoded(slot);
}

static void send_error(tx_slot_t *slot, uint16_t seq, uint8_t request_type, const app_error_t *error)
{
    uint8_t *payload = slot->raw + MDY_HEADER_BYTES;
    uint8_t *p = put_u16(payload, error->code);
    p = put_u16(p, error->detail);
    *p++ = request_type;
    *p++ = 0;
    for (uint8_t i = 0; i < error->extra_count; ++i) {
        p = put_u32(p, error->extra[i]);
    }
    send_reply(slot, MSG_ERROR, seq, (uint16_t)(p - payload));
}

static void send_notice(uint16_t seq, uint8_t request_type, uint16_t code, uint16_t detail)
{
    const app_error_t error = {code, detail, {0, 0, 0}, 0};
    send_error(&notice_slot, seq, request_type, &error);
}

void app_report_fault(uint32_t kind, uint32_t pc, uint32_t cfsr, uint32_t hfsr)
{
    const app_error_t error = {ERR_FAULT, (uint16_t)kind, {pc, cfsr, hfsr}, 3};
    send_error(&notice_slot, MDY_SEQ_NONE, 0, &error);
}

/* PING [u8 mode] with the seq of a request the host gave up on: if that request ran,
 * mode PING_STATUS answers [u8 1, u8 its type] (from the notice buffer, so the cached
 * reply stays); otherwise the ping itself takes the seq and answers [u8 0, u8 0]. */
static void send_ping_status(uint16_t seq)
{
    uint8_t *payload = notice_slot.raw + MDY_HEADER_BYTES;
    payload[0] = 1;
    payload[1] = last_type;
    send_reply(&notice_slot, (uint8_t)(MSG_PING | MDY_RESPONSE_FLAG), seq, 2);
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
    reply_t reply = {(uint8_t)(type | MDY_RESPONSE_FLAG), 0, reply_raw + MDY_HEADER_BYTES};
    const message_handler_t handler = find_handler(type);
    if (!handler) {
        error.code = ERR_UNKNOWN_TYPE;
        error.detail = type;
    } else {
        handler(payload, length, &reply, &error);
    }
    session_open = 1;
    last_seq = seq;
    last_type = type;
    if (error.code != 0) {
        send_error(&reply_slot, seq, type, &error);
    } else {
        send_reply(&reply_slot, reply.type, seq, reply.length);
    }
    if (type == MSG_SHUTDOWN && error.code == 0) {
        board_exit(0);
    }
}

static void process_frame(uint8_t *frame, size_t encoded_length)
{
    const int decoded = cobs_decode(frame, encoded_length);
    if (decoded < (int)(MDY_HEADER_BYTES + MDY_CRC_BYTES)) {
        send_notice(MDY_SEQ_NONE, 0, ERR_BAD_FRAME, 0);
        return;
    }
    const uint16_t payload_length = get_u16(frame + 4);
    if ((size_t)decoded != MDY_HEADER_BYTES + payload_length + MDY_CRC_BYTES) {
        send_notice(MDY_SEQ_NONE, 0, ERR_BAD_FRAME, 1);
        return;
    }
    const size_t checked = MDY_HEADER_BYTES + payload_length;
    if (frame_crc32(frame, checked) != get_u32(frame + checked)) {
        send_notice(MDY_SEQ_NONE, 0, ERR_BAD_CRC, 0);
        return;
    }
    const uint8_t type = frame[1];
    const uint16_t seq = get_u16(frame + 2);
    if (frame[0] != MDY_PROTOCOL_VERSION) {
        send_notice(seq, type, ERR_BAD_VERSION, MDY_PROTOCOL_VERSION);
        return;
    }
    if (type == MSG_HELLO) {   /* opens (or re-opens) a session at any sequence number */
        execute(type, seq, frame + MDY_HEADER_BYTES, payload_length);
    } else if (session_open && seq == last_seq && type == MSG_PING && payload_length >= 1 &&
               frame[MDY_HEADER_BYTES] == PING_STATUS && last_type != MSG_PING) {
        send_ping_status(seq);   /* the host asks whether seq ran, not for its reply */
    } else if (session_open && seq == last_seq) {
        send_encoded(&reply_slot);   /* duplicate: the host lost our reply */
    } else if (session_open && seq == next_seq(last_seq)) {
        execute(type, seq, frame + MDY_HEADER_BYTES, payload_length);
    } else {
        send_notice(seq, type, ERR_SEQUENCE, session_open ? next_seq(last_seq) : 0);
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
                send_notice(MDY_SEQ_NONE, 0, ERR_OVERFLOW, 0);
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
