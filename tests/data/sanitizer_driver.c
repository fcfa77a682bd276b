/* A training step of a generated model, for builds under -fsanitize=address,undefined:
 * full schedule on every layer, one sample, one SGD update, then an inference pass. Any
 * out-of-bounds read or undefined behaviour in model.c or the kernels aborts the run. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "medyate/model_api.h"

int main(void)
{
    const mdy_model_info_t *info = model_info();
    const uint32_t n_in = info->input_c * info->input_h * info->input_w;
    uint32_t total = 0;
    for (uint32_t l = 0; l < info->num_layers; ++l) {
        total += info->layers[l].in_channels;
    }
    uint16_t *counts = calloc(info->num_layers + 1u, sizeof(uint16_t));
    uint16_t *channels = calloc(total + 1u, sizeof(uint16_t));
    float *x = malloc(sizeof(float) * n_in);
    float *logits = malloc(sizeof(float) * info->num_classes);
    if (!counts || !channels || !x || !logits) {
        return 3;
    }
    uint32_t k = 0;
    for (uint32_t l = 0; l < info->num_layers; ++l) {
        counts[l] = (uint16_t)info->layers[l].in_channels;
        for (uint32_t c = 0; c < info->layers[l].in_channels; ++c) {
            channels[k++] = (uint16_t)c;
        }
    }
    for (uint32_t i = 0; i < n_in; ++i) {
        x[i] = (float)((i * 37u) % 17u) / 17.0f - 0.5f;
    }
    float loss = 0.0f;
    int rc = model_set_schedule(counts, channels);
    rc = rc ? rc : model_train_sample(x, 0u, &loss, logits);
    rc = rc ? rc : model_apply_update(0.01f, 1u);
    rc = rc ? rc : model_forward(x, logits);
    printf("rc %d loss %f logit0 %f\n", rc, (double)loss, (double)logits[0]);
    free(counts); free(channels); free(x); free(logits);
    return rc;
}
