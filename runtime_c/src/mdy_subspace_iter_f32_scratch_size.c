/*
 * mdy_subspace_iter_f32_scratch_size: bytes of scratch mdy_subspace_iter_f32 needs for
 *   a factor of `rows` rows and rank k: the (rows x k) product plus k floats for U^T f.
 */
#include "mdy_internal.h"

size_t mdy_subspace_iter_f32_scratch_size(uint32_t rows, uint32_t k)
{
    return sizeof(float) * ((size_t)rows * k + k);
}
