"""ONNX -> IR.

The importer resolves what can be known at compile time (initializers, Constant nodes,
Shape of a static tensor, and any node whose inputs are all constant, evaluated by ONNX's
own reference evaluator), then lowers each remaining node through the op registry
(`ops/registry.py`). Everything the compiler cannot lower fails with one line naming the
node, its op and what to do.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import numpy_helper, shape_inference

from .const_weights import constants_as_initializers
from .errors import MedyateError, UnsupportedModelError
from .formats.onnx_file import check_names
from .ir import Graph, Node, ParamBinding, Tensor
from .ops.registry import IR_OPS, ONNX_IMPORTERS, checked_opset, load_all

#: Every default-domain opset from 6 to the newest the installed onnx defines; each op is
#: then read by the schema version its opset selects (see _check_schema).
SUPPORTED_OPSETS = range(6, onnx.defs.onnx_opset_version() + 1)
#: op_type -> folds a node of that type whose inputs are all constant (ops/qdq.py)
FOLD_HOOKS: dict[str, Any] = {}
#: Ops that are never evaluated at compile time even with constant inputs.
_NEVER_FOLD = {"Conv", "Gemm", "MatMul", "BatchNormalization"}


class ImportContext:
    """State shared by the op importers while one ONNX graph is lowered."""

    def __init__(self, model: onnx.ModelProto, batch: int) -> None:
        self.model = model
        self.batch = batch
        self.consts: dict[str, np.ndarray] = {}
        self.initializers: dict[str, np.ndarray] = {}
        self.names: dict[str, str] = {}          # ONNX tensor name -> IR tensor name
        self.tensors: dict[str, Tensor] = {}
        self.nodes: list[Node] = []
        self.onnx_shapes: dict[str, tuple[int, ...]] = {}
        self.dropped_tail: list[dict[str, Any]] = []
        self.node: Any = None                     # the ONNX node being lowered
        self.graph_output = ""
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
        #: folded Cast of an initializer -> the initializer it came from (float16 weights)
        self.cast_sources: dict[str, str] = {}
        self._counter = 0
        #: QDQ models (ops/qdq.py): IR activation -> given (scale, int8 zero point), and
        #: constant-DequantizeLinear output -> (int values, scale, zero point, axis)
        self.quant_given: dict[str, tuple[float, int]] = {}
        self.weight_given: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, int]] = {}
        self.qdq_outputs: set[str] = set()       # QuantizeLinear outputs (read by a DQ)

    # ---------------------------------------------------------------- lookups
    def fail(self, problem: str, hint: str) -> UnsupportedModelError:
        return UnsupportedModelError(self.node.name or f"#{self._counter}", self.node.op_type,
                                     problem, hint)

    def const(self, onnx_name: str) -> np.ndarray | None:
        if onnx_name == "":
            return None
        return self.consts.get(onnx_name)

    def is_activation(self, onnx_name: str) -> bool:
        return onnx_name in self.names and onnx_name not in self.consts

    def act(self, onnx_name: str) -> str:
        """IR name of an activation input, or a clear error if it is not one."""
        if onnx_name in self.consts:
            raise self.fail(f"input '{onnx_name}' is a constant where an activation is expected",
                            "fold this node out of the graph before export")
        if onnx_name not in self.names:
            raise self.fail(f"input '{onnx_name}' is not produced by any node",
                            "check the model with onnx.checker")
        return self.names[onnx_name]

    def schema_version(self, op_type: str | None = None) -> int:
        """since_version of the op's schema selected by the model's opset."""
        return onnx.defs.get_schema(op_type or self.node.op_type, self.opset).since_version

    def shape(self, ir_name: str) -> tuple[int, ...]:
        return self.tensors[ir_name].shape

    def attr(self, name: str, default: Any = None) -> Any:
        for a in self.node.attribute:
            if a.name == name:
                return onnx.helper.get_attribute_value(a)
        return default

    def attrs_str(self, name: str, default: str) -> str:
        value = self.attr(name, default)
        return value.decode() if isinstance(value, bytes) else value

    # ---------------------------------------------------------------- builders
    def param(self, onnx_name: str, value: np.ndarray, *, perm: tuple[int, ...] | None = None,
              scalar: float = 1.0, trainable: bool = True,
              ir_shape: tuple[int, ...] | None = None) -> str:
        """An IR parameter tensor; trainable ones remember their ONNX initializer (in its
        stored shape, even when the IR views it as `ir_shape`, e.g. a (1, O) Gemm bias)."""
        if value.dtype not in (np.float32, np.float64):
            raise self.fail(f"weight '{onnx_name}' has dtype {value.dtype}",
                            "only float32 weights can be lowered: export a float32 model "
                            "(dequantize it first)")
        ir_value = value.astype(np.float64)
        if perm is not None:
            ir_value = np.transpose(ir_value, perm)
        ir_value = (ir_value * scalar).astype(np.float32)
        if ir_shape is not None:
            ir_value = ir_value.reshape(ir_shape)
        binding = None
        origin = self.cast_sources.get(onnx_name, onnx_name)
        if trainable and origin in self.initializers:
            binding = ParamBinding(origin, tuple(value.shape), perm, scalar)
        name = self.fresh(f"{onnx_name}")
        self.tensors[name] = Tensor(name, ir_value.shape, ir_value, binding)
        return name

    def constant(self, base: str, value: np.ndarray) -> str:
        name = self.fresh(base)
        self.tensors[name] = Tensor(name, tuple(value.shape), value.astype(np.float32))
        return name

    def fresh(self, base: str) -> str:
        name = base
        while name in self.tensors:
            self._counter += 1
            name = f"{base}.{self._counter}"
        return name

    def emit(self, op: str, inputs: list[str], onnx_output: str | None,
             attrs: dict[str, Any] | None = None) -> str:
        """Append an IR node; its output takes the ONNX output's name when given."""
        opdef = IR_OPS[op]
        attrs = dict(attrs or {})
        in_shapes = [self.tensors[i].shape for i in inputs]
        try:
            out_shape = opdef.shape(Node("", op, inputs, [], attrs), in_shapes)
        except (ValueError, IndexError, ZeroDivisionError) as exc:
            # the importer's own checks come first; this is the backstop for any shape
            # the op rule cannot accept, so that no such model reaches code generation
            raise self.fail(f"inputs of shapes {in_shapes} do not fit the op ({exc})",
                            "check the model with onnx.checker and its initializer shapes"
                            ) from None
        if any(int(d) <= 0 for d in out_shape):
            raise self.fail(f"the output shape {tuple(out_shape)} is empty",
                            "check the kernel, padding and input sizes")
        out = self.fresh(onnx_output or f"{self.node.name or op}_out")
        self.tensors[out] = Tensor(out, tuple(int(d) for d in out_shape))
        node_name = self.node.name or f"{self.node.op_type}_{len(self.nodes)}"
        self.nodes.append(Node(node_name, op, list(inputs), [out], attrs, [node_name]))
        if onnx_output is not None:
            self.names[onnx_output] = out
        return out

    def alias(self, onnx_output: str, ir_name: str) -> None:
        self.names[onnx_output] = ir_name

    def onnx_shape(self, onnx_name: str) -> tuple[int, ...] | None:
        return self.onnx_shapes.get(onnx_name)


