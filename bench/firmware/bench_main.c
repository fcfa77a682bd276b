/*
 * Bench firmware: instruction counts of runtime kernels (kernel mode) or of one
 * generated model's forward pass and training step (model mode, BENCH_MODEL).
 * Counts come from board_timer_read(): SysTick under QEMU -icount shift=0, one tick =
 * 40 instructions, so each case runs `reps` times and the empty-loop overhead is
 * subtracted. Results go to UART0 as text lines "R <case> <reps> <instructions>".
 */
#include <stdint.h>

#include "bench_uart.h"
#include "board.h"
#include "cases.h"
#include "medyate/kernels.h"
#ifdef BENCH_MODEL
#include "model.h"
#ifdef BENCH_PROFILE_STEP
extern uint64_t bench_prof[];
#endif
#endif

static void report(uint32_t index, uint32_t reps, uint64_t instr)
{
    put_str("R ");
    put_u64(index);
    put_str(" ");
    put_u64(reps);
    put_str(" ");
    put_u64(instr);
    put_str("\n");
}

/* Deterministic inputs in [-1, 1): the values only steer the clamps' branches. */
static void fill(float *x, uint32_t n, uint32_t seed)
{
    uint32_t s = seed * 2654435761u + 1u;
    for (uint32_t i = 0; i < n; ++i) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)(int32_t)(s >> 8) * (1.0f / 8388608.0f) - 1.0f;
    }
}

#ifndef BENCH_MODEL
static float buf_a[BENCH_BUF_ELEMS], buf_b[BENCH_BUF_ELEMS], buf_c[BENCH_BUF_ELEMS],
    buf_d[BENCH_BUF_ELEMS];
static uint8_t mask[BENCH_BUF_ELEMS / 8 + 1];
static uint16_t channels[1024];

static void run_case(const bench_case_t *c)
{
    const mdy_conv_params_t *p = &c->p;
    switch (c->kind) {
    case BENCH_CONV_FWD:
        mdy_conv2d_f32(buf_a, p, buf_b, buf_d, buf_c);
        break;
    case BENCH_CONV_IGRAD:
        mdy_conv2d_input_grad_f32(buf_a, p, buf_b, buf_c);
        break;
    case BENCH_CONV_WGRAD:
        mdy_conv2d_weight_grad_f32(buf_d, channels, c->n_sel, buf_a, p, buf_c);
        break;
    case BENCH_GEMM_FWD:
        mdy_gemm_f32(buf_a, c->in_f, c->out_f, buf_b, buf_d, p->act_min, p->act_max, buf_c);
        break;
    case BENCH_GEMM_IGRAD:
        mdy_gemm_input_grad_f32(buf_a, buf_b, c->in_f, c->out_f, buf_c);
        break;
    case BENCH_GEMM_WGRAD:
        mdy_gemm_weight_grad_f32(buf_d, c->n_sel, buf_a, c->out_f, buf_c);
        break;
    case BENCH_MASK_BUILD:
        mdy_clamp_mask_f32(buf_a, c->in_f, 0.0f, 6.0f, mask);
        break;
    case BENCH_MASK_APPLY:
        mdy_mask_apply_f32(buf_c, mask, c->in_f);
        break;
    case BENCH_ADD: /* residual add of in_f elements */
        mdy_add_f32(buf_a, buf_b, buf_c, c->in_f);
        break;
    case BENCH_ADD_INPLACE: /* out aliasing the first operand */
        mdy_add_f32(buf_c, buf_b, buf_c, c->in_f);
        break;
    case BENCH_AVGPOOL: /* out_f planes of in_f values */
        mdy_global_avgpool_f32(buf_a, c->out_f, c->in_f, buf_c);
        break;
    default:
        break;
    }
}

#ifdef BENCH_CHECK
/* Check mode (tests/test_kernels_qemu.py, and tests/test_kernels_dw_weight_grad_sizes.py
 * for weight gradients): every case runs once on the fixed
 * inputs and its output goes to the UART as hex words, "O <case> <n> <w0> <w1> ...". */
static void put_hex(uint32_t v)
{
    for (int sh = 28; sh >= 0; sh -= 4) {
        board_uart_putc((uint8_t)"0123456789abcdef"[(v >> sh) & 15u]);
    }
}

