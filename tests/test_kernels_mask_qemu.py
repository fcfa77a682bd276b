"""The ReLU / ReLU6 gradient masks as the Cortex-M4F runs them (QEMU mps2-an386).

On Thumb-2 targets mdy_clamp_mask_f32 and mdy_mask_apply_f32 run whole aligned mask
words (32 elements) in inline assembly; the host tests (test_kernels_fast.py,
test_kernels_misc.py) only reach the C loops. Here the bench firmware in its mask check
mode (bench/firmware/bench_mask_check.c) builds a mask from y and applies it to g for
every case, and the mask and gradient buffers -- with canaries before and after -- are
compared bit for bit with numpy: element counts below, at and around multiples of 8 and
32, y / mask / g at every offset from a word boundary (the mask's decides how many
leading bytes run in C), values exactly at lo and hi, one ulp either side, +-0,
negatives, +-INF, NaN of both signs and with a payload, denormals of both signs, runs
long enough for all-pass (skipped) and all-fail (zeroed) mask words, and the bounds the
fast path must not take (lo = -0.0, lo < 0).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from toolchain_marks import needs_qemu_and_arm

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import kernels as bench  # noqa: E402  (bench/kernels.py: firmware paths, QEMU run)

pytestmark = [pytest.mark.qemu, needs_qemu_and_arm]

F32 = np.float32
INF = np.inf
# (lo, hi): the integer-compare fast path (+0 <= lo < hi) and the generic float loop
BOUNDS = [(0.0, INF), (0.0, 6.0), (0.5, 2.0), (0.0, 1e-45), (-0.0, 6.0), (-1.0, 1.0),
          (-INF, INF)]
NS = [1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 100, 257, 4096 + 5]


def _bits(v: np.ndarray) -> np.ndarray:
    return np.asarray(v, F32).view(np.uint32)


def _floats(u: list[int]) -> np.ndarray:
    return np.array(u, np.uint32).view(F32)


def _specials(lo: float, hi: float) -> np.ndarray:
    lo32, hi32 = F32(lo), F32(hi)
    vals = [lo32, hi32, np.nextafter(lo32, F32(INF)), np.nextafter(lo32, F32(-INF)),
            np.nextafter(hi32, F32(INF)), np.nextafter(hi32, F32(-INF)), 0.0, -0.0, -1.0,
            -7.0, 1.0, 3.0, 6.0, INF, -INF, 3.4028235e38, -3.4028235e38]
    raw = [0x7FC00000, 0xFFC00000, 0x7F800001, 0xFFBFFFFF,   # NaNs: both signs, payloads
           0x00000001, 0x007FFFFF, 0x80000001, 0x807FFFFF,   # denormals of both signs
           0x80000000, 0x00800000]
    with np.errstate(over="ignore"):
        return np.concatenate([np.array(vals, F32), _floats(raw)])


def _case_data(n: int, lo: float, hi: float, rng: np.random.Generator) -> tuple[np.ndarray,
                                                                                np.ndarray]:
    special = _specials(lo, hi)
    y = np.where(rng.random(n) < 0.5, rng.choice(special, n),
                 rng.uniform(-2.0, 8.0, n).astype(F32)).astype(F32)
    if n >= 200:   # runs covering whole mask words: all pass, then all fail
        inside = F32((lo + hi) / 2) if np.isfinite(lo + hi) else F32(1.0)
        start = int(rng.integers(0, n - 170))
        y[start:start + 80] = inside
        y[start + 80:start + 160] = F32(lo) if np.isfinite(lo) else F32(np.nan)
    g = rng.standard_normal(n).astype(F32)
    g[rng.random(n) < 0.1] = rng.choice(_floats([0x7FC00123, 0xFF800000, 0x80000000,
                                                 0x00000003]), 1)
    return y, g


def _cases() -> list[dict]:
    rng = np.random.default_rng(2026)
    cases, off = [], 0
    for n in NS:
        for b, (lo, hi) in enumerate(BOUNDS):
            shifts = ([(s % 4, m, (s + m) % 4) for s, m in [(0, 0), (1, 1), (2, 2), (3, 3)]]
                      if n >= 100 and b < 3 else [((n + b) % 4, (n + 2 * b) % 4, b % 4)])
            for y_shift, m_shift, g_shift in shifts:
                y, g = _case_data(n, lo, hi, rng)
                cases.append(dict(n=n, off=off, lo=lo, hi=hi, y=y, g=g, y_shift=y_shift,
                                  m_shift=m_shift, g_shift=g_shift))
                off += n
    return cases


def _header(cases: list[dict]) -> str:
    def words(a: np.ndarray) -> str:
        return ",".join(f"0x{v:08x}u" for v in _bits(a))

    max_n = max(c["n"] for c in cases)
    lines = ["#include <stdint.h>",
             "typedef struct { uint32_t n, off, lo, hi, y_shift, m_shift, g_shift; } mc_case_t;",
             f"#define MC_MAX_N {max_n + 8}u", f"#define MC_N_CASES {len(cases)}u",
             "static const mc_case_t MC_CASES[] = {"]
    for c in cases:
        lo, hi = (int(_bits(np.array([v], F32))[0]) for v in (c["lo"], c["hi"]))
        lines.append(f"  {{{c['n']}u, {c['off']}u, 0x{lo:08x}u, 0x{hi:08x}u, {c['y_shift']}u, "
                     f"{c['m_shift']}u, {c['g_shift']}u}},")
    lines.append("};")
    lines.append("static const uint32_t MC_Y[] = {" +
                 words(np.concatenate([c["y"] for c in cases])) + "};")
    lines.append("static const uint32_t MC_G[] = {" +
                 words(np.concatenate([c["g"] for c in cases])) + "};")
    return "\n".join(lines) + "\n"


def _build(work: Path, opt: str) -> Path:
    bdir = work / "build"
    subprocess.run(["cmake", "-G", "Ninja", "-S", str(bench.FIRMWARE), "-B", str(bdir),
                    f"-DCMAKE_TOOLCHAIN_FILE={bench.TOOLCHAIN}", f"-DCASES_DIR={work}",
                    "-DBENCH_MODEL_DIR=", f"-DBENCH_OPT={opt}", "-DBENCH_MASK_CHECK=ON",
                    "-DCMAKE_BUILD_TYPE="], check=True, capture_output=True, text=True)
    done = subprocess.run(["cmake", "--build", str(bdir)], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stdout[-4000:] + done.stderr[-4000:])
    return bdir / "bench.elf"


@pytest.mark.parametrize("opt", ["-O2", "-Os"])
def test_mask_kernels_on_the_m4f_equal_numpy(tmp_path: Path, opt: str) -> None:
    cases = _cases()
    (tmp_path / "mask_cases.h").write_text(_header(cases))
    text = bench.run_qemu_text(_build(tmp_path, opt), timeout_s=300.0)
    masks, grads = {}, {}
    for line in text.splitlines():
        if line.startswith("M "):
            _, idx, hexbytes = line.split()
            masks[int(idx)] = np.frombuffer(bytes.fromhex(hexbytes), np.uint8)
        elif line.startswith("G "):
            _, idx, *hexwords = line.split()
            grads[int(idx)] = np.array([int(v, 16) for v in hexwords], np.uint32)
    assert sorted(masks) == sorted(grads) == list(range(len(cases)))
    for i, c in enumerate(cases):
        n, m, s = c["n"], c["m_shift"], c["g_shift"]
        with np.errstate(invalid="ignore"):
            passes = (c["y"] > F32(c["lo"])) & (c["y"] < F32(c["hi"]))
        what = f"case {i}: n={n} lo={c['lo']} hi={c['hi']} shifts y{c['y_shift']} m{m} g{s}"
        got = masks[i]
        assert len(got) == m + (n + 7) // 8 + 4, what
        np.testing.assert_array_equal(got[:m], 0xAA, err_msg=what + " (mask canary before)")
        np.testing.assert_array_equal(got[m:-4], np.packbits(passes, bitorder="little"),
                                      err_msg=what + " (mask)")
        np.testing.assert_array_equal(got[-4:], 0xAA, err_msg=what + " (mask canary after)")
        got = grads[i]
        assert len(got) == s + n + 4, what
        np.testing.assert_array_equal(got[:s], 0xDEADBEEF, err_msg=what + " (g canary before)")
        np.testing.assert_array_equal(got[s:-4], np.where(passes, _bits(c["g"]), 0),
                                      err_msg=what + " (masked gradient)")
        np.testing.assert_array_equal(got[-4:], 0xDEADBEEF, err_msg=what + " (g canary after)")
    # every mask offset had whole all-pass (skipped) and all-fail (zeroed) mask words in
    # the assembly's part: the bytes from the first word boundary (buf_mask is aligned)
    kinds = set()
    for c in cases:
        if c["n"] >= 200 and c["lo"] >= 0 and not np.signbit(c["lo"]):
            with np.errstate(invalid="ignore"):
                passes = (c["y"] > F32(c["lo"])) & (c["y"] < F32(c["hi"]))
            packed = np.packbits(passes, bitorder="little")
            head = -c["m_shift"] % 4
            body = packed[head:head + (len(packed) - head) // 4 * 4].view("<u4")
            kinds |= {(c["m_shift"], int(w)) for w in body if w in (0, 0xFFFFFFFF)}
    assert kinds == {(m, w) for m in range(4) for w in (0, 0xFFFFFFFF)}
