"""The model IR: typed per-sample tensors and canonical ops.

The IR is deliberately small and free of behaviour: importers build it, passes
(`medyate.codegen.passes`) rewrite it, the training derivation
(`medyate.codegen.training`) and the executors/emitters read it.

Shapes are PER SAMPLE (the batch axis of the ONNX graph is stripped): an image
activation is (C, H, W), a feature vector is (F,). The device streams one sample at a
time, so this is the shape every buffer really has.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class ParamBinding:
    """How an IR parameter relates to the ONNX initializer it came from.

    ``ir = scalar * out_scale[o] * transpose(orig, perm)`` (out_scale broadcast along
    the IR's output axis 0). BatchNorm folding gives ``out_scale``; Gemm's alpha and
    transB give ``scalar`` and ``perm``. Gradients and SGD steps are mapped back with it
    so that they are taken with respect to the weights as they stand in the ONNX file.
    """

    onnx_name: str
    orig_shape: tuple[int, ...]
    perm: tuple[int, ...] | None = None
    scalar: float = 1.0
    out_scale: np.ndarray | None = None

    def _full_scale(self, ir_shape: tuple[int, ...]) -> np.ndarray:
        scale = np.full(ir_shape[0], self.scalar, dtype=np.float64)
        if self.out_scale is not None:
            scale = scale * self.out_scale.astype(np.float64)
        return scale.reshape((-1,) + (1,) * (len(ir_shape) - 1))

    def grad_to_onnx(self, ir_grad: np.ndarray) -> np.ndarray:
        """d loss / d orig from d loss / d ir (chain rule through the linear map)."""
        g = ir_grad.astype(np.float64) * self._full_scale(ir_grad.shape)
        if self.perm is not None:
            g = np.transpose(g, np.argsort(self.perm))
        return g.reshape(self.orig_shape)

    def sgd_gain(self, ir_shape: tuple[int, ...]) -> np.ndarray | None:
        """Per-output factor that makes an SGD step on the IR value equal SGD on orig."""
        if self.out_scale is None and self.scalar == 1.0:
            return None
        return (self._full_scale(ir_shape) ** 2).reshape(-1)

    def write_back(self, orig: np.ndarray, ir_before: np.ndarray, ir_after: np.ndarray) -> np.ndarray:
        """The ONNX initializer after training, from the IR value before and after."""
        scale = self._full_scale(ir_before.shape)
        safe = np.where(scale == 0.0, 1.0, scale)
        delta = np.where(scale == 0.0, 0.0, (ir_after.astype(np.float64) - ir_before) / safe)
        if self.perm is not None:
            delta = np.transpose(delta, np.argsort(self.perm))
        return (orig.astype(np.float64) + delta.reshape(self.orig_shape)).astype(orig.dtype)


ITEMSIZE = {"float32": 4, "int8": 1, "int32": 4}


@dataclass
class Tensor:
    name: str
    shape: tuple[int, ...]
    #: Constant data (weights, folded constants); None for activations.
    data: np.ndarray | None = None
    #: Where a parameter came from in the ONNX file (trainable candidates only).
    binding: ParamBinding | None = None
    #: Element type on the device: "float32", or "int8"/"int32" in the int8 frozen
    #: backbone (codegen/quantize.py)
    dtype: str = "float32"

    @property
    def itemsize(self) -> int:
        return ITEMSIZE[self.dtype]

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


@dataclass
class Node:
    name: str
    op: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)
    #: ONNX node names this IR node stands for (after fusions), for messages.
    origin: list[str] = field(default_factory=list)


@dataclass
class Graph:
    tensors: dict[str, Tensor]
    nodes: list[Node]
    input: str
    output: str
    #: Batch size fixed by the ONNX graph (None when symbolic).
    fixed_batch: int | None = None
    opset: int = 0
    #: Ops after the logits, dropped for training (a trailing Softmax/LogSoftmax), each
    #: {"op": "softmax"|"logsoftmax", "node": ONNX name}; inference may re-apply them.
    tail: list[dict[str, Any]] = field(default_factory=list)
    #: "int8" when codegen/quantize.py put the frozen prefix in int8; quant holds each
    #: quantized activation's {"scale", "zero_point"} (by float tensor name)
    frozen: str = "fp32"
    quant: dict[str, dict[str, float]] = field(default_factory=dict)
    #: a QDQ model's own quantization (ops/qdq.py): activation -> (scale, zero point),
    #: weight tensor -> (int values, scale, zero point, axis); quantize.py takes them as given
    quant_given: dict[str, tuple[float, int]] = field(default_factory=dict)
    weight_given: dict[str, Any] = field(default_factory=dict)

    # ---- queries (no transformation lives here: see passes.py) ----
    def tensor(self, name: str) -> Tensor:
        return self.tensors[name]

    def producer(self, name: str) -> Node | None:
        for node in self.nodes:
            if name in node.outputs:
                return node
        return None

    def consumers(self, name: str) -> list[Node]:
        return [node for node in self.nodes if name in node.inputs]

    def node_index(self, node: Node) -> int:
        return next(i for i, n in enumerate(self.nodes) if n is node)

    def prune_unused_tensors(self) -> None:
        used = {self.input, self.output}
        for node in self.nodes:
            used.update(node.inputs)
            used.update(node.outputs)
        self.tensors = {k: v for k, v in self.tensors.items() if k in used}

    def trainable_layers(self) -> list[Node]:
        """Conv/Gemm nodes whose weight is an ONNX initializer (in forward order)."""
        return [n for n in self.nodes if n.op in ("conv", "gemm")
                and self.tensors[n.inputs[1]].binding is not None]

    def layer_by_weight(self, onnx_weight: str) -> Node | None:
        for node in self.trainable_layers():
            if self.tensors[node.inputs[1]].binding.onnx_name == onnx_weight:  # type: ignore[union-attr]
                return node
        return None
