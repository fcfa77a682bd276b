"""Writes runtime_c/src/paths/mdy_dwg_asm.h: the Thumb-2 passes of the depthwise weight
gradient (mdy_conv_depthwise_weight_grad_f32), whose multiply-accumulate lists follow
from one register plan.

    python scripts/gen_dwg_asm.py > runtime_c/src/paths/mdy_dwg_asm.h
"""
import sys

SHAPES = [(3, 1, [3]), (5, 1, [3, 2]), (3, 2, [3]), (5, 2, [3, 2]), (7, 2, [2, 1])]

def plan(K, S):
    W = K if S == 1 else (K + 1) // 2          # dout window
    P = W - 1                                   # previous dout values kept
    xb = 4 + P                                  # first x register
    ab = xb + 4 * S                             # first accumulator register
    return W, P, xb, ab

def dreg(t, v):
    i = t - v
    return f"s{i}" if i >= 0 else f"s{4 + (-i - 1)}"

def row_macro(K, S):
    W, P, xb, ab = plan(K, S)
    params = ", ".join(f"A{kw}" for kw in range(K))
    ops = []
    for t in range(4):
        for kw in range(K):
            if S == 1:
                x, v = f"s{xb + t}", kw
            else:   # even taps read the even x column of the step, odd taps the odd one
                x, v = f"s{xb + 2 * t + kw % 2}", kw // 2
            ops.append(f'"vfma.f32 " #A{kw} ", {x}, {dreg(t, v)}\\n\\t"')
    lines = []
    per = 2
    for i in range(0, len(ops), per):
        lines.append("    " + " ".join(ops[i:i + per]))
    name = f"DWG_ROW_K{K}S{S}"
    return f"#define {name}({params}) \\\n" + " \\\n".join(lines) + "\n"

def func(K, S, H):
    W, P, xb, ab = plan(K, S)
    nacc = H * K
    last = ab + nacc - 1
    assert last <= 31, (K, S, H, last)
    xr = f"s{xb}-s{xb + 4 * S - 1}"
    zl = [f'"vmov.f32 s{4 + j}, %[z]\\n\\t"' for j in range(P)]
    zero = "\n                     ".join(" ".join(zl[i:i + 2]) for i in range(0, len(zl), 2))
    # end of iteration: prev[j] = D[n+3-j] (j < 4) or old prev[j-4]; highest j first
    moves = []
    for j in reversed(range(P)):
        src = f"s{3 - j}" if j < 4 else f"s{4 + j - 4}"
        moves.append(f'"vmov.f32 s{4 + j}, {src}\\n\\t"')
    mv = "\n                     ".join(" ".join(moves[i:i + 2]) for i in range(0, len(moves), 2))
    rows = []
    for h in range(H):
        regs = ", ".join(f"s{ab + h * K + kw}" for kw in range(K))
        load = f'"vldmia %[x{h}]!, {{{xr}}}\\n\\t"'
        rows.append(f"                     {load} DWG_ROW_K{K}S{S}({regs})")
    regs_all = [f'"s{i}"' for i in range(last + 1)]
    chunks = [", ".join(regs_all[i:i + 10]) for i in range(0, len(regs_all), 10)]
    clob = ",\n                       ".join(chunks)
    xdecl = ", ".join(f"*x{h} = xr[{h}]" for h in range(H))
    xops = ", ".join(f'[x{h}] "+r"(x{h})' for h in range(H))
    return f'''
static __attribute__((noinline)) void dwg_k{K}s{S}h{H}(const float *const *xr, const float *d,
                                                 uint32_t n_steps, float *dw)
{{
    const float {xdecl};
    uint32_t n = n_steps / 4u;
    __asm__ volatile("vldmia %[w], {{s{ab}-s{last}}}\\n\\t"
                     {zero}
                     "1:\\tvldmia %[d]!, {{s0-s3}}\\n\\t"
''' + "\n".join(rows) + f'''
                     {mv}
                     "subs %[n], %[n], #1\\n\\tbne 1b\\n\\t"
                     "vstmia %[w], {{s{ab}-s{last}}}\\n"
                     : [d] "+r"(d), {xops}, [n] "+r"(n)
                     : [z] "t"(0.0f), [w] "r"(dw)
                     : {clob},
                       "cc", "memory");
}}
'''

out = ['''/*
 * mdy_dwg_asm.h: the Cortex-M4F/M7 (Thumb-2 + single-precision FPU) passes of
 * mdy_conv_depthwise_weight_grad_f32, included by that file only. Written by
 * scripts/gen_dwg_asm.py from the register plan below (edit the script, not this
 * file); the C dwg_pass() of that file is the reference (and the host build's
 * version), and tests/test_kernels_dw_weight_grad_sizes.py checks these under QEMU.
 *
 * A pass takes 4 steps per iteration: one vldm of the 4 new dout values D[n..n+3]
 * (s0-s3), the last W - 1 dout values of the window kept in s4.. (moved at the end of
 * the iteration), per window row one vldm of its 4 steps of x (4 floats at stride 1,
 * 8 at stride 2: even and odd columns), then K multiply-accumulates per step and row
 * into accumulators that one vldm/vstm loads from and stores to dw. Step t, tap kw
 * reads D[n + t - kw] (stride 1) or D[n + t - kw/2] with the even (kw even) or odd
 * x column (stride 2). The registers used are the clobbers, so GCC saves s16-s31.
 * Register plan: s0-s3 new dout, s4.. the W - 1 previous ones, then the x registers,
 * then the H * K accumulators (at most s31: 7x7 stride 2 runs 2 window rows per pass,
 * 7x7 stride 1 stays in C, where 3 rows of 7 do not fit with a 7-value window).
 */
#ifndef MDY_DWG_ASM_H
#define MDY_DWG_ASM_H
''']
for K, S, Hs in SHAPES:
    out.append(row_macro(K, S))
for K, S, Hs in SHAPES:
    for H in Hs:
        out.append(func(K, S, H))
for K, S, Hs in SHAPES:
    out.append(f"#undef DWG_ROW_K{K}S{S}\n")
out.append("\n#endif /* MDY_DWG_ASM_H */\n")
sys.stdout.write("\n".join(out))
