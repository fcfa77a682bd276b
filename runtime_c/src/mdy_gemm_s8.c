/*
 * mdy_gemm_s8: int8 fully connected layer of one sample.
 *   x [in_f] int8, w [out_f][in_f] int8 (symmetric per row), bias [out_f] int32 or NULL.
 *   out[o] = clamp(mdy_requantize_s32(bias[o] + sum_f (x[f] - in_zp) w[o][f], mult[o],
 *            shift[o]) + out_zp, act_min, act_max). No scratch, no packing pass, any in_f.
 * The input is widened in the loop, one word of four int8 at a time: SXTAB16 with the
 * pair (-in_zp, -in_zp) gives (x0 - zp, x2 - zp) and, rotated by 8, (x1 - zp, x3 - zp),
 * exact in int16 (|x - zp| <= 255). That is 3 instructions per four inputs, shared by a
 * block of up to 3 rows; each row adds one weight load, two SXTB16 and two SMLAD (18
 * instructions per 12 MACs). The packed mdy_s8_dot_rows path this replaces paid a
 * packing pass and per-row overhead (32->2 8.23 -> 3.9 instr/MAC, 256->64 2.27 -> 1.75).
 * Rows go in blocks of 3 (2 + 2 when 4 are left); on the DSP build, out_f > 3 and
 * in_f >= 4 take mdy_gd_run3 (the blocks in one asm loop, the rest rows one at a time). Every product and partial sum is
 * exact in int32, so the result is bit-exact with the numpy oracle. The outputs of a
 * block are computed before they are stored (int8 stores may alias the requant
 * parameters).
 */
#include "mdy_s8_internal.h"

/* everything a row block needs besides its row index */
typedef struct {
    const int8_t *x, *w;
    const int32_t *bias, *mult, *shift;
    int8_t *out;
    uint32_t k;
    int32_t zp, nz; /* in_zp and the pair (-in_zp, -in_zp) */
    int32_t out_zp, lo, hi;
    const mdy_s8_requant_t *q;
    uint32_t lo4, hi4, k0; /* mdy_s8_rep4 of lo, hi; 2 * out_zp + 1 */
} mdy_gd_ctx_t;

#ifdef MDY_S8_DSP
/* One group of four inputs: the widened pairs in xe and xv (xv reused), then per row
 * one weight word, SXTB16 twice, SMLAD twice. Asm: GCC's schedule of the C loop
 * hoisted the loads and spilled the accumulators. */
#define MDY_GD_X                                                                            \
    "ldr %[xv], [%[x]], #4\n\t"                                                             \
    "sxtab16 %[xe], %[nz], %[xv]\n\t"                                                       \
    "sxtab16 %[xv], %[nz], %[xv], ror #8\n\t"
#define MDY_GD_R(a, w)                                                                      \
    "ldr %[wv], [%[" w "]], #4\n\t"                                                         \
    "sxtb16 %[t], %[wv]\n\t"                                                                \
    "smlad %[" a "], %[t], %[xe], %[" a "]\n\t"                                             \
    "sxtb16 %[wv], %[wv], ror #8\n\t"                                                       \
    "smlad %[" a "], %[wv], %[xv], %[" a "]\n\t"
#define MDY_GD_G3 MDY_GD_X MDY_GD_R("a0", "w0") MDY_GD_R("a1", "w1") MDY_GD_R("a2", "w2")
#define MDY_GD_G2 MDY_GD_X MDY_GD_R("a0", "w0") MDY_GD_R("a1", "w1")
#define MDY_GD_G1 MDY_GD_X MDY_GD_R("a0", "w0")
#define MDY_GD_OUT3                                                                         \
    [x] "+r"(x), [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2), [a0] "+r"(a0), [a1] "+r"(a1), \
        [a2] "+r"(a2), [xv] "=&r"(xv), [xe] "=&r"(xe), [wv] "=&r"(wv), [t] "=&r"(t)
#define MDY_GD_OUT2                                                                         \
    [x] "+r"(x), [w0] "+r"(w0), [w1] "+r"(w1), [a0] "+r"(a0), [a1] "+r"(a1),                \
        [xv] "=&r"(xv), [xe] "=&r"(xe), [wv] "=&r"(wv), [t] "=&r"(t)
