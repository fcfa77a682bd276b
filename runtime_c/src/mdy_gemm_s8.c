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
 * Rows go in blocks of 3 (2 + 2 when 4 are left). Every product and partial sum is
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

#define MDY_GD_CTX(x, in_f, w, bias, q, out)                                                \
    {x, w, bias, q->mult, q->shift, out, in_f, q->in_zp, mdy_pair(-q->in_zp, -q->in_zp),     \
     q->out_zp, q->act_min, q->act_max, q, mdy_s8_rep4(q->act_min), mdy_s8_rep4(q->act_max), \
     (uint32_t)(2 * q->out_zp + 1)}

void mdy_gemm_s8(const int8_t *x, uint32_t in_f, uint32_t out_f, const int8_t *w,
                 const int32_t *bias, const mdy_s8_requant_t *q, int8_t *out)
{
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
