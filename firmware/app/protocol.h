/*
 * Wire protocol shared with host_tools/protocol.py; documented in docs/protocol.md.
 * Frame before COBS: [u8 version][u8 type][u16 seq][u16 length][payload][u32 crc32],
 * little endian, CRC-32 (zlib polynomial) over header + payload; COBS-encoded and
 * delimited by 0x00 on both sides.
 */
#ifndef MEDYATE_PROTOCOL_H
#define MEDYATE_PROTOCOL_H

#define MDY_PROTOCOL_VERSION 2u
#define MDY_HEADER_BYTES 6u
#define MDY_CRC_BYTES 4u
#define MDY_MAX_PAYLOAD 1024u
#define MDY_SEQ_NONE 0xFFFFu   /* sequence of replies to frames that could not be read */
#define MDY_RESPONSE_FLAG 0x80u

enum mdy_message_type {
    MSG_HELLO = 0x01,
    MSG_LAYER_INFO = 0x02,
    MSG_SET_AFFINE = 0x03,
    MSG_SCHEDULE_DATA = 0x04,
    MSG_SCHEDULE_COMMIT = 0x05,
    MSG_PING = 0x06,   /* resolves a request the host gives up on (docs/protocol.md) */
    MSG_TRAIN = 0x10,
    MSG_EVALUATE = 0x11,
    MSG_SAMPLE_CHUNK = 0x12,
    MSG_TRAIN_STAGED = 0x13,
    MSG_EVALUATE_STAGED = 0x14,
    MSG_TRAIN_PRELOADED = 0x15,
    MSG_EVALUATE_PRELOADED = 0x16,
    MSG_APPLY_UPDATE = 0x20,
    MSG_ZERO_GRAD = 0x21,
    MSG_RESET_WEIGHTS = 0x22,
    MSG_EPOCH_END = 0x23,
    MSG_CHANNEL_NORMS = 0x24,
    MSG_MEMORY = 0x25,
    MSG_READ_TENSOR = 0x26,
    MSG_WRITE_TENSOR = 0x27,
    MSG_SHUTDOWN = 0x2F,
    MSG_ERROR = 0xFF
};

enum mdy_error_code {
    ERR_BAD_CRC = 1,       /* transport: retransmit */
    ERR_BAD_FRAME = 2,     /* transport: COBS or length inconsistent; retransmit */
    ERR_OVERFLOW = 3,      /* transport: frame longer than the RX buffer; retransmit */
    ERR_BAD_VERSION = 4,
    ERR_SEQUENCE = 5,      /* neither the next nor the last sequence number */
    ERR_UNKNOWN_TYPE = 6,
    ERR_BAD_LENGTH = 7,    /* payload length does not match the message */
    ERR_MODEL = 8,         /* detail = MDY_ERR_* from model_api.h */
    ERR_CAPACITY = 9,      /* exceeds a device buffer */
    ERR_STATE = 10,        /* out of order (e.g. staged input overwritten) */
    ERR_UNSUPPORTED = 11,  /* e.g. no preloaded dataset on this board */
    ERR_FAULT = 12         /* the CPU faulted; detail = fault kind */
};

enum mdy_sample_encoding {
    ENC_F32 = 0,   /* float32 little endian */
    ENC_U8 = 1,    /* uint8, x = u8 * scale[c] + offset[c] (SET_AFFINE) */
    ENC_S8 = 2     /* int8 quantized with the model input's scale and zero point; only
                      where HELLO's encodings bitmask offers it (int8-input models) */
};

enum mdy_ping_mode {
    PING_STATUS = 0,   /* seq already ran: answer [1, its type], not its cached reply */
    PING_REPLAY = 1    /* seq already ran: re-send its cached reply */
};

enum mdy_tensor_kind {
    TENSOR_WEIGHT = 0,
    TENSOR_BIAS = 1,
    TENSOR_WEIGHT_GRAD = 2,
    TENSOR_BIAS_GRAD = 3
};

#define MDY_PRELOAD_MAGIC 0x4459444Du   /* "MDYD" little endian */
#define MDY_PRELOAD_HEADER_BYTES 32u

#endif /* MEDYATE_PROTOCOL_H */