#define MDY_GD_OUT1                                                                         \
    [x] "+r"(x), [w0] "+r"(w0), [a0] "+r"(a0), [xv] "=&r"(xv), [xe] "=&r"(xe),             \
        [wv] "=&r"(wv), [t] "=&r"(t)

/* a_j += row w_j . (x - zp) over n4 groups of four; the pointers advance. R = 1..3. */
MDY_ALWAYS_INLINE void mdy_gd_loop(uint32_t R, const int8_t **px, const int8_t **pw,
                                   uint32_t n4, int32_t nz, int32_t *a)
{
    const int8_t *x = *px, *w0 = pw[0], *w1 = pw[1], *w2 = pw[2];
    int32_t a0 = a[0], a1 = a[1], a2 = a[2];
    uint32_t xv, xe, wv, t, n8 = n4 >> 1;
    if (R == 3u) {
        if (n8) {
            __asm__ volatile("1:\n\t" MDY_GD_G3 MDY_GD_G3 "subs %[n], %[n], #1\n\tbne 1b"
                             : MDY_GD_OUT3, [n] "+r"(n8)
                             : [nz] "r"(nz)
                             : "cc", "memory");
        }
        if (n4 & 1u) {
            __asm__ volatile(MDY_GD_G3 : MDY_GD_OUT3 : [nz] "r"(nz) : "memory");
        }
    } else if (R == 2u) {
        if (n8) {
            __asm__ volatile("1:\n\t" MDY_GD_G2 MDY_GD_G2 "subs %[n], %[n], #1\n\tbne 1b"
                             : MDY_GD_OUT2, [n] "+r"(n8)
                             : [nz] "r"(nz)
                             : "cc", "memory");
        }
        if (n4 & 1u) {
            __asm__ volatile(MDY_GD_G2 : MDY_GD_OUT2 : [nz] "r"(nz) : "memory");
        }
    } else {
        if (n8) {
            __asm__ volatile("1:\n\t" MDY_GD_G1 MDY_GD_G1 "subs %[n], %[n], #1\n\tbne 1b"
                             : MDY_GD_OUT1, [n] "+r"(n8)
                             : [nz] "r"(nz)
                             : "cc", "memory");
        }
        if (n4 & 1u) {
            __asm__ volatile(MDY_GD_G1 : MDY_GD_OUT1 : [nz] "r"(nz) : "memory");
        }
    }
    *px = x;
    pw[0] = w0;
    pw[1] = w1;
    pw[2] = w2;
    a[0] = a0;
    a[1] = a1;
    a[2] = a2;
}
#else
/* portable twin: the same pairs through the mdy_s8_* helpers */
MDY_ALWAYS_INLINE void mdy_gd_loop(uint32_t R, const int8_t **px, const int8_t **pw,
                                   uint32_t n4, int32_t nz, int32_t *a)
{
    const int8_t *x = *px;
    for (uint32_t g = 0; g < n4; ++g, x += 4) {
        const int32_t xv = mdy_s8_ldw(x);
        const int32_t xe = mdy_pair(mdy_s8_lo16(nz) + mdy_s8_byte(xv, 0),
                                    mdy_s8_hi16(nz) + mdy_s8_byte(xv, 2));
        const int32_t xo = mdy_pair(mdy_s8_lo16(nz) + mdy_s8_byte(xv, 1),
                                    mdy_s8_hi16(nz) + mdy_s8_byte(xv, 3));
        MDY_UNROLL
        for (uint32_t j = 0; j < R; ++j) {
            const int32_t wv = mdy_s8_ldw(pw[j]);
            a[j] = mdy_s8_smlad(mdy_s8_sx02(wv), xe, a[j]);
            a[j] = mdy_s8_smlad(mdy_s8_sx13(wv), xo, a[j]);
            pw[j] += 4;
        }
    }
    *px = x;
}
#endif

/* the requantization of mdy_gd_block when a channel is off mdy_s8_rq_fast's range */
static MDY_NOINLINE void mdy_gd_slow(const mdy_s8_requant_t *q, uint32_t o, int8_t *y,
                                     int32_t a0, int32_t a1, int32_t a2, uint32_t R)
{
    const int32_t a[3] = {a0, a1, a2};
    int8_t r[3];
    for (uint32_t j = 0; j < R; ++j) {
        const mdy_s8_rq_t rq = mdy_s8_rq_make(q->mult[o + j], q->shift[o + j], q->out_zp);
        r[j] = mdy_s8_finish(a[j], &rq, q->act_min, q->act_max);
    }
    for (uint32_t j = 0; j < R; ++j) {
        y[j] = r[j];
    }
}

