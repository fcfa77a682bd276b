"""Every initializer and attribute is checked against what its op requires, before any
code is generated (one line naming the node, exit 2); the generated C asserts each
constant's length at compile time as a second line; float16 weights behind a Cast train."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest
from click.testing import CliRunner
from onnx import TensorProto, helper, numpy_helper

from medyate import PROJECT_ROOT
from medyate.cli import main
from medyate.codegen.errors import UnsupportedModelError
from medyate.codegen.frontend import load_graph
from medyate.codegen.plan import Plan

RNG = np.random.default_rng(0)


def _f32(*shape: int) -> np.ndarray:
    return RNG.normal(size=shape).astype(np.float32)


def cnn(**override: np.ndarray) -> onnx.ModelProto:
    """x (N,1,8,8) -> conv1 3x3 (4) -> BN -> Relu -> Flatten -> fc (Gemm 10); the
    initializers can be replaced one at a time by a deliberately wrong one."""
    inits = {"conv1.w": _f32(4, 1, 3, 3), "conv1.b": _f32(4), "bn.g": _f32(4), "bn.b": _f32(4),
             "bn.m": _f32(4), "bn.v": np.abs(_f32(4)) + 1, "fc.w": _f32(10, 256), "fc.b": _f32(10)}
    inits.update(override)
    nodes = [helper.make_node("Conv", ["x", "conv1.w", "conv1.b"], ["c"], name="conv1",
                              pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "bn.g", "bn.b", "bn.m", "bn.v"], ["n"],
                              name="bn"),
             helper.make_node("Relu", ["n"], ["r"], name="relu"),
             helper.make_node("Flatten", ["r"], ["f"], name="flat"),
             helper.make_node("Gemm", ["f", "fc.w", "fc.b"], ["y"], name="fc", transB=1)]
    graph = helper.make_graph(
        nodes, "cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])],
        [numpy_helper.from_array(v, k) for k, v in inits.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_the_valid_model_imports() -> None:
    assert [n.op for n in load_graph(cnn()).nodes] == ["conv", "reshape", "gemm"]


@pytest.mark.parametrize("override, message", [
    ({"conv1.b": _f32(2)}, r"node 'conv1' \(op Conv\): bias 'conv1.b' has shape \(2,\), the "
                           r"weight has 4 output channels"),
    ({"conv1.b": _f32(4, 1)}, r"node 'conv1' \(op Conv\): bias 'conv1.b' has shape \(4, 1\)"),
    ({"conv1.w": _f32(4, 1, 3)}, r"node 'conv1' \(op Conv\): 1-D convolution"),
    ({"conv1.w": _f32(4, 2, 3, 3)}, r"node 'conv1' \(op Conv\): weight \(4, 2, 3, 3\) does not "
                                    r"match 1 input channels in 1 groups"),
    ({"fc.w": _f32(10, 200)}, r"node 'fc' \(op Gemm\): weight B \(10, 200\) expects 200 input "
                              r"features, the input has 256"),
    ({"fc.w": _f32(10, 256, 1)}, r"node 'fc' \(op Gemm\): weight B of rank 3"),
    ({"fc.b": _f32(5)}, r"node 'fc' \(op Gemm\): bias C of shape \(5,\) for 10 outputs"),
    ({"fc.b": _f32(3, 10)}, r"node 'fc' \(op Gemm\): bias C of shape \(3, 10\)"),
    ({"bn.v": np.ones(2, np.float32)}, r"node 'bn' \(op BatchNormalization\): parameter 'bn.v' "
                                       r"has shape \(2,\) for an input with 4 channels"),
    ({"bn.g": _f32(8)}, r"node 'bn' \(op BatchNormalization\): parameter 'bn.g' has shape \(8,\)"),
])
def test_a_wrong_initializer_is_refused_naming_the_node(override, message) -> None:
    with pytest.raises(UnsupportedModelError, match=message):
        load_graph(cnn(**override))


def _single(node: onnx.NodeProto, x_shape: list, inits: dict[str, np.ndarray],
            opset: int = 17) -> onnx.ModelProto:
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(v, k) for k, v in inits.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


@pytest.mark.parametrize("node, x_shape, inits, message", [
    (helper.make_node("MatMul", ["x", "w"], ["y"], name="mm"), ["N", 6], {"w": _f32(5, 3)},
     r"node 'mm' \(op MatMul\): weight \(5, 3\) expects 5 input features, the input has 6"),
    (helper.make_node("Reshape", ["x", "s"], ["y"], name="rs"), ["N", 3, 4, 4],
     {"s": np.array([1, 7, -1], np.int64)}, r"node 'rs' \(op Reshape\): .*the sizes do not divide"),
    (helper.make_node("Reshape", ["x", "s"], ["y"], name="rs"), [2, 3, 4, 4],
     {"s": np.array([2, -1, -1], np.int64)}, r"node 'rs' \(op Reshape\): Reshape to \[2, -1, -1\]"),
    (helper.make_node("Reshape", ["x", "s"], ["y"], name="rs"), [2, 3, 4, 4],
     {"s": np.array([2, 5, 10], np.int64)}, r"node 'rs' \(op Reshape\): reshape of \(3, 4, 4\) to \(5, 10\)"),
    (helper.make_node("Conv", ["x", "w"], ["y"], name="cv", kernel_shape=[5, 5]), ["N", 1, 8, 8],
     {"w": _f32(2, 1, 3, 3)}, r"node 'cv' \(op Conv\): kernel_shape=\[5, 5\] but the weight has 3x3"),
    (helper.make_node("Conv", ["x", "w"], ["y"], name="cv", strides=[0, 1]), ["N", 1, 8, 8],
     {"w": _f32(2, 1, 3, 3)}, r"node 'cv' \(op Conv\): strides=\[0, 1\]"),
    (helper.make_node("Conv", ["x", "w"], ["y"], name="cv"), ["N", 1, 2, 2],
     {"w": _f32(2, 1, 3, 3)}, r"node 'cv' \(op conv|Conv\).*output shape .* is empty"),
    (helper.make_node("MaxPool", ["x"], ["y"], name="mp", kernel_shape=[3, 3], dilations=[2, 2]),
     ["N", 1, 4, 4], {}, r"node 'mp' \(op MaxPool\): the window \(3x3, dilations \[2, 2\]\) is "
                         r"larger than the padded input 4x4"),
    (helper.make_node("AveragePool", ["x"], ["y"], name="ap", kernel_shape=[5, 5]),
     ["N", 1, 4, 4], {}, r"node 'ap' \(op AveragePool\): the window \(5x5"),
])
def test_shape_rules_of_single_ops(node, x_shape, inits, message) -> None:
    with pytest.raises(UnsupportedModelError, match=message):
        load_graph(_single(node, x_shape, inits))


@pytest.mark.parametrize("batch", [1, 3])
def test_squeeze_unsqueeze_with_a_fixed_batch(batch: int) -> None:
    import medyate
    nodes = [helper.make_node("Unsqueeze", ["x", "a"], ["u"], name="u"),
             helper.make_node("Squeeze", ["u", "a"], ["y"], name="s")]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 3, 4])],
        [numpy_helper.from_array(np.array([2], np.int64), "a")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    x = _f32(batch, 3, 4)
    np.testing.assert_array_equal(medyate.load_model(model).forward(x), x)


# ---------------------------------------------------------------- the CLI: exit 2, no C
@pytest.fixture()
def half_bias(tmp_path: Path) -> dict[str, Path]:
    model = tmp_path / "half_bias.onnx"
    onnx.save(cnn(**{"conv1.b": _f32(2)}), str(model))
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(Plan(4096, [{"weight": "conv1.w", "bias": True},
                                           {"weight": "fc.w", "bias": True}]).to_dict()))
    np.save(tmp_path / "x.npy", _f32(2, 1, 8, 8))
    np.save(tmp_path / "y.npy", np.array([1, 3]))
    return {"model": model, "plan": plan, "x": tmp_path / "x.npy", "y": tmp_path / "y.npy",
            "out": tmp_path / "out", "dir": tmp_path}


def _one_line(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in output, output
    return lines[0]


def test_compile_of_the_half_bias_model_exits_2_and_writes_no_c(half_bias) -> None:
    result = CliRunner().invoke(main, ["compile", str(half_bias["model"]), "--plan",
                                       str(half_bias["plan"]), "--target", "host", "-o",
                                       str(half_bias["out"])])
    assert result.exit_code == 2
    assert "node 'conv1' (op Conv): bias 'conv1.b' has shape (2,)" in _one_line(result.output)
    assert not list(half_bias["dir"].rglob("*.c")) and not half_bias["out"].exists()


@pytest.mark.parametrize("target", ["reference", "host"])
def test_grad_of_the_half_bias_model_exits_2(half_bias, target: str) -> None:
    result = CliRunner().invoke(main, ["grad", str(half_bias["model"]), "--plan",
                                       str(half_bias["plan"]), "--inputs", str(half_bias["x"]),
                                       "--labels", str(half_bias["y"]), "--target", target,
                                       "-o", str(half_bias["dir"] / "g.npz")])
    assert result.exit_code == 2
    assert "node 'conv1' (op Conv): bias 'conv1.b'" in _one_line(result.output)
    assert not list(half_bias["dir"].rglob("*.c"))


# ---------------------------------------------------------------- the C's second line
@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
def test_generated_c_asserts_each_constant_length(tmp_path: Path) -> None:
    """A constant that slipped past the importer (forced here into the IR) stops the C
    build: the static assertion names the array."""
    from medyate.codegen.emit_c import generate
    from medyate.codegen.plan import resolve_layers
    graph = load_graph(cnn())
    layers = resolve_layers(graph, Plan.all_layers(graph))
    include = PROJECT_ROOT / "runtime_c" / "include"

    def syntax_check(g) -> subprocess.CompletedProcess:
        generated = generate(g, layers, pool_bytes=1 << 16, model_name="m", model_hash_hex="0")
        (tmp_path / "model.h").write_text(generated.model_h)
        (tmp_path / "model.c").write_text(generated.model_c)
        return subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-fsyntax-only",
                               f"-I{include}", f"-I{include / 'medyate'}", f"-I{tmp_path}",
                               str(tmp_path / "model.c")], capture_output=True, text=True)

    ok = syntax_check(graph)
    assert ok.returncode == 0, ok.stderr
    assert generated_checks(tmp_path) >= 4          # conv w, b and gemm w, b at least
    bias = graph.nodes[0].inputs[2]
    tensor = graph.tensors[bias]
    tensor.data = tensor.data[:2].copy()
    tensor.shape = (2,)
    bad = syntax_check(graph)
    assert bad.returncode != 0 and "mdy_size_check" in bad.stderr


def generated_checks(folder: Path) -> int:
    return (folder / "model.c").read_text().count("MDY_STATIC_ASSERT(sizeof(")


# ---------------------------------------------------------------- float16 behind a Cast
def _half_model() -> onnx.ModelProto:
    """The CNN exported in half precision: float16 initializers, each Cast to float32."""
    model = cnn()
    graph = model.graph
    casts = []
    for init in graph.initializer:
        arr = numpy_helper.to_array(init).astype(np.float16)
        init.CopyFrom(numpy_helper.from_array(arr, init.name + ".h"))
        casts.append(helper.make_node("Cast", [init.name], [init.name[:-2]],
                                      name=f"cast_{init.name}", to=TensorProto.FLOAT))
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    return model


def test_float16_weights_behind_a_cast_train_as_float32(tmp_path: Path) -> None:
    import medyate
    from medyate.codegen.gradients import reference_grads
    from medyate.codegen.plan import Schedule, resolve_layers
    half = _half_model()
    graph = load_graph(half)
    plan = Plan.all_layers(graph)
    assert [l["weight"] for l in plan.layers] == ["conv1.w.h", "fc.w.h"]   # trainable layers
    # same numbers as the float32 model holding the float16-rounded weights
    rounded = cnn(**{numpy_helper.to_array(i).dtype and i.name[:-2]:
                     numpy_helper.to_array(i).astype(np.float32) for i in half.graph.initializer})
    x = _f32(3, 1, 8, 8)
    np.testing.assert_allclose(medyate.load_model(half).forward(x),
                               medyate.load_model(rounded).forward(x), rtol=1e-6, atol=1e-6)
    layers = resolve_layers(graph, plan)
    grads = reference_grads(graph, layers, Schedule.full(layers), x, np.array([0, 1, 2]))
    assert grads["conv1.w.h"].shape == (4, 1, 3, 3) and np.abs(grads["conv1.w.h"]).sum() > 0


def test_float16_write_back_keeps_the_stored_type() -> None:
    from medyate.codegen.ir import ParamBinding
    graph = load_graph(_half_model())
    conv = graph.nodes[0]
    tensor = graph.tensors[conv.inputs[1]]
    assert tensor.data.dtype == np.float32 and tensor.binding.onnx_name == "conv1.w.h"
    orig = numpy_helper.to_array(next(i for i in _half_model().graph.initializer
                                      if i.name == "conv1.w.h"))
    after = tensor.data + 0.5
    written = ParamBinding("conv1.w.h", orig.shape).write_back(orig, tensor.data, after)
    assert written.dtype == np.float16
    np.testing.assert_allclose(written.astype(np.float32), orig.astype(np.float32) + 0.5,
                               rtol=1e-3)    # one float16 rounding


def test_float16_weight_without_a_cast_is_refused_naming_float16() -> None:
    half = _half_model()
    nodes = [n for n in half.graph.node if n.name != "cast_conv1.w.h"]
    for n in nodes:
        n.input[:] = ["conv1.w.h" if i == "conv1.w" else i for i in n.input]
    del half.graph.node[:]
    half.graph.node.extend(nodes)
    with pytest.raises(UnsupportedModelError, match=r"node 'conv1' \(op Conv\): weight "
                                                    r"'conv1.w.h' has dtype float16"):
        load_graph(half)


# ---------------------------------------------------------------- sanitizers
SANITIZE = ["cc", "-std=c99", "-O1", "-g", "-fsanitize=address,undefined",
            "-fno-sanitize-recover=all", "-Wall", "-Wextra", "-Werror"]


@pytest.fixture(scope="module")
def sanitized_runtime(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The runtime kernels compiled once under the sanitizers (objects for every model)."""
    out = tmp_path_factory.mktemp("asan_runtime")
    runtime = PROJECT_ROOT / "runtime_c"
    sources = sorted((runtime / "src").rglob("*.c"))   # incl. src/paths (fast paths)
    build = subprocess.run([*SANITIZE, "-c", f"-I{runtime / 'include'}", *map(str, sources)],
                           cwd=out, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-3000:]
    return sorted(out.glob("*.o"))