def load_model(path: str | Path) -> onnx.ModelProto:
    path = Path(path)
    if not path.exists():
        raise MedyateError(f"model file not found: {path}")
    try:
        model = onnx.load(str(path))   # external data is resolved next to the file
    except Exception as exc:  # noqa: BLE001 - any parse failure is the user's file
        raise MedyateError(f"cannot read ONNX model {path}: {exc}") from None
    check_names(model, path)          # non-UTF-8 names, before anything prints them
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as exc:
        first = str(exc).strip().splitlines()[0]
        raise MedyateError(f"{path}: not a valid ONNX model: {first}") from None
    return model


def _graph_input(model: onnx.ModelProto) -> onnx.ValueInfoProto:
    init_names = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in init_names]
    if len(inputs) != 1:
        names = ", ".join(i.name for i in inputs)
        raise UnsupportedModelError(names or "(none)", "graph input",
                                    f"the graph has {len(inputs)} runtime inputs",
                                    "medyate lowers single-input models: make the other "
                                    "inputs initializers or export one input")
    return inputs[0]


def _static_input_shape(inp: onnx.ValueInfoProto) -> tuple[int | None, tuple[int, ...]]:
    dims = inp.type.tensor_type.shape.dim
    if inp.type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
        raise UnsupportedModelError(inp.name, "graph input", "the input is not float32",
                                    "export the model with a float32 input")
    if len(dims) < 2:
        raise UnsupportedModelError(inp.name, "graph input",
                                    f"input rank {len(dims)} has no batch axis",
                                    "export with a leading batch dimension")
    batch = dims[0].dim_value if dims[0].HasField("dim_value") else None
    rest = []
    for i, d in enumerate(dims[1:], start=1):
        if not d.HasField("dim_value") or d.dim_value <= 0:
            raise UnsupportedModelError(inp.name, "graph input",
                                        f"dimension {i} is symbolic ('{d.dim_param}')",
                                        "export with a fixed input size (only the batch "
                                        "may be symbolic)")
        rest.append(d.dim_value)
    return batch, tuple(rest)


