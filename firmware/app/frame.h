/* CRC-32, COBS and little-endian field access for the serial protocol. */
#ifndef MEDYATE_FRAME_H
#define MEDYATE_FRAME_H

#include <stddef.h>
#include <stdint.h>

uint32_t frame_crc32(const uint8_t *data, size_t length);

/* Encodes `length` bytes into out (room for length + length / 254 + 1); returns the
 * encoded size, without delimiter. */
size_t cobs_encode(const uint8_t *in, size_t length, uint8_t *out);
/* Decodes in place; returns the decoded length or -1 if the block is not valid COBS. */
int cobs_decode(uint8_t *buffer, size_t length);

uint16_t get_u16(const uint8_t *p);
uint32_t get_u32(const uint8_t *p);
float get_f32(const uint8_t *p);
uint8_t *put_u16(uint8_t *p, uint16_t v);
uint8_t *put_u32(uint8_t *p, uint32_t v);
uint8_t *put_u64(uint8_t *p, uint64_t v);
uint8_t *put_f32(uint8_t *p, float v);
uint8_t *put_str(uint8_t *p, const char *s, uint8_t max_length);

#endif /* MEDYATE_FRAME_H */
