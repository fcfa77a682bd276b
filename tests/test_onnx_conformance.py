"""ONNX's own backend node tests through medyate, as shipped (no down-conversion).

Every node test whose ops are all in the registry runs on the reference target via
medyate.load_model; a selection (one per layer op) runs on the host target. Each outcome
must equal the one listed in tests/onnx_conformance_expected.tsv (regenerate with
`python scripts/update_onnx_conformance.py`): a test that changes outcome, a new test
brought in by a new op, or a stale docs/onnx-support.md fails here.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import medyate
from medyate.codegen import conformance as conf
from medyate.codegen.errors import MedyateError

REGENERATE = "run `python scripts/update_onnx_conformance.py` and review the diff"


@pytest.fixture(scope="module")
def node_tests() -> tuple[Path, dict[str, list[str]]]:
    root = conf.ensure_node_tests()          # generated once per onnx version, cached
    return root, conf.selected_tests(root)


@pytest.fixture(scope="module")
def expected() -> dict[tuple[str, str], tuple[str, conf.Outcome]]:
    return conf.read_expected()


def _diff(got: dict[str, conf.Outcome], expected: dict[tuple[str, str], tuple[str, conf.Outcome]],
          target: str) -> list[str]:
    listed = {name: o for (t, name), (_, o) in expected.items() if t == target}
    problems = [f"{name}: not in the expectations file (new test): got '{got[name]}'"
                for name in sorted(set(got) - set(listed))]
    problems += [f"{name}: listed but no longer selected" for name in sorted(set(listed) - set(got))]
    problems += [f"{name}: expected '{listed[name]}', got '{got[name]}'"
                 for name in sorted(set(got) & set(listed)) if got[name] != listed[name]]
    return problems


def test_reference_outcomes_match_the_expectations(node_tests, expected) -> None:
    root, tests = node_tests
    got = {name: conf.run_case(root / name) for name in tests}
    statuses = [o.status for o in got.values()]
    # acceptance: no crash, no mismatch, and today's registry passes at least 71 tests
    assert not [f"{n}: {o}" for n, o in got.items() if o.status in ("crash", "mismatch")]
    assert statuses.count("pass") >= 71
    problems = _diff(got, expected, "reference")
    assert not problems, f"{len(problems)} node tests changed ({REGENERATE}):\n" + "\n".join(problems)


def test_host_selection_matches_the_expectations(node_tests, expected, tmp_path: Path) -> None:
    root, tests = node_tests
    reference = {name: o for (t, name), (_, o) in expected.items() if t == "reference"}
    chosen = conf.host_selection(reference, tests, root)
    assert {"Conv", "Gemm", "MaxPool", "AveragePool", "BatchNormalization"} <= \
        {op for n in chosen for op in tests[n]}
    got = {name: conf.run_case(root / name, "host", tmp_path / name) for name in chosen}
    problems = _diff(got, expected, "host")
    assert not problems, f"host node tests changed ({REGENERATE}):\n" + "\n".join(problems)
    assert all(o.status == "pass" for o in got.values())


def test_support_doc_is_current(node_tests) -> None:
    from medyate.codegen.support_doc import DOC, render
    assert DOC.read_text() == render(), f"docs/onnx-support.md is stale: {REGENERATE}"


def test_a_changed_outcome_is_reported(node_tests, expected) -> None:
    """The comparison is not vacuous: a flipped expectation is caught."""
    name = next(n for (t, n), (_, o) in expected.items() if t == "reference" and o.status == "pass")
    root, _ = node_tests
    got = {n: conf.run_case(root / n) for n in [name]}
    tampered = {("reference", name): ("", conf.Outcome("refused", "x"))}
    assert _diff(got, tampered, "reference") == [f"{name}: expected 'refused: x', got 'pass'"]


# ---------------------------------------------------------------- opsets, per op
def _relu_model(opset: int) -> onnx.ModelProto:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="act")], "g", [x], [y])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


@pytest.mark.parametrize("opset", [6, 13, 21, onnx.defs.onnx_opset_version()])
def test_every_opset_up_to_the_newest_is_accepted(opset: int) -> None:
    x = np.array([[-1.0, 0.5, 2.0]], dtype=np.float32)
    np.testing.assert_array_equal(medyate.load_model(_relu_model(opset)).forward(x),
                                  np.maximum(x, 0))


def test_a_schema_newer_than_implemented_is_refused_naming_op_and_version(monkeypatch) -> None:
    from medyate.codegen.ops import registry
    registry.load_all()
    monkeypatch.setitem(registry.CHECKED_OPSET, "Relu", 13)   # pretend Relu-14 is unknown
    with pytest.raises(MedyateError, match=r"node 'act' \(op Relu\): opset 21 selects Relu-14, "
                                           r"medyate implements Relu up to version 13"):
        medyate.load_model(_relu_model(21))
    medyate.load_model(_relu_model(13))          # the older schema still imports


def test_load_model_forward_takes_a_float32_batch(tmp_path: Path) -> None:
    path = tmp_path / "relu.onnx"
    onnx.save(_relu_model(17), str(path))
    model = medyate.load_model(path)
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    y = model.forward(x)
    assert y.dtype == np.float32 and y.shape == (4, 3)
    np.testing.assert_array_equal(y, np.maximum(x, 0))
    with pytest.raises(MedyateError, match="float32"):
        model.forward(x.astype(np.float64))
    with pytest.raises(MedyateError, match=r"batch \(N, 3\)"):
        model.forward(x[0])


def test_import_medyate_stays_light() -> None:
    import subprocess
    import sys
    code = "import sys, medyate; print(sorted(m for m in ('onnx', 'numpy', 'onnxruntime', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- Gemm bias vs onnxruntime
def _gemm(bias_shape: tuple[int, ...], batch: int = 3) -> tuple[onnx.ModelProto, np.ndarray]:
    rng = np.random.default_rng(1)
    w = rng.normal(size=(4, 5)).astype(np.float32)
    c = rng.normal(size=bias_shape).astype(np.float32)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 5])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 4])
    node = helper.make_node("Gemm", ["x", "w", "c"], ["y"], name="fc", transB=1, beta=0.5)
    graph = helper.make_graph([node], "g", [x], [y], [numpy_helper.from_array(w, "w"),
                                                      numpy_helper.from_array(c, "c")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    return model, rng.normal(size=(batch, 5)).astype(np.float32)


@pytest.mark.parametrize("bias_shape", [(), (1,), (4,), (1, 1), (1, 4)])
def test_gemm_bias_that_does_not_vary_along_the_batch_equals_onnxruntime(bias_shape) -> None:
    import onnxruntime as ort
    model, x = _gemm(bias_shape)
    expected = ort.InferenceSession(model.SerializeToString(),
                                    providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    np.testing.assert_allclose(medyate.load_model(model).forward(x), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("bias_shape", [(3, 1), (3, 4)])
def test_gemm_bias_varying_along_the_batch_is_refused_by_the_cli(bias_shape, tmp_path: Path) -> None:
    from click.testing import CliRunner
    from medyate.cli import main
    model, _ = _gemm(bias_shape)
    path = tmp_path / "gemm.onnx"
    onnx.save(model, str(path))
    result = CliRunner().invoke(main, ["import", str(path)])
    assert result.exit_code == 2
    assert "node 'fc' (op Gemm): bias C of shape" in result.output
    assert "Traceback" not in result.output


# ---------------------------------------------------------------- version-selected semantics
@pytest.mark.parametrize("op", ["Mul", "Add", "Sub", "Div"])
def test_opset6_broadcast_aligns_the_constant_at_axis(op: str) -> None:
    """Before version 7 a broadcast constant is aligned at `axis` (here per channel),
    not at the trailing axes."""
    b = np.array([1.0, 2.0, 4.0], np.float32)
    x_vi = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 2, 2])
    y_vi = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3, 2, 2])
    node = helper.make_node(op, ["x", "b"], ["y"], name="op", broadcast=1, axis=1)
    graph = helper.make_graph([node], "g", [x_vi], [y_vi], [numpy_helper.from_array(b, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 6)])
    x = np.random.default_rng(2).normal(size=(2, 3, 2, 2)).astype(np.float32)
    fn = {"Mul": np.multiply, "Add": np.add, "Sub": np.subtract, "Div": np.divide}[op]
    np.testing.assert_allclose(medyate.load_model(model).forward(x),
                               fn(x, b.reshape(3, 1, 1)), rtol=1e-6)
