/* The staged model input (sample_input.c): one sample, decoded from the encoding the
 * host sent into the element type the model takes. */
#ifndef MEDYATE_SAMPLE_INPUT_H
#define MEDYATE_SAMPLE_INPUT_H

#include <stdint.h>

void sample_input_init(void);
/* bit e set: encoding e (enum mdy_sample_encoding) is accepted (HELLO) */
uint16_t sample_encodings(void);
int sample_encoding_ok(uint32_t encoding);
uint32_t sample_element_bytes(uint8_t encoding);
void sample_set_affine(uint32_t channel, float scale, float offset);
/* Decodes `count` elements of an `encoding` sample starting at element `first`. */
void sample_decode(const uint8_t *src, uint8_t encoding, uint32_t first, uint32_t count);
/* The model on the staged sample (model_train_sample / model_forward or their _s8). */
int sample_train(uint32_t label, float *loss, float *logits);
void sample_forward(float *logits);
/* The read-back scratch shares the staged sample's buffer (never needed together). */
float *sample_tensor_scratch(void);

#endif /* MEDYATE_SAMPLE_INPUT_H */
