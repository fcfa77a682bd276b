"""Transpose that keeps the batch axis first (ShuffleNet's channel shuffle: reshape to
(g, C/g, H, W), swap the first two axes, reshape back). The backward is the transpose
by the inverse permutation.

IR op ``transpose``: attrs perm (per sample), inv (its inverse).
C kernel: mdy_transpose_f32 (dims and perm as compound literals).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Node
from .registry import CEmit, OpDef, c_emit, ir_op, onnx_op


@onnx_op("Transpose", checked_opset=28)
def import_transpose(node: Any, ctx: Any) -> None:
    x = ctx.act(node.input[0])
    rank = len(ctx.shape(x)) + 1
    perm = [int(p) % rank for p in ctx.attr("perm", list(range(rank))[::-1])]
    if perm[0] != 0:
        raise ctx.fail(f"Transpose {perm} moves the batch axis",
                       "keep the batch axis first (medyate runs one sample at a time)")
    per_sample = tuple(p - 1 for p in perm[1:])
    shape = ctx.shape(x)
    moved = [p for p in per_sample if shape[p] != 1]
    if moved == sorted(moved):        # only size-1 axes move: same bytes, a reshape
        out_shape = tuple(shape[p] for p in per_sample)
        if out_shape == shape:
            ctx.alias(node.output[0], x)
        else:
            ctx.emit("reshape", [x], node.output[0], {"shape": out_shape})
        return
    ctx.emit("transpose", [x], node.output[0],
             {"perm": per_sample, "inv": tuple(int(i) for i in np.argsort(per_sample))})


def _backward(node: Node, dy: np.ndarray, aux: Any, shapes: list[tuple[int, ...]],
              params: list[np.ndarray]) -> list[np.ndarray | None]:
    return [np.transpose(dy, node.attrs["inv"])]


ir_op(OpDef("transpose", lambda node, s: tuple(s[0][p] for p in node.attrs["perm"]),
            lambda node, xs, p: (np.ascontiguousarray(np.transpose(xs[0], node.attrs["perm"])), None),
            _backward))

_DIMS = "(const uint32_t[]){ {% for d in SHAPE %}{{d}}u, {% endfor %}}"
_PERM = "(const uint32_t[]){ {% for d in node.attrs.KEY %}{{d}}u, {% endfor %}}"
c_emit("transpose", CEmit(
    forward="mdy_transpose_f32({{x}}, {{y}}, {{node.attrs.perm|length}}u, "
            + _DIMS.replace("SHAPE", "shapes[0]") + ", " + _PERM.replace("KEY", "perm") + ");",
    input_grad="mdy_transpose_f32({{dy}}, {{dx}}, {{node.attrs.perm|length}}u, "
               + _DIMS.replace("SHAPE", "y_shape") + ", " + _PERM.replace("KEY", "inv") + ");"))
