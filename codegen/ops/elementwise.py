"""Shared plumbing of the element-wise activations (sigmoid.py, tanh.py, hardsigmoid.py,
hardswish.py, leaky_relu.py): one IR op per activation, shape preserved, whose backward
reads either its forward input ("x0") or its output ("y") -- kept alive by the training
program's liveness instead of a separate aux buffer."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..ir import Node
from .registry import CEmit, OpDef, c_emit, ir_op, onnx_op

Fn = Callable[[Node, np.ndarray], np.ndarray]


def register_unary(op: str, onnx_types: tuple[str, ...], forward: Fn, derivative: Fn,
                   reads: str, c_forward: str, c_grad: str,
                   attrs: Callable[[Any], dict[str, float]] = lambda ctx: {}) -> None:
    """forward(node, x) -> y; derivative(node, saved) -> dy/dx element-wise, where saved
    is x (reads="x0") or y (reads="y")."""

    def importer(node: Any, ctx: Any) -> None:
        ctx.emit(op, [ctx.act(node.input[0])], node.output[0], attrs(ctx))

    onnx_op(*onnx_types, checked_opset=28)(importer)   # later schemas: new types only

    def backward(node: Node, dy: np.ndarray, aux: Any, shapes: list[tuple[int, ...]],
                 params: list[np.ndarray]) -> list[np.ndarray | None]:
        return [dy * derivative(node, aux[0])]

    keeps = "its input (kept alive to the backward)" if reads == "x0" else \
        "its output (kept alive to the backward)"
    ir_op(OpDef(op, lambda node, s: s[0], lambda node, xs, p: (forward(node, xs[0]), None),
                backward, backward_keeps=keeps, grad_reads=(reads,),
                macs=lambda n, i, o: int(np.prod(o))))
    c_emit(op, CEmit(forward=c_forward, input_grad=c_grad))
