/*
 * A small, honest stand-in for a generated model (until the code generator exists):
 * a two-layer perceptron on a 2x4x4 input, 32 -> 16 (ReLU) -> 4 classes, trained with the
 * sparse-input-channel semantics of model_api.h (channels = input features of a gemm).
 */
#ifndef MEDYATE_FAKE_MODEL_H
#define MEDYATE_FAKE_MODEL_H

#include "medyate/model_api.h"

/* Capacities the device application sizes its static buffers with. */
#define MDY_MODEL_INPUT_ELEMS 32u
#define MDY_MODEL_INPUT_C 2u
#define MDY_MODEL_NUM_CLASSES 4u
#define MDY_MODEL_NUM_LAYERS 2u
#define MDY_MODEL_MAX_WEIGHT_ELEMS 512u
#define MDY_MODEL_MAX_OUT_CHANNELS 16u
#define MDY_MODEL_TOTAL_CHANNELS 48u
#define MDY_MODEL_TOTAL_OUT_CHANNELS 20u

#endif /* MEDYATE_FAKE_MODEL_H */
