/*
 * mdy_requantize_s32: gemmlowp / TFLite Micro MultiplyByQuantizedMultiplier.
 *   result = RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(acc << left, mult), right)
 *   left = max(shift, 0), right = max(-shift, 0) (right <= 31).
 * Bit-exact with codegen/int8_math.py:requantize. The left shift saturates (see header).
 */
#include "mdy_internal.h"

int32_t mdy_requantize_s32(int32_t acc, int32_t mult, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    int64_t x = (int64_t)acc * ((int64_t)1 << left);
    if (x > INT32_MAX) {
        x = INT32_MAX;
    } else if (x < INT32_MIN) {
        x = INT32_MIN;
    }
    const int32_t a = (int32_t)x;
    int32_t high;
    if (a == INT32_MIN && mult == INT32_MIN) {
        high = INT32_MAX;
    } else {
        const int64_t ab = (int64_t)a * mult;
        const int64_t v = ab + (ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30)));
        /* C division by 2^31 truncates toward zero; shifts keep it off __aeabi_ldivmod */
        high = (int32_t)(v >= 0 ? (v >> 31) : -((-v) >> 31));
    }
    const int32_t mask = (int32_t)(((int64_t)1 << right) - 1);
    const int32_t remainder = high & mask;
    const int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
    return (high >> right) + (remainder > threshold ? 1 : 0);
}
