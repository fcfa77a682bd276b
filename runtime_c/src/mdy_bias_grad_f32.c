/*
 * mdy_bias_grad_f32: db[ch] += sum of the ch-th plane of dout.
 *   dout [c][hw] (hw = 1 for a gemm), db [c] ACCUMULATED. No scratch.
 */
#include "mdy_internal.h"

void mdy_bias_grad_f32(const float *dout, uint32_t c, uint32_t hw, float *db)
{
    for (uint32_t ch = 0; ch < c; ++ch) {
        const float *plane = dout + (size_t)ch * hw;
        float acc = 0.0f;
        for (uint32_t i = 0; i < hw; ++i) {
            acc += plane[i];
        }
        db[ch] += acc;
    }
}
