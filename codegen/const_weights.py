"""Weights given as Constant / ConstantOfShape nodes instead of initializers (as in the
onnx package's ResNet-50 and the other 'light' models): the nodes that feed a
Conv/Gemm/MatMul weight or bias become initializers of the same name, so the layer is
trainable and its gradients and fine-tuned values are keyed by that name."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import numpy_helper

#: op -> input positions that hold weights
_WEIGHT_INPUTS = {"Conv": (1, 2), "Gemm": (1, 2), "MatMul": (1,)}


def _value(node: onnx.NodeProto, known: dict[str, np.ndarray]) -> np.ndarray | None:
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    if node.op_type == "Constant":
        tensor = attrs.get("value")
        return numpy_helper.to_array(tensor) if tensor is not None else None
    if node.op_type == "ConstantOfShape" and node.input and node.input[0] in known:
        shape = tuple(int(d) for d in known[node.input[0]].reshape(-1))
        fill = attrs.get("value")
        value = numpy_helper.to_array(fill).reshape(-1) if fill is not None else np.zeros(1, np.float32)
        return np.full(shape, value[0], dtype=value.dtype)
    return None


def constants_as_initializers(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy of `model` whose Constant/ConstantOfShape weight producers are initializers
    (the model itself when there are none)."""
    graph = model.graph
    weights = {n.input[i] for n in graph.node for i in _WEIGHT_INPUTS.get(n.op_type, ())
               if len(n.input) > i and n.input[i]}
    known = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    moved: list[tuple[int, np.ndarray]] = []
    for index, node in enumerate(graph.node):
        if node.op_type not in ("Constant", "ConstantOfShape") or len(node.output) != 1:
            continue
        out = node.output[0]
        if out not in weights or out in known:
            continue
        value = _value(node, known)
        if value is not None and value.dtype in (np.float32, np.float64):
            moved.append((index, value))
    if not moved:
        return model
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    for index, value in sorted(moved, key=lambda m: -m[0]):
        name = copy.graph.node[index].output[0]
        del copy.graph.node[index]
        copy.graph.initializer.append(numpy_helper.from_array(value, name))
        if copy.ir_version < 4:      # IR v3: every initializer is also a graph input
            copy.graph.input.append(onnx.helper.make_tensor_value_info(
                name, onnx.helper.np_dtype_to_tensor_dtype(value.dtype), value.shape))
    return copy