/* rows o..o+R (R = 1..3): dot products, requant + zero point + clamp, store. Out of
 * line so the loop gets the registers. */
MDY_ALWAYS_INLINE void mdy_gd_block(const mdy_gd_ctx_t *c, uint32_t R, uint32_t o, uint32_t n)
{
    for (const uint32_t end = o + n * R; o < end; o += R) {
        const uint32_t k = c->k;
        const int8_t *x = c->x;
        const int8_t *pw[3];
        int32_t a[3] = {0, 0, 0};
        pw[0] = c->w + (size_t)o * k;
        pw[1] = R > 1u ? pw[0] + k : pw[0]; /* unused rows: any valid pointer */
        pw[2] = R > 2u ? pw[1] + k : pw[0];
        if (c->bias) {
            MDY_UNROLL
            for (uint32_t j = 0; j < R; ++j) {
                a[j] = c->bias[o + j];
            }
        }
        mdy_gd_loop(R, &x, pw, k >> 2, c->nz, a);
        const uint32_t kt = k & 3u;
        MDY_UNROLL
        for (uint32_t i = 0; i < 3u; ++i) { /* the last k % 4 inputs */
            if (i >= kt) {
                break;
            }
            const int32_t xi = x[i] - c->zp;
            MDY_UNROLL
            for (uint32_t j = 0; j < R; ++j) {
                a[j] += pw[j][i] * xi;
            }
        }
        const int32_t *mult = c->mult + o, *shift = c->shift + o;
        int8_t *y = c->out + o;
        /* every channel on mdy_s8_rq_fast (r2 = r - 2 <= 21 and mult >= 0, as in
         * mdy_s8_rq_make), else mdy_gd_slow */
        uint32_t bad = 0, r2[3];
        MDY_UNROLL
        for (uint32_t j = 0; j < R; ++j) {
            r2[j] = (uint32_t)(-2 - shift[j]);
            /* per channel (an OR of the r2 would send 16 | 8 = 24 to the slow path) */
            bad |= (uint32_t)((r2[j] | (uint32_t)(mult[j] >> 31)) > 21u);
        }
        if (MDY_UNLIKELY(bad)) {
            mdy_gd_slow(c->q, o, y, a[0], a[1], a[2], R);
            continue;
        }
        int32_t v[3];
        MDY_UNROLL
        for (uint32_t j = 0; j < R; ++j) {
            v[j] = mdy_s8_rq_fast(a[j], mult[j], (int32_t)(c->k0 << r2[j]), (int32_t)r2[j] + 1);
        }
        if (R == 3u) {
            const uint32_t p = mdy_s8_pack4(v[0], v[1], v[2], v[2], c->lo4, c->hi4);
            mdy_s8_st2h(y, p);
            y[2] = (int8_t)(uint8_t)(p >> 16);
        } else if (R == 2u) {
            mdy_s8_st2(y, v[0], v[1], c->lo4, c->hi4);
        } else {
            y[0] = mdy_s8_clamp(v[0], c->lo, c->hi);
        }
    }
}


#ifdef MDY_S8_DSP
/* Blocks of 3 rows wholly in assembly (k >= 4), for out_f > 3: the C block above keeps
 * its loop state and requantization constants on the stack around the dot-product asm
 * (~56 instructions per output at k = 10). Here every per-block value is one load from
 * this struct, the k % 4 tail is one more group (the last word of each row, inside the
 * row, against the last four inputs widened with 0 where they were counted before) and
 * the requantization is mdy_s8_rq_fast's SMLAL form: 141 instructions per block at k = 10
 * (C: 168), 122 at k = 8 (C: 147). A block with a channel off the fast range returns 1
 * with its sums in a[] (w and bias already past it, mult, shift and y not). */
typedef struct {
    const int8_t *x;         /*  0 */
    int32_t nz;              /*  4 (-in_zp, -in_zp) */
    uint32_t n8, odd;        /*  8, 12: k / 8, (k / 4) & 1 */
    const int8_t *w;         /* 16 first row of the block */
    uint32_t k;              /* 20 */
    const int32_t *bias;     /* 24 */
    uint32_t bstep;          /* 28 12, or 0 (bias points at zeros) */
    const int32_t *mult;     /* 32 */
    const int32_t *shift;    /* 36 */
    int8_t *y, *yend;        /* 40, 44 */
    int32_t kt4, xte, xto;   /* 48, 52, 56: k % 4 - 4 (0: no tail), the tail pairs */
    uint32_t k0, lo4, hi4;   /* 60, 64, 68 */
    int32_t a[3];            /* 72 */
} mdy_gd_p_t;
typedef char mdy_gd_p_layout[(offsetof(mdy_gd_p_t, a) == 72 && sizeof(void *) == 4) ? 1 : -1];

