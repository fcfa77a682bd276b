"""mdy_gemm_s8_rq (the int8 gemm with its bias and requantization prepared as one table)
and the table itself.

* the numpy table (codegen/int8_math.gemm_rq_table, what the compiler writes) equals the
  C one (mdy_gemm_s8_prepare) and both refuse the same channels;
* the kernel is bit-exact with the numpy oracle (codegen/ops/qint8.py) on the host
  (portable build) and under QEMU (the Cortex-M4 assembly rows, in_f 4..12, and the
  plain loop around them), for every in_f 1..17, out_f 1..9 and 17, with and without
  bias, with the activation clamp narrower than int8 and not;
* the compiler gives exactly the Gemms of 4..12 inputs that table, and its flash formula
  counts it.
"""
from __future__ import annotations

import ctypes
import re
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch

from kernel_lib import Requant, load_kernels
from medyate.codegen import int8_math as im
from medyate.codegen.ir import Node
from medyate.codegen.ops import qint8
from toolchain_marks import needs_qemu_and_arm

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import kernels_s8  # noqa: E402  (bench/kernels_s8.py: the int8 bench/check firmware)

_i8p = ctypes.POINTER(ctypes.c_int8)
_i32p = ctypes.POINTER(ctypes.c_int32)
# (in_zp, out_zp, act_min, act_max): no clamp, a fused ReLU at the zero point, a narrow one
REQUANTS = [(-128, 5, -128, 127), (3, -20, -20, 127), (0, 0, -60, 90)]


def _p(a: np.ndarray | None, t):  # type: ignore[no-untyped-def]
    return None if a is None else a.ctypes.data_as(t)


def make_case(in_f: int, out_f: int, variant: int, bias: bool = True
              ) -> tuple[dict[str, np.ndarray | None], np.ndarray, tuple[int, int, int, int]]:
    """Data putting the outputs' spread at ~+-60 (unsaturated, so a wrong sum shows),
    the shifts over the whole table range 2..23 on a few rows, and the oracle's output."""
    rng = np.random.default_rng(zlib.crc32(f"{in_f} {out_f} {variant} {bias}".encode()))
    in_zp, out_zp, lo, hi = REQUANTS[variant]
    x = rng.integers(-128, 128, in_f).astype(np.int8)
    w = rng.integers(-127, 128, (out_f, in_f)).astype(np.int8)
    b = rng.integers(-3000, 3000, out_f).astype(np.int32) if bias else np.zeros(out_f, np.int32)
    unit = 60.0 / (np.sqrt(in_f) * 74.0 * 74.0)
    mults = [im.quantize_multiplier(r) for r in unit * rng.uniform(0.3, 1.5, out_f)]
    mult = np.array([m for m, _ in mults], np.int32)
    shift = np.array([s for _, s in mults], np.int32)
    if out_f >= 3:            # the table's edges: r = 2 and r = 23 (outputs ~ the zero point)
        mult[1], shift[1] = int(unit * 2 ** 33), -2
        mult[2], shift[2] = 2 ** 31 - 1, -23
    node = Node("g", "qgemm", [], [], {"in_zp": in_zp, "out_zp": out_zp, "act_min": lo, "act_max": hi})
    want, _ = qint8.qgemm_forward(node, [x], [w, b, mult, shift])
    data = dict(x=x, w=w, bias=b if bias else None, mult=mult, shift=shift,
                rq=im.gemm_rq_table(b, mult, shift, out_zp))
    return data, want, REQUANTS[variant]


def _c_prepare(lib: ctypes.CDLL, bias: np.ndarray | None, mult: np.ndarray, shift: np.ndarray,
               out_zp: int) -> np.ndarray | None:
    table = np.full((len(mult), 4), 7, np.int32)
    ok = lib.mdy_gemm_s8_prepare(_p(bias, _i32p), _p(mult, _i32p), _p(shift, _i32p), out_zp,
                                 len(mult), _p(table, _i32p))
    return table if ok else None


