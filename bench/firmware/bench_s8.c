/*
 * Bench firmware, int8 mode (BENCH_S8): instruction counts of mdy_conv2d_s8 and
 * mdy_gemm_s8 (cases_s8.h, written by bench/kernels_s8.py), and -- when a case carries
 * its own data (check mode, the QEMU test of tests/test_int8_kernels_qemu.py) -- its
 * output bytes, so the Cortex-M4 build (the __ARM_FEATURE_DSP paths) is compared with
 * the numpy oracle bit for bit. Lines: "R <case> <reps> <instructions>",
 * "O <case> <hex bytes>", then "DONE".
 */
#include <stdint.h>

#include "bench_uart.h"
#include "board.h"
#include "cases_s8.h"
#include "medyate/kernels.h"

static int8_t buf_x[S8_BUF_ELEMS], buf_w[S8_BUF_ELEMS], buf_y[S8_BUF_ELEMS];
static int32_t buf_bias[S8_MAX_CH], buf_mult[S8_MAX_CH], buf_shift[S8_MAX_CH];

/* Deterministic int8 data for the timing cases (values only steer the clamps). */
static void fill(int8_t *x, uint32_t n, uint32_t seed)
{
    uint32_t s = seed * 2654435761u + 1u;
    for (uint32_t i = 0; i < n; ++i) {
        s = s * 1664525u + 1013904223u;
        x[i] = (int8_t)(s >> 24);
    }
}

static int32_t buf_rq[4u * S8_MAX_CH];

/* What a case's call reads besides the case itself: the requantization struct and, for a
 * gemm the compiler gives a prepared table (mdy_gemm_s8_rq: in_f in the fast range and
 * the table made; check mode: the case's own table, from codegen/int8_math.py), that
 * table. Made once per case, outside the timed loop, as the compiled model's constants
 * are. */
typedef struct {
    mdy_s8_requant_t q;
    const int32_t *rq; /* NULL: mdy_gemm_s8 */
} s8_call_t;

static s8_call_t prepare_case(const s8_case_t *c)
{
    s8_call_t k = {{c->in_zp, c->out_zp, c->act_min, c->act_max,
                    c->mult ? c->mult : buf_mult, c->shift ? c->shift : buf_shift},
                   c->rq};
    if (c->kind == S8_GEMM && !c->x && c->in_f >= MDY_GEMM_S8_RQ_MIN_IN_F &&
        c->in_f <= MDY_GEMM_S8_RQ_MAX_IN_F &&
        mdy_gemm_s8_prepare(buf_bias, k.q.mult, k.q.shift, c->out_zp, c->out_f, buf_rq)) {
        k.rq = buf_rq;
    }
    return k;
}

static void run_case(const s8_case_t *c, const s8_call_t *k)
{
    const int8_t *x = c->x ? c->x : buf_x;
    const int8_t *w = c->w ? c->w : buf_w;
    const int32_t *bias = c->x ? c->bias : buf_bias;
    if (c->kind == S8_CONV) {
        mdy_conv2d_s8(x, &c->p, &k->q, w, bias, buf_y);
    } else if (k->rq) {
        mdy_gemm_s8_rq(x, c->in_f, c->out_f, w, k->rq, &k->q, buf_y);
    } else {
        mdy_gemm_s8(x, c->in_f, c->out_f, w, bias, &k->q, buf_y);
    }
}

int main(void)
{
    static const char hex[] = "0123456789abcdef";
    board_init();
    fill(buf_x, S8_BUF_ELEMS, 1u);
    fill(buf_w, S8_BUF_ELEMS, 2u);
    for (uint32_t i = 0; i < S8_MAX_CH; ++i) {
        buf_bias[i] = (int32_t)(i * 37u) - 1000;
        buf_mult[i] = 1518500250 + (int32_t)i * 1000;   /* ~0.7 in Q31 */
        buf_shift[i] = -9;
    }
    {
        const uint64_t t0 = board_timer_read();
        for (volatile uint32_t r = 0; r < 1000u; ++r) {
        }
        put_str("R 65535 1000 ");
        put_u64(board_timer_read() - t0);
        put_str("\n");
    }
    for (uint32_t i = 0; i < S8_N_CASES; ++i) {
        const s8_case_t *c = &S8_CASES[i];
        const s8_call_t k = prepare_case(c);
        run_case(c, &k); /* warm-up */
        if (c->x) {
            put_str("O ");
            put_u64(i);
            put_str(" ");
            for (uint32_t k = 0; k < c->out_n; ++k) {
                board_uart_putc((uint8_t)hex[((uint8_t)buf_y[k]) >> 4]);
                board_uart_putc((uint8_t)hex[((uint8_t)buf_y[k]) & 15u]);
            }
            put_str("\n");
        }
        const uint64_t t0 = board_timer_read();
        for (uint32_t r = 0; r < c->reps; ++r) {
            run_case(c, &k);
        }
        put_str("R ");
        put_u64(i);
        put_str(" ");
        put_u64(c->reps);
        put_str(" ");
        put_u64(board_timer_read() - t0);
        put_str("\n");
    }
    put_str("DONE\n");
    board_exit(0);
}