/* local symbol of the asm below */
extern uint32_t mdy_gd_asm3(mdy_gd_p_t *p);

#define MDY_GD_A_ROW(a, w)                                                                  \
    "ldr r10, [" w "], #4\n\t"                                                              \
    "sxtb16 r11, r10\n\t"                                                                   \
    "smlad " a ", r11, r8, " a "\n\t"                                                       \
    "sxtb16 r10, r10, ror #8\n\t"                                                           \
    "smlad " a ", r10, r9, " a "\n\t"
#define MDY_GD_A_G3                                                                         \
    "ldr r9, [r1], #4\n\t"                                                                  \
    "sxtab16 r8, r12, r9\n\t"                                                               \
    "sxtab16 r9, r12, r9, ror #8\n\t"                                                       \
    MDY_GD_A_ROW("r5", "r2") MDY_GD_A_ROW("r6", "r3") MDY_GD_A_ROW("r7", "r4")
#define MDY_GD_A_TAIL(a, w)                                                                 \
    "ldr r10, [" w ", r11]\n\t"                                                             \
    "sxtb16 r1, r10\n\t"                                                                    \
    "smlad " a ", r1, r8, " a "\n\t"                                                        \
    "sxtb16 r10, r10, ror #8\n\t"                                                           \
    "smlad " a ", r10, r9, " a "\n\t"
/* a (sum), m (mult), r (r - 2 of the shift) -> a = ssat8(requant + zp); r12 r1 scratch,
 * lr = k0 */
#define MDY_GD_A_RQ(a, m, r)                                                                \
    "lsl r12, lr, " r "\n\t"                                                                \
    "add r12, r12, " a ", asr #31\n\t"                                                      \
    MDY_S8_ASM_RQ_LO("r1", a)                                                               \
    "smlal r1, r12, " a ", " m "\n\t"                                                       \
    "add " r ", " r ", #1\n\t"                                                              \
    "asr r12, r12, " r "\n\t"                                                               \
    "ssat " a ", #8, r12\n\t"
/* r = -2 - r (r - 2 of the right shift, unsigned); slow when (r | m >> 31) > 21 */
#define MDY_GD_A_CHK(m, r)                                                                  \
    "mvn " r ", " r "\n\t"                                                                  \
    "sub " r ", " r ", #1\n\t"                                                              \
    "orr r12, " r ", " m ", asr #31\n\t"                                                    \
    "cmp r12, #21\n\t"                                                                      \
    "bhi .Lmdy_gd_slow\n\t"

