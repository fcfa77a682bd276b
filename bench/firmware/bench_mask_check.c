/*
 * Bench firmware, mask check mode (CMake option BENCH_MASK_CHECK): runs
 * mdy_clamp_mask_f32 and then mdy_mask_apply_f32 on the cases of mask_cases.h (written
 * by tests/test_kernels_mask_qemu.py) as the Cortex-M4F build runs them -- the Thumb-2
 * assembly word loops, and the C head / tail around them -- and prints the results,
 * canaries around them included, as hex: "M <case> <bytes>" (the mask buffer from 0 to
 * 4 bytes past the mask), "G <case> <words>" (the gradient buffer likewise), then "DONE".
 * Each case places y, mask and g at its own offsets from an aligned buffer.
 */
#include <stdint.h>
#include <string.h>

#include "bench_uart.h"
#include "board.h"
#include "mask_cases.h"
#include "medyate/kernels.h"

#define MASK_CANARY 0xAAu
#define G_CANARY 0xDEADBEEFu

static float buf_y[MC_MAX_N + 8];
static float buf_g[MC_MAX_N + 8];
static uint8_t buf_mask[MC_MAX_N / 8 + 16] __attribute__((aligned(4)));

static void put_hex(uint32_t v, int digits)
{
    for (int sh = 4 * (digits - 1); sh >= 0; sh -= 4) {
        board_uart_putc((uint8_t)"0123456789abcdef"[(v >> sh) & 15u]);
    }
}

static float from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

int main(void)
{
    board_init();
    for (uint32_t c = 0; c < MC_N_CASES; ++c) {
        const mc_case_t *k = &MC_CASES[c];
        const uint32_t nbytes = (k->n + 7u) / 8u;
        float *y = buf_y + k->y_shift, *g = buf_g + k->g_shift;
        uint8_t *mask = buf_mask + k->m_shift;
        memset(buf_mask, (int)MASK_CANARY, sizeof buf_mask);
        for (uint32_t i = 0; i < MC_MAX_N + 8u; ++i) {
            buf_g[i] = from_bits(G_CANARY);
        }
        memcpy(y, MC_Y + k->off, k->n * sizeof(float));
        memcpy(g, MC_G + k->off, k->n * sizeof(float));
        mdy_clamp_mask_f32(y, k->n, from_bits(k->lo), from_bits(k->hi), mask);
        mdy_mask_apply_f32(g, mask, k->n);
        put_str("M ");
        put_u64(c);
        put_str(" ");
        for (uint32_t i = 0; i < k->m_shift + nbytes + 4u; ++i) {
            put_hex(buf_mask[i], 2);
        }
        put_str("\nG ");
        put_u64(c);
        for (uint32_t i = 0; i < k->g_shift + k->n + 4u; ++i) {
            uint32_t u;
            memcpy(&u, &buf_g[i], sizeof u);
            put_str(" ");
            put_hex(u, 8);
        }
        put_str("\n");
    }
    put_str("DONE\n");
    board_exit(0);
}
