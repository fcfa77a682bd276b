"""Add and Div of two activations where one is per channel, (C, 1, 1) against (C, H, W)
(gates and re-weightings in the squeeze-excitation family), and Div of two same-shape
activations.

IR ops ``add_channel`` (inputs [x, s], s per channel): d x = dy, d s = sum_hw dy;
``div`` (inputs [x, s]; attrs channel): y = x / s, d x = dy / s,
d s = -dy * y / s (summed over H, W when s is per channel); its backward reads s and y.
C kernels: mdy_add_channel_f32, mdy_div_f32, mdy_div_grad_f32 (+ mdy_bias_grad_f32).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Node
from .registry import CEmit, OpDef, c_emit, ir_op


def _channel_pair(ctx: Any, a: str, b: str, what: str) -> bool:
    sa, sb = ctx.shape(a), ctx.shape(b)
    if sa == sb:
        return False
    if len(sa) == 3 and sb == (sa[0], 1, 1):
        return True
    raise ctx.fail(f"{what} of activations shaped {sa} and {sb}",
                   "only same-shape or per-channel (C, 1, 1) operands are supported")


def import_add_channel(ctx: Any, x: str, other: str, output: str | None) -> str:
    """x + other where one of them is (C, 1, 1): called by add.py's importer."""
    if int(np.prod(ctx.shape(x))) < int(np.prod(ctx.shape(other))):
        x, other = other, x
    _channel_pair(ctx, x, other, "Add")
    return ctx.emit("add_channel", [x, other], output)


def import_div_activations(node: Any, ctx: Any) -> None:
    """Called by scale.py's Div importer when both inputs are activations."""
    x, s = ctx.act(node.input[0]), ctx.act(node.input[1])
    ctx.emit("div", [x, s], node.output[0], {"channel": _channel_pair(ctx, x, s, "Div")})


def _sum_hw(v: np.ndarray, channel: bool) -> np.ndarray:
    return v.sum(axis=(1, 2), keepdims=True) if channel else v


ir_op(OpDef("add_channel", lambda node, s: s[0], lambda node, xs, p: (xs[0] + xs[1], None),
            lambda node, dy, aux, shapes, p: [dy, _sum_hw(dy, True)]))


def _div_backward(node: Node, dy: np.ndarray, aux: Any, shapes: list[tuple[int, ...]],
                  params: list[np.ndarray]) -> list[np.ndarray | None]:
    s, y = aux
    return [dy / s, _sum_hw(-dy * y / s, node.attrs["channel"])]


ir_op(OpDef("div", lambda node, s: s[0], lambda node, xs, p: (xs[0] / xs[1], None), _div_backward,
            backward_keeps="the divisor and the output (kept alive to the backward)",
            grad_reads=("x1", "y")))

c_emit("add_channel", CEmit(
    forward="mdy_add_channel_f32({{x}}, {{x2}}, {{y}}, {{c}}, {{hw}});",
    input_grad="{% if index == 0 %}memcpy({{dx}}, {{dy}}, {{n}} * sizeof(float));{% else %}"
               "memset({{dx}}, 0, {{c}} * sizeof(float)); "
               "mdy_bias_grad_f32({{dy}}, {{c}}, {{hw}}, {{dx}});{% endif %}"))
_CH = "{{ 1 if node.attrs.channel else 0 }}"
c_emit("div", CEmit(
    forward="mdy_div_f32({{x}}, {{x2}}, {{y}}, {{c}}, {{hw}}, " + _CH + ");",
    input_grad="{% if index == 0 %}mdy_div_f32({{dy}}, {{x2}}, {{dx}}, {{c}}, {{hw}}, " + _CH + ");"
               "{% else %}mdy_div_grad_f32({{dy}}, {{y}}, {{x2}}, {{dx}}, {{c}}, {{hw}}, " + _CH + ");"
               "{% endif %}"))