__asm__(".pushsection .text.mdy_gd_asm3,\"ax\",%progbits\n\t"
        ".syntax unified\n\t"
        ".thumb\n\t"
        ".p2align 2\n\t"
        ".type mdy_gd_asm3, %function\n\t"
        ".thumb_func\n"
        "mdy_gd_asm3:\n\t"
        "push {r4, r5, r6, r7, r8, r9, r10, r11, lr}\n"
        ".Lmdy_gd_blk:\n\t"
        "ldr r1, [r0, #0]\n\t"
        "ldr r12, [r0, #4]\n\t"
        "ldr lr, [r0, #8]\n\t"
        "ldr r2, [r0, #16]\n\t"
        "ldr r11, [r0, #20]\n\t"
        "add r3, r2, r11\n\t"
        "add r4, r3, r11\n\t"
        "ldr r11, [r0, #24]\n\t"
        "ldm r11, {r5, r6, r7}\n\t"
        "ldr r10, [r0, #28]\n\t"
        "add r11, r11, r10\n\t"
        "str r11, [r0, #24]\n\t"
        "cmp lr, #0\n\t"
        "beq .Lmdy_gd_odd\n"
        ".Lmdy_gd_g8:\n\t"
        MDY_GD_A_G3 MDY_GD_A_G3
        "subs lr, lr, #1\n\t"
        "bne .Lmdy_gd_g8\n"
        ".Lmdy_gd_odd:\n\t"
        "ldr r11, [r0, #12]\n\t"
        "cmp r11, #0\n\t"
        "beq .Lmdy_gd_tail\n\t"
        MDY_GD_A_G3
        ".Lmdy_gd_tail:\n\t"
        "ldr r11, [r0, #48]\n\t"
        "cmp r11, #0\n\t"
        "beq .Lmdy_gd_rq\n\t"
        "ldr r8, [r0, #52]\n\t"
        "ldr r9, [r0, #56]\n\t"
        MDY_GD_A_TAIL("r5", "r2") MDY_GD_A_TAIL("r6", "r3") MDY_GD_A_TAIL("r7", "r4")
        "add r4, r4, r11\n\t"
        "add r4, r4, #4\n"
        ".Lmdy_gd_rq:\n\t"
        "str r4, [r0, #16]\n\t"
        "ldr r1, [r0, #32]\n\t"
        "ldr r2, [r0, #36]\n\t"
        "ldm r1!, {r8, r9, r10}\n\t"
        "ldm r2!, {r3, r4, r11}\n\t"
        MDY_GD_A_CHK("r8", "r3") MDY_GD_A_CHK("r9", "r4") MDY_GD_A_CHK("r10", "r11")
        "str r1, [r0, #32]\n\t"
        "str r2, [r0, #36]\n\t"
        "ldr lr, [r0, #60]\n\t"
        MDY_GD_A_RQ("r5", "r8", "r3") MDY_GD_A_RQ("r6", "r9", "r4") MDY_GD_A_RQ("r7", "r10", "r11")
        "bfi r5, r6, #8, #8\n\t"
        "bfi r5, r7, #16, #8\n\t"
        "ldr r1, [r0, #64]\n\t"
        "ldr r2, [r0, #68]\n\t"
        "ssub8 r3, r5, r1\n\t"
        "sel r5, r5, r1\n\t"
        "ssub8 r3, r5, r2\n\t"
        "sel r5, r2, r5\n\t"
        "ldr r1, [r0, #40]\n\t"
        "strh r5, [r1]\n\t"
        "lsr r5, r5, #16\n\t"
        "strb r5, [r1, #2]\n\t"
        "add r1, r1, #3\n\t"
        "str r1, [r0, #40]\n\t"
        "ldr r2, [r0, #44]\n\t"
        "cmp r1, r2\n\t"
        "bne .Lmdy_gd_blk\n\t"
        "movs r0, #0\n\t"
        "pop {r4, r5, r6, r7, r8, r9, r10, r11, pc}\n"
        ".Lmdy_gd_slow:\n\t"
        "str r5, [r0, #72]\n\t"
        "str r6, [r0, #76]\n\t"
        "str r7, [r0, #80]\n\t"
        "movs r0, #1\n\t"
        "pop {r4, r5, r6, r7, r8, r9, r10, r11, pc}\n\t"
        ".size mdy_gd_asm3, .-mdy_gd_asm3\n\t"
        ".popsection");

/* out_f > 3, k >= 4: blocks of 3 rows through mdy_gd_asm3, the last out_f % 3 rows
 * one at a time */
