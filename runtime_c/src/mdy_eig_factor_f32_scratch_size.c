/*
 * mdy_eig_factor_f32_scratch_size: bytes of scratch mdy_eig_factor_f32 needs for a mode
 *   of `rows` rows: the Gram matrix and its eigenvectors (rows x rows each) and the
 *   eigenvalues (rows).
 */
#include "mdy_internal.h"

size_t mdy_eig_factor_f32_scratch_size(uint32_t rows)
{
    return sizeof(float) * (2u * (size_t)rows * rows + rows);
}