def _infer_shapes(model: onnx.ModelProto, inp_name: str, batch: int
                  ) -> dict[str, tuple[int, ...]]:
    """ONNX shape inference with the batch pinned (to the model's own fixed batch, else 1;
    unknown dims left out)."""
    pinned = onnx.ModelProto()
    pinned.CopyFrom(model)
    for vi in pinned.graph.input:
        if vi.name == inp_name:
            vi.type.tensor_type.shape.dim[0].Clear()
            vi.type.tensor_type.shape.dim[0].dim_value = batch
    try:
        inferred = shape_inference.infer_shapes(pinned, strict_mode=False, data_prop=True)
    except Exception:  # noqa: BLE001 - inference is advisory; the op rules decide
        return {}
    shapes: dict[str, tuple[int, ...]] = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.output):
        dims = vi.type.tensor_type.shape.dim
        if dims and all(d.HasField("dim_value") for d in dims):
            shapes[vi.name] = tuple(d.dim_value for d in dims)
    return shapes


def _check_schema(node: onnx.NodeProto, ctx: ImportContext) -> None:
    """Read the op by the schema version the model's opset selects; refuse a version
    newer than the one its importer implements (the op, not the whole opset)."""
    try:
        since = ctx.schema_version()
    except onnx.defs.SchemaError:
        raise ctx.fail(f"the op does not exist in opset {ctx.opset}",
                       "check the model with onnx.checker") from None
    if node.op_type not in ONNX_IMPORTERS or node.op_type in ("Constant", "Shape"):
        return
    checked = checked_opset(node.op_type)
    try:
        implemented = onnx.defs.get_schema(node.op_type, checked).since_version
    except onnx.defs.SchemaError:      # the op is newer than the opset it was checked at
        implemented = 0
    if since > implemented:
        raise ctx.fail(f"opset {ctx.opset} selects {node.op_type}-{since}, medyate "
                       f"implements {node.op_type} up to version {implemented}",
                       f"export with opset {checked} or lower (onnx.version_converter)")


