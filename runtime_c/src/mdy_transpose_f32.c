/*
 * mdy_transpose_f32: y = x permuted: x is row-major with dims[0..rank), y has dims
 * dims[perm[0]], ..., dims[perm[rank-1]] and y[j0..] = x[i] with i[perm[k]] = j[k]
 * (numpy.transpose). rank <= 6. y must not alias x. No scratch. Channel shuffle is
 * (g, c/g, h, w) with perm (1, 0, 2, 3).
 */
#include "mdy_internal.h"

#define MDY_TRANSPOSE_MAX_RANK 6u

void mdy_transpose_f32(const float *x, float *y, uint32_t rank, const uint32_t *dims,
                       const uint32_t *perm)
{
    uint32_t in_stride[MDY_TRANSPOSE_MAX_RANK];
    uint32_t stride[MDY_TRANSPOSE_MAX_RANK];   /* x stride of each y axis */
    uint32_t extent[MDY_TRANSPOSE_MAX_RANK];
    uint32_t idx[MDY_TRANSPOSE_MAX_RANK] = {0u};
    uint32_t total = 1u;
    if (rank == 0u || rank > MDY_TRANSPOSE_MAX_RANK) {
        return;
    }
    for (uint32_t k = rank; k-- > 0u;) {
        in_stride[k] = total;
        total *= dims[k];
    }
    for (uint32_t k = 0; k < rank; ++k) {
        stride[k] = in_stride[perm[k]];
        extent[k] = dims[perm[k]];
    }
    uint32_t src = 0u;
    for (uint32_t j = 0; j < total; ++j) {
        y[j] = x[src];
        /* odometer over y's axes, last fastest; src follows with x's strides */
        for (uint32_t k = rank; k-- > 0u;) {
            idx[k] += 1u;
            src += stride[k];
            if (idx[k] < extent[k]) {
                break;
            }
            src -= stride[k] * extent[k];
            idx[k] = 0u;
        }
    }
}