@pytest.mark.parametrize("out_zp", [-128, -3, 0, 41, 127])
def test_numpy_table_equals_c_prepare(out_zp: int) -> None:
    lib = load_kernels().lib
    rng = np.random.default_rng(out_zp + 200)
    for n in (1, 2, 5, 17):
        bias = rng.integers(-2 ** 31, 2 ** 31 - 1, n, dtype=np.int64).astype(np.int32)
        mult = rng.integers(0, 2 ** 31 - 1, n, dtype=np.int64).astype(np.int32)
        shift = rng.integers(-23, -1, n).astype(np.int32)          # r in 2..23
        got = _c_prepare(lib, bias, mult, shift, out_zp)
        want = im.gemm_rq_table(bias, mult, shift, out_zp)
        assert got is not None and want is not None
        np.testing.assert_array_equal(got, want)
        assert want[-1, 3] & im.RQ_TABLE_LAST and not (want[:-1, 3] & im.RQ_TABLE_LAST).any()
        for part, ref in zip(im.rq_table_parts(want), (bias, mult, shift)):
            np.testing.assert_array_equal(part, ref)
        nob = _c_prepare(lib, None, mult, shift, out_zp)
        assert nob is not None and (nob[:, 0] == 0).all()
        # one channel off the table (r = 1, r = 24, a left shift, mult < 0): both refuse
        for m, s in ((mult[0], -1), (mult[0], -24), (mult[0], 2), (-5, -9)):
            bad_m, bad_s = mult.copy(), shift.copy()
            bad_m[-1], bad_s[-1] = m, s
            assert im.gemm_rq_table(bias, bad_m, bad_s, out_zp) is None
            assert _c_prepare(lib, bias, bad_m, bad_s, out_zp) is None
    assert im.gemm_rq_table(np.zeros(0), np.zeros(0), np.zeros(0), 0) is None
    assert _c_prepare(lib, None, np.zeros(1, np.int32)[:0], np.zeros(1, np.int32)[:0], 0) is None


IN_FS = (*range(1, 18), 31)
OUT_FS = (*range(1, 10), 17)


@pytest.mark.parametrize("in_f", IN_FS)
def test_host_bit_exact(in_f: int) -> None:
    lib = load_kernels().lib
    for out_f in OUT_FS:
        for variant in range(len(REQUANTS)):
            data, want, (in_zp, out_zp, lo, hi) = make_case(in_f, out_f, variant, bias=out_f % 2 == 1)
            assert data["rq"] is not None
            got = np.full(out_f, 99, np.int8)
            q = Requant(in_zp, out_zp, lo, hi, None, None)      # mult/shift not read
            lib.mdy_gemm_s8_rq(_p(data["x"], _i8p), in_f, out_f, _p(data["w"], _i8p),
                               _p(data["rq"], _i32p), ctypes.byref(q), _p(got, _i8p))
            np.testing.assert_array_equal(got, want, err_msg=f"{in_f}->{out_f} #{variant}")


@pytest.mark.qemu
@needs_qemu_and_arm
def test_qemu_dsp_bit_exact(tmp_path: Path) -> None:
    """The assembly rows (in_f 4..12: one, two or three groups, every tail 0..3) and the
    plain loop around them (in_f 1..3, 13..17) on the Cortex-M4, one firmware."""
    cases, wants = [], []
    for in_f in range(1, 18):
        for out_f in (1, 2, 3, 10, 17):
            for variant in range(len(REQUANTS)):
                data, want, zp = make_case(in_f, out_f, variant, bias=(in_f + out_f) % 3 != 0)
                wants.append((f"{in_f}->{out_f} #{variant}", want, zp))
                cases.append(kernels_s8.S8Case(f"rq {in_f}->{out_f}", 1, in_f, out_f, gemm=True,
                                               data=data, zp=zp, reps=1))
    got = kernels_s8.run_check(cases, tmp_path / "fw")
    for (label, want, _), out in zip(wants, got):
        np.testing.assert_array_equal(out, want, err_msg=label)
    # the outputs are not all on a clamp bound (else the comparison could not see errors)
    inside = sum(int(((w > zp[2]) & (w < zp[3])).sum()) for _, w, zp in wants)
    assert inside >= sum(w.size for _, w, _ in wants) // 2