def _sanitized_training_step(model_path: Path, out: Path, runtime: list[Path]
                             ) -> subprocess.CompletedProcess:
    """Generate the C of every Conv/Gemm planned, link it with the runtime and a driver
    under -fsanitize=address,undefined, run one training step and an inference pass."""
    from medyate.codegen.compiler import compile_model
    graph = load_graph(model_path)
    compile_model(model_path, Plan.all_layers(graph, budget_bytes=1 << 22), out, graph=graph)
    exe = out / "step"
    build = subprocess.run(
        [*SANITIZE, f"-I{PROJECT_ROOT / 'runtime_c' / 'include'}", f"-I{out}",
         str(out / "model.c"), str(Path(__file__).parent / "data" / "sanitizer_driver.c"),
         *map(str, runtime), "-lm", "-o", str(exe)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-3000:]
    return subprocess.run([str(exe)], capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
@pytest.mark.parametrize("name", ["cnn", "mbv2_tiny"])
def test_training_step_is_clean_under_sanitizers(name: str, tmp_path: Path, zoo_dir: Path,
                                                 sanitized_runtime: list[Path]) -> None:
    if name == "cnn":
        path = tmp_path / "cnn.onnx"
        onnx.save(cnn(), str(path))
    else:
        import zoo
        path = zoo.exported(name, "torchscript", True, zoo_dir)
    run = _sanitized_training_step(path, tmp_path / "c", sanitized_runtime)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "rc 0 loss" in run.stdout and "runtime error" not in run.stderr
