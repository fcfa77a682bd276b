"""Mul of two activations: same shape (SiLU's x * sigmoid(x)) or one of them per
channel, (C, 1, 1) against (C, H, W) (squeeze-excitation's rescale). The importer puts
the full-size operand first (the product commutes).

IR op ``mul``: inputs [x, s]; attrs channel (s is (C, 1, 1) broadcast over H, W).
Backward reads both inputs: d x = dy * s; d s = dy * x, summed over H, W when broadcast.
C kernels: mdy_mul_f32, mdy_mul_channel_f32, mdy_mul_channel_grad_f32.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Node
from .registry import CEmit, OpDef, c_emit, ir_op


def import_mul_activations(node: Any, ctx: Any) -> None:
    """Called by scale.py's Mul importer when both inputs are activations."""
    a, b = ctx.act(node.input[0]), ctx.act(node.input[1])
    sa, sb = ctx.shape(a), ctx.shape(b)
    if int(np.prod(sa)) < int(np.prod(sb)):
        a, b, sa, sb = b, a, sb, sa
    if sa == sb:
        channel = False
    elif len(sa) == 3 and sb in ((sa[0], 1, 1),):
        channel = True
    else:
        raise ctx.fail(f"Mul of activations shaped {sa} and {sb}",
                       "only same-shape or per-channel (C, 1, 1) products are supported")
    ctx.emit("mul", [a, b], node.output[0], {"channel": channel})


def _forward(node: Node, xs: list[np.ndarray], params: list[np.ndarray]) -> tuple[np.ndarray, Any]:
    return xs[0] * xs[1], None


def _backward(node: Node, dy: np.ndarray, aux: Any, shapes: list[tuple[int, ...]],
              params: list[np.ndarray]) -> list[np.ndarray | None]:
    x, s = aux
    ds = dy * x
    if node.attrs["channel"]:
        ds = ds.sum(axis=(1, 2), keepdims=True)
    return [dy * s, ds]


ir_op(OpDef("mul", lambda node, s: s[0], _forward, _backward,
            backward_keeps="both inputs (kept alive to the backward)", grad_reads=("x0", "x1"),
            macs=lambda n, i, o: int(np.prod(o))))

_FORWARD = ("{% if node.attrs.channel %}mdy_mul_channel_f32({{x}}, {{x2}}, {{y}}, {{c}}, {{hw}});"
            "{% else %}mdy_mul_f32({{x}}, {{x2}}, {{y}}, {{n}});{% endif %}")
_GRAD = ("{% if index == 0 %}{% if node.attrs.channel %}"
         "mdy_mul_channel_f32({{dy}}, {{x2}}, {{dx}}, {{c}}, {{hw}});"
         "{% else %}mdy_mul_f32({{dy}}, {{x2}}, {{dx}}, {{n}});{% endif %}"
         "{% elif node.attrs.channel %}mdy_mul_channel_grad_f32({{dy}}, {{x}}, {{dx}}, {{c}}, {{hw}});"
         "{% else %}mdy_mul_f32({{dy}}, {{x}}, {{dx}}, {{n}});{% endif %}")
c_emit("mul", CEmit(forward=_FORWARD, input_grad=_GRAD))
