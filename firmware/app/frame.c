#include "frame.h"

#include <string.h>

/* Nibble-table CRC-32 (reflected 0xEDB88320, as zlib): 64 bytes of table, not 1 KB. */
static const uint32_t crc_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
    0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t frame_crc32(const uint8_t *data, size_t length)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < length; ++i) {
        crc ^= data[i];
        crc = (crc >> 4) ^ crc_nibble[crc & 0xFu];
        crc = (crc >> 4) ^ crc_nibble[crc & 0xFu];
    }
    return crc ^ 0xFFFFFFFFu;
}

size_t cobs_encode(const uint8_t *in, size_t length, uint8_t *out)
{
    size_t code_index = 0, write = 1;
    uint8_t code = 1;
    for (size_t i = 0; i < length; ++i) {
        if (in[i] != 0) {
            out[write++] = in[i];
            code++;
        }
        if (in[i] == 0 || code == 0xFF) {
            out[code_index] = code;
            code_index = write++;
            code = 1;
        }
    }
    out[code_index] = code;
    return write;
}

int cobs_decode(uint8_t *buffer, size_t length)
{
    size_t read = 0, write = 0;
    while (read < length) {
        const uint8_t code = buffer[read++];
        if (code == 0 || read + (size_t)(code - 1) > length) {
            return -1;
        }
        for (uint8_t i = 1; i < code; ++i) {
            const uint8_t byte = buffer[read++];
            if (byte == 0) {
                return -1;
            }
            buffer[write++] = byte;
        }
        if (code != 0xFF && read < length) {
            buffer[write++] = 0;
        }
    }
    return (int)write;
}

uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

float get_f32(const uint8_t *p)
{
    const uint32_t bits = get_u32(p);
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

uint8_t *put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    return p + 2;
}

uint8_t *put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; ++i) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
    return p + 4;
}

uint8_t *put_u64(uint8_t *p, uint64_t v)
{
    p = put_u32(p, (uint32_t)v);
    return put_u32(p, (uint32_t)(v >> 32));
}

uint8_t *put_f32(uint8_t *p, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    return put_u32(p, bits);
}

uint8_t *put_str(uint8_t *p, const char *s, uint8_t max_length)
{
    size_t n = strlen(s);
    if (n > max_length) {
        n = max_length;
    }
    *p++ = (uint8_t)n;
    memcpy(p, s, n);
    return p + n;
}