def test_range_matches_the_header() -> None:
    header = (REPO / "runtime_c" / "include" / "medyate" / "kernels_s8.h").read_text()
    lo = int(re.search(r"#define MDY_GEMM_S8_RQ_MIN_IN_F (\d+)u", header).group(1))  # type: ignore[union-attr]
    hi = int(re.search(r"#define MDY_GEMM_S8_RQ_MAX_IN_F (\d+)u", header).group(1))  # type: ignore[union-attr]
    last = int(re.search(r"#define MDY_GEMM_S8_RQ_LAST (0x[0-9a-fA-F]+)", header).group(1), 16)  # type: ignore[union-attr]
    assert (lo, hi, last) == (*im.RQ_TABLE_IN_F, im.RQ_TABLE_LAST)


# ------------------------------------------------------------------ the compiler's side
class SmallHead(torch.nn.Module):
    """conv + ReLU, global average, fc1 (8 -> 10, ReLU: an int8 gemm of the table's
    range, since only fc2 is trained), fc2 (10 -> 4, the plan)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.fc1 = torch.nn.Linear(8, 10)
        self.fc2 = torch.nn.Linear(10, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = torch.relu(self.conv(x)).mean(dim=(2, 3))
        return self.fc2(torch.relu(self.fc1(e)))


def test_compiler_emits_the_table_and_host_equals_reference(tmp_path: Path) -> None:
    import zoo
    from medyate.codegen.compiler import compile_model
    from medyate.codegen.frontend import load_graph
    from medyate.codegen.plan import Plan, Schedule, resolve_layers
    from medyate.codegen.quantize import apply_frozen, frozen_weight_bytes
    from medyate.host_tools.device.targets import grad_target

    torch.manual_seed(0)
    model = zoo.export_onnx(SmallHead(), tmp_path / "head.onnx", (1, 3, 8, 8))
    plan = Plan(0, [{"weight": "fc2.weight", "bias": True}])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 3, 8, 8)).astype(np.float32)
    y = rng.integers(0, 4, 5)
    graph = load_graph(model)
    q = apply_frozen(graph, plan, "int8", x)
    (fc1,) = [n for n in q.nodes if n.op == "qgemm"]
    assert fc1.attrs["rq"] and len(fc1.inputs) == 3
    table = q.tensors[fc1.inputs[2]].data
    assert table.dtype == np.int32 and table.shape == (10, 4)
    # flash: the formula counts the table (16 bytes per output channel) exactly
    generated, _ = compile_model(model, plan, tmp_path / "c", graph=q)
    assert "mdy_gemm_s8_rq(" in generated.model_c and "mdy_gemm_s8(" not in generated.model_c
    assert generated.memory["const_weight_bytes"] == frozen_weight_bytes(graph, ["fc2.weight"], "int8")
    layers = resolve_layers(q, plan)
    schedule = Schedule({l.onnx_weight: list(range(l.in_channels)) for l in layers})
    args = dict(model=model, graph=q, plan=plan, layers=layers, schedule=schedule, x=x, y=y)
    ref = grad_target("reference")(**args)
    host = grad_target("host")(**args)
    for key in ref:
        scale = max(np.abs(ref[key]).max(), 1e-12)
        assert np.abs(host[key] - ref[key]).max() / scale < 1e-4, key
    assert np.abs(ref["fc2.weight"]).max() > 0


def test_only_gemms_of_4_to_12_inputs_get_the_table() -> None:
    assert [n for n in range(1, 20) if im.takes_rq_table("gemm", n)] == list(range(4, 13))
    assert not im.takes_rq_table("conv", 9)