static void check_cases(void)
{
    for (uint32_t i = 0; i < BENCH_N_CASES; ++i) {
        const bench_case_t *c = &BENCH_CASES[i];
        uint32_t n = c->kind == BENCH_GEMM_FWD
                         ? c->out_f
                         : (uint32_t)c->p.out_c * c->p.out_h * c->p.out_w;
        if (c->kind == BENCH_CONV_WGRAD) { /* n_sel slices [out_c/groups][k_h][k_w] */
            n = c->n_sel * (uint32_t)(c->p.out_c / c->p.groups) * c->p.k_h * c->p.k_w;
        } else if (c->kind == BENCH_CONV_IGRAD) {
            n = (uint32_t)c->p.in_c * c->p.in_h * c->p.in_w;
        }
        if (c->kind == BENCH_GEMM_IGRAD || c->kind == BENCH_ADD ||
            c->kind == BENCH_ADD_INPLACE) {
            n = c->in_f;
        }
        if (c->kind == BENCH_AVGPOOL) {
            n = c->out_f;
        }
        if (c->kind == BENCH_GEMM_WGRAD) { /* n_sel slices [out_f] */
            n = c->n_sel * c->out_f;
        }
        fill(buf_c, n, 4u); /* the kernels overwrite (wgrad: accumulates onto these) */
        run_case(c);
        put_str("O ");
        put_u64(i);
        put_str(" ");
        put_u64(n);
        for (uint32_t j = 0; j < n; ++j) {
            union { float f; uint32_t u; } v;
            v.f = buf_c[j];
            put_str(" ");
            put_hex(v.u);
        }
        put_str("\n");
    }
}
#endif

int main(void)
{
    board_init();
    fill(buf_a, BENCH_BUF_ELEMS, 1u);
    fill(buf_b, BENCH_BUF_ELEMS, 2u);
    fill(buf_d, BENCH_BUF_ELEMS, 3u);
    for (uint32_t i = 0; i < 1024u; ++i) {
        channels[i] = (uint16_t)i;
    }
#ifdef BENCH_CHECK
    check_cases();
    put_str("DONE\n");
    board_exit(0);
#endif
    /* overhead of the timing loop itself, per repetition */
    {
        const uint64_t t0 = board_timer_read();
        for (volatile uint32_t r = 0; r < 1000u; ++r) {
        }
        report(0xFFFFu, 1000u, board_timer_read() - t0);
    }
    for (uint32_t i = 0; i < BENCH_N_CASES; ++i) {
        const bench_case_t *c = &BENCH_CASES[i];
        run_case(c); /* warm-up: same instruction count, keeps the timing honest */
        const uint64_t t0 = board_timer_read();
        for (uint32_t r = 0; r < c->reps; ++r) {
            run_case(c);
        }
        report(i, c->reps, board_timer_read() - t0);
    }
    put_str("DONE\n");
    board_exit(0);
}
#else
static float input[MDY_MODEL_INPUT_ELEMS];
static float logits[MDY_MODEL_NUM_CLASSES];

int main(void)
{
    board_init();
    fill(input, MDY_MODEL_INPUT_ELEMS, 1u);
    if (model_set_schedule(BENCH_SCHED_COUNTS, BENCH_SCHED_CHANNELS) != 0) {
        put_str("SCHEDULE_FAILED\n");
        board_exit(1);
    }
    float loss = 0.0f;
    model_forward(input, logits);
    uint64_t t0 = board_timer_read();
    for (uint32_t r = 0; r < BENCH_REPS; ++r) {
        model_forward(input, logits);
    }
    report(0u, BENCH_REPS, board_timer_read() - t0);
    model_train_sample(input, 0u, &loss, logits);
    t0 = board_timer_read();
    for (uint32_t r = 0; r < BENCH_REPS; ++r) {
        model_train_sample(input, 0u, &loss, logits);
    }
    report(1u, BENCH_REPS, board_timer_read() - t0);
#ifdef BENCH_PROFILE_STEP
    /* per-statement counts of the step's train_body (bench/kernels.py --profile-step
     * instruments a copy of model.c): cleared after the warm-up, reported per step */
    for (uint32_t i = 0; i < BENCH_PROFILE_STEP; ++i) {
        bench_prof[i] = 0u;
    }
    for (uint32_t r = 0; r < BENCH_REPS; ++r) {
        model_train_sample(input, 0u, &loss, logits);
    }
    for (uint32_t i = 0; i < BENCH_PROFILE_STEP; ++i) {
        report(100u + i, BENCH_REPS, bench_prof[i]);
    }
#endif
    model_zero_grad();
    put_str("DONE\n");
    board_exit(0);
}
#endif
