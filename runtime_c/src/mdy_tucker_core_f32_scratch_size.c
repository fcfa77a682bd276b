/*
 * mdy_tucker_core_f32_scratch_size: bytes of scratch mdy_tucker_core_f32 needs:
 *   (h * k3 + k2 * k3) floats (one plane times u3, then u2^T times that).
 */
#include "mdy_internal.h"

size_t mdy_tucker_core_f32_scratch_size(uint32_t h, uint32_t k2, uint32_t k3)
{
    return sizeof(float) * ((size_t)h * k3 + (size_t)k2 * k3);
}