def _fold_node(node: onnx.NodeProto, ctx: ImportContext) -> bool:
    """Evaluate a node at compile time when all its inputs are known."""
    if node.op_type == "Constant":
        value = onnx.helper.get_attribute_value(node.attribute[0])
        attr_name = node.attribute[0].name
        if attr_name == "value":
            arr = numpy_helper.to_array(value)
        elif attr_name in ("value_float", "value_int"):
            arr = np.array(value)
        elif attr_name in ("value_floats", "value_ints"):
            arr = np.array(list(value))
        else:
            raise ctx.fail(f"Constant with attribute '{attr_name}'", "use a dense tensor value")
        ctx.consts[node.output[0]] = arr
        return True
    if node.op_type == "Shape" and ctx.is_activation(node.input[0]):
        ir = ctx.names[node.input[0]]
        full = (ctx.batch,) + ctx.shape(ir)
        start = ctx.attr("start", 0)
        end = ctx.attr("end", None)
        ctx.consts[node.output[0]] = np.array(full[start:end], dtype=np.int64)
        return True
    if node.op_type in _NEVER_FOLD:
        return False
    inputs = [i for i in node.input if i]
    if not inputs or not all(i in ctx.consts for i in inputs):
        return False
    if node.op_type in FOLD_HOOKS:      # folded by its op module (a QDQ weight, ...)
        FOLD_HOOKS[node.op_type](node, ctx)
        return True
    from onnx.reference import ReferenceEvaluator
    opset = [o for o in ctx.model.opset_import if o.domain in ("", "ai.onnx")]
    graph = onnx.helper.make_graph(
        [node], "fold",
        [onnx.helper.make_tensor_value_info(i, onnx.helper.np_dtype_to_tensor_dtype(
            ctx.consts[i].dtype), ctx.consts[i].shape) for i in inputs],
        [onnx.helper.make_empty_tensor_value_info(o) for o in node.output if o])
    try:
        sess = ReferenceEvaluator(onnx.helper.make_model(graph, opset_imports=opset))
        results = sess.run(None, {i: ctx.consts[i] for i in inputs})
    except Exception as exc:  # noqa: BLE001
        raise ctx.fail(f"cannot evaluate constant subgraph ({exc})",
                       "simplify the model (e.g. onnxsim) before import") from None
    for name, value in zip([o for o in node.output if o], results):
        ctx.consts[name] = np.asarray(value)
    source = node.input[0]
    if node.op_type == "Cast" and source in ctx.initializers and \
            ctx.consts[node.output[0]].dtype == np.float32:
        # a float16 (or float64) weight cast to float32: it trains as float32 and is
        # written back onto the stored initializer in its own type (ParamBinding)
        ctx.cast_sources[node.output[0]] = ctx.cast_sources.get(source, source)
    return True


def import_model(model: onnx.ModelProto | str | Path) -> Graph:
    """Lower an ONNX model to the IR (no passes applied: see passes.py)."""
    load_all()
    if not isinstance(model, onnx.ModelProto):
        model = load_model(model)
    model = constants_as_initializers(model)   # weights given as Constant nodes train too
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    if opset not in SUPPORTED_OPSETS:
        raise MedyateError(f"opset {opset} is not supported (supported: "
                           f"{SUPPORTED_OPSETS.start}-{SUPPORTED_OPSETS.stop - 1}); convert "
                           "it with onnx.version_converter")
    inp = _graph_input(model)
    batch, in_shape = _static_input_shape(inp)
    ctx = ImportContext(model, batch or 1)
    for init in model.graph.initializer:
        arr = numpy_helper.to_array(init)
        ctx.consts[init.name] = arr
        ctx.initializers[init.name] = arr
    ctx.onnx_shapes = _infer_shapes(model, inp.name, ctx.batch)
    ctx.tensors[inp.name] = Tensor(inp.name, in_shape)
    ctx.names[inp.name] = inp.name
    outputs = [o.name for o in model.graph.output]
    if len(outputs) != 1:
        raise UnsupportedModelError(", ".join(outputs), "graph output",
                                    f"the graph has {len(outputs)} outputs",
                                    "export the model with its logits as the only output")
    ctx.graph_output = outputs[0]
    for index, node in enumerate(model.graph.node):
        ctx.node = node
        ctx._counter = index
        if node.domain not in ("", "ai.onnx"):
            raise ctx.fail(f"custom domain '{node.domain}'", "only the default ONNX domain "
                           "is supported")
        _check_schema(node, ctx)
        if _fold_node(node, ctx):
            continue
        importer = ONNX_IMPORTERS.get(node.op_type)
        if importer is None:
            raise ctx.fail("unsupported op", "supported ops are "
                           + ", ".join(sorted(ONNX_IMPORTERS)) +
                           "; replace it in the model or export without it")
        importer(node, ctx)
    out_name = outputs[0]
    if out_name in ctx.consts or out_name not in ctx.names:
        raise UnsupportedModelError(out_name, "graph output", "the output is a constant",
                                    "export a model whose output depends on its input")
    graph = Graph(ctx.tensors, ctx.nodes, inp.name, ctx.names[out_name], batch, opset,
                  ctx.dropped_tail)
    graph.quant_given, graph.weight_given = ctx.quant_given, ctx.weight_given
    graph.prune_unused_tensors()
    return graph
