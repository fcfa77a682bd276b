"""Pad with zeros on the two spatial axes (mode constant, value 0): explicit padding
layers (ZeroPad2d, TF-style asymmetric SAME padding). The backward crops the interior.

IR op ``pad``: attrs pads (top, left, bottom, right). C: mdy_pad2d_f32(+_grad).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Node
from .registry import CEmit, OpDef, c_emit, ir_op, onnx_op


@onnx_op("Pad", checked_opset=28)
def import_pad(node: Any, ctx: Any) -> None:
    x = ctx.act(node.input[0])
    shape = ctx.shape(x)
    rank = len(shape) + 1
    mode = ctx.attrs_str("mode", "constant")
    if len(node.input) > 1 and node.input[1]:
        pads = ctx.const(node.input[1])
        if pads is None:
            raise ctx.fail("the pads are computed at run time", "export with constant pads")
        pads = [int(p) for p in pads.reshape(-1)]
    else:
        pads = [int(p) for p in ctx.attr("pads", [])]
    value = 0.0
    if len(node.input) > 2 and node.input[2]:
        v = ctx.const(node.input[2])
        value = float(v.reshape(-1)[0]) if v is not None and v.size else (np.nan if v is None else 0.0)
    else:
        value = float(ctx.attr("value", 0.0))
    axes = list(range(rank))
    if len(node.input) > 3 and node.input[3]:
        a = ctx.const(node.input[3])
        if a is None:
            raise ctx.fail("the axes are computed at run time", "export with constant axes")
        axes = [int(v) % rank for v in a.reshape(-1)]
    full = [0] * (2 * rank)
    for i, axis in enumerate(axes):
        full[axis], full[rank + axis] = pads[i], pads[len(axes) + i]
    if mode != "constant" or value != 0.0 or rank != 4 or any(full[i] for i in (0, 1, 4, 5)) \
            or any(p < 0 for p in full):
        raise ctx.fail(f"Pad mode={mode} value={value} pads={full}",
                       "only non-negative zero padding of H and W of an NCHW tensor is supported")
    ctx.emit("pad", [x], node.output[0], {"pads": (full[2], full[3], full[6], full[7])})


def _shape(node: Node, s: list[tuple[int, ...]]) -> tuple[int, ...]:
    t, l, b, r = node.attrs["pads"]
    return (s[0][0], s[0][1] + t + b, s[0][2] + l + r)


def _forward(node: Node, xs: list[np.ndarray], params: list[np.ndarray]) -> tuple[np.ndarray, Any]:
    t, l, b, r = node.attrs["pads"]
    return np.pad(xs[0], ((0, 0), (t, b), (l, r))), None


def _backward(node: Node, dy: np.ndarray, aux: Any, shapes: list[tuple[int, ...]],
              params: list[np.ndarray]) -> list[np.ndarray | None]:
    t, l, _, _ = node.attrs["pads"]
    _, h, w = shapes[0]
    return [dy[:, t:t + h, l:l + w].copy()]


ir_op(OpDef("pad", _shape, _forward, _backward))
_ARGS = "{{shapes[0][0]}}u, {{shapes[0][1]}}u, {{shapes[0][2]}}u, " \
        "{% for p in node.attrs.pads %}{{p}}u, {% endfor %}"
c_emit("pad", CEmit(forward="mdy_pad2d_f32({{x}}, " + _ARGS + "{{y}});",
                    input_grad="mdy_pad2d_grad_f32({{dy}}, " + _ARGS + "{{dx}});"))
