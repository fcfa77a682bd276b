"""PRelu: y = x where x > 0, else slope[c] * x, with a constant slope that is scalar or
per channel (expanded to one value per channel). The slope is frozen (not a trainable
layer); the backward reads the forward input. C: mdy_prelu_f32(+_grad)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Node
from .registry import CEmit, OpDef, c_emit, ir_op, onnx_op
from .scale import per_channel_vector


@onnx_op("PRelu", checked_opset=28)
def import_prelu(node: Any, ctx: Any) -> None:
    x = ctx.act(node.input[0])
    slope = ctx.const(node.input[1])
    if slope is None:
        raise ctx.fail("the slope is not a constant", "export with the slope as an initializer")
    vector = per_channel_vector(ctx, slope, ctx.shape(x))
    ctx.emit("prelu", [x, ctx.constant(f"{node.output[0]}_slope", vector.astype(np.float32))],
             node.output[0])


def _slope(p: np.ndarray, x: np.ndarray) -> np.ndarray:
    return p.reshape((-1,) + (1,) * (x.ndim - 1))


def _forward(node: Node, xs: list[np.ndarray], params: list[np.ndarray]) -> tuple[np.ndarray, Any]:
    x = xs[0]
    return np.where(x > 0, x, _slope(params[0], x) * x), None


def _backward(node: Node, dy: np.ndarray, aux: Any, shapes: list[tuple[int, ...]],
              params: list[np.ndarray]) -> list[np.ndarray | None]:
    x = aux[0]
    return [np.where(x > 0, dy, _slope(params[0], x) * dy)]


ir_op(OpDef("prelu", lambda node, s: s[0], _forward, _backward,
            backward_keeps="its input (kept alive to the backward)", grad_reads=("x0",)))
c_emit("prelu", CEmit(forward="mdy_prelu_f32({{x}}, {{k0}}, {{y}}, {{c}}, {{hw}});",
                      input_grad="mdy_prelu_grad_f32({{dy}}, {{x}}, {{k0}}, {{dx}}, {{c}}, {{hw}});"))
