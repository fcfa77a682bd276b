/*
 * mdy_softmax_xent_f32: softmax cross-entropy of one sample.
 *   logits [n], label < n. Returns -log softmax(logits)[label] (natural log).
 *   dlogits [n] or NULL: overwritten with (softmax(logits) - onehot(label)) * scale
 *   (scale = 1/batch gives the gradient of the batch mean). dlogits may alias logits.
 * Numerically stable: the maximum logit is subtracted before expf, and the loss is
 * formed as log(sum exp(l - max)) - (l[label] - max), never as log(softmax).
 * A label >= n returns NAN and leaves dlogits untouched. No scratch.
 */
#include <math.h>

#include "mdy_internal.h"

float mdy_softmax_xent_f32(const float *logits, uint32_t n, uint32_t label, float scale,
                           float *dlogits)
{
    if (label >= n) {
        return NAN;
    }
    float max_logit = logits[0];
    for (uint32_t i = 1; i < n; ++i) {
        if (logits[i] > max_logit) {
            max_logit = logits[i];
        }
    }
    float sum = 0.0f;
    for (uint32_t i = 0; i < n; ++i) {
        sum += expf(logits[i] - max_logit);
    }
    const float loss = logf(sum) - (logits[label] - max_logit);
    if (dlogits != NULL) {
        const float inv_sum = 1.0f / sum;
        for (uint32_t i = 0; i < n; ++i) {
            const float prob = expf(logits[i] - max_logit) * inv_sum;
            dlogits[i] = (prob - (i == label ? 1.0f : 0.0f)) * scale;
        }
    }
    return loss;
}