static MDY_NOINLINE void mdy_gd_run3(const int8_t *x, uint32_t k, uint32_t out_f,
                                     const int8_t *w, const int32_t *bias,
                                     const mdy_s8_requant_t *q, int8_t *out)
{
    static const int32_t zeros[3] = {0, 0, 0};
    mdy_gd_p_t p;
    const int32_t zp = q->in_zp, nz = mdy_pair(-zp, -zp);
    const uint32_t kt = k & 3u, n3 = out_f / 3u;
    p.x = x;
    p.nz = nz;
    p.n8 = k >> 3;
    p.odd = (k >> 2) & 1u;
    p.w = w;
    p.k = k;
    p.bias = zeros;
    p.bstep = 0;
    if (bias) {
        p.bias = bias;
        p.bstep = 12u;
    }
    p.mult = q->mult;
    p.shift = q->shift;
    p.y = out;
    p.yend = out + 3u * n3;
    p.kt4 = 0;
    p.k0 = (uint32_t)(2 * q->out_zp + 1);
    p.lo4 = mdy_s8_rep4(q->act_min);
    p.hi4 = mdy_s8_rep4(q->act_max);
    if (kt) { /* x[k-4 .. k-1] with the first 4 - kt bytes set to zp: widened to 0 */
        const uint32_t keep = 0xFFFFFFFFu << (32u - 8u * kt);
        const uint32_t xt = (mdy_ld32(x + k - 4u) & keep) | (mdy_s8_rep4(zp) & ~keep);
        mdy_s8_widen4(nz, xt, &p.xte, &p.xto);
        p.kt4 = (int32_t)kt - 4;
    }
    while (mdy_gd_asm3(&p)) {
        const uint32_t o = (uint32_t)(p.y - out);
        mdy_gd_slow(q, o, p.y, p.a[0], p.a[1], p.a[2], 3u);
        p.mult = q->mult + o + 3u;
        p.shift = q->shift + o + 3u;
        p.y += 3;
        if (p.y == p.yend) {
            break;
        }
    }
    for (uint32_t o = 3u * n3; o < out_f; ++o) {
        const int8_t *xp = x, *pw[3];
        int32_t acc[3] = {bias ? bias[o] : 0, 0, 0};
        pw[0] = pw[1] = pw[2] = w + (size_t)o * k;
        mdy_gd_loop(1u, &xp, pw, k >> 2, nz, acc);
        int32_t a = acc[0];
        if (kt) {
            const int32_t wv = mdy_s8_ldw(pw[0] + kt - 4u);
            a = mdy_s8_smlad(mdy_s8_sx02(wv), p.xte, a);
            a = mdy_s8_smlad(mdy_s8_sx13(wv), p.xto, a);
        }
        const mdy_s8_rq_t rq = mdy_s8_rq_make(q->mult[o], q->shift[o], q->out_zp);
        out[o] = mdy_s8_finish(a, &rq, q->act_min, q->act_max);
    }
}
#endif

/* R as a constant in each copy of the block */
static MDY_NOINLINE void mdy_gd_block3(const mdy_gd_ctx_t *c, uint32_t o, uint32_t n)
{
    mdy_gd_block(c, 3u, o, n);
}
static MDY_NOINLINE void mdy_gd_block2(const mdy_gd_ctx_t *c, uint32_t o, uint32_t n)
{
    mdy_gd_block(c, 2u, o, n);
}
static MDY_NOINLINE void mdy_gd_block1(const mdy_gd_ctx_t *c, uint32_t o)
{
    mdy_gd_block(c, 1u, o, 1u);
}

#define MDY_GD_CTX(x, in_f, w, bias, q, out)                                                \
    {x, w, bias, q->mult, q->shift, out, in_f, q->in_zp, mdy_pair(-q->in_zp, -q->in_zp),     \
     q->out_zp, q->act_min, q->act_max, q, mdy_s8_rep4(q->act_min), mdy_s8_rep4(q->act_max), \
     (uint32_t)(2 * q->out_zp + 1)}

void mdy_gemm_s8(const int8_t *x, uint32_t in_f, uint32_t out_f, const int8_t *w,
                 const int32_t *bias, const mdy_s8_requant_t *q, int8_t *out)
{
#ifdef MDY_S8_DSP
    if (out_f > 3u && in_f >= 4u) {
        mdy_gd_run3(x, in_f, out_f, w, bias, q, out);
        return;
    }
#endif
    if (out_f > 3u) { /* blocks of 3, then 2 + 2 when 4 are left, 2 or 1 */
        const mdy_gd_ctx_t c = MDY_GD_CTX(x, in_f, w, bias, q, out);
        uint32_t n3 = out_f / 3u, rest = out_f - 3u * n3;
        if (rest == 1u) {
            n3 -= 1u;
            rest = 4u;
        }
        mdy_gd_block3(&c, 0u, n3);
        if (rest >= 2u) {
            mdy_gd_block2(&c, 3u * n3, rest >> 1);
        }
        if (rest & 1u) {
            mdy_gd_block1(&c, out_f - 1u);
        }
        return;
    }
    /* 1..3 rows: one block inline, the context in registers */
    const mdy_gd_ctx_t c = MDY_GD_CTX(x, in_f, w, bias, q, out);
    if (out_f == 3u) {
        mdy_gd_block(&c, 3u, 0u, 1u);
    } else if (out_f == 2u) {
        mdy_gd_block(&c, 2u, 0u, 1u);
    } else if (out_f == 1u) {
        mdy_gd_block(&c, 1u, 0u, 1u);
    }
}

