"""Add / Sum (residual joins) and Add of a constant: importer and numpy reference.

IR ops ``add`` (two activations of the same shape; backward passes dy to both) and
``add_const`` (activation + broadcast constant; backward passes dy through).
C kernel: mdy_add_f32.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Node
from .common import legacy_broadcast
from .registry import CEmit, OpDef, c_emit, ir_op, onnx_op


def per_sample_const(ctx: Any, value: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    full_rank = len(shape) + 1
    if value.ndim == full_rank:
        if value.shape[0] != 1:
            raise ctx.fail("a constant varies along the batch axis", "use a per-sample constant")
        value = value[0]
    try:
        return np.broadcast_to(value, shape).astype(np.float32).copy()
    except ValueError:
        raise ctx.fail(f"constant of shape {value.shape} does not broadcast to {shape}",
                       "check the model") from None


@onnx_op("Add", "Sum", checked_opset=28)
def import_add(node: Any, ctx: Any) -> None:
    names = [n for n in node.input if n]
    acts = [n for n in names if ctx.const(n) is None]
    consts = [n for n in names if ctx.const(n) is not None]
    if not acts:
        raise ctx.fail("no activation input", "check the model")
    current = ctx.act(acts[0])
    shape = ctx.shape(current)
    remaining = acts[1:]
    for i, other in enumerate(remaining):
        other_ir = ctx.act(other)
        last = i == len(remaining) - 1 and not consts
        if ctx.shape(other_ir) != shape:      # one operand per channel: bcast.py
            from .bcast import import_add_channel
            current = import_add_channel(ctx, current, other_ir, node.output[0] if last else None)
            shape = ctx.shape(current)
            continue
        current = ctx.emit("add", [current, other_ir], node.output[0] if last else None)
    if consts:
        rank = len(shape) + 1
        total = sum(legacy_broadcast(ctx, ctx.const(c), rank).astype(np.float64) for c in consts)
        const = ctx.constant(f"{node.output[0]}_const", per_sample_const(ctx, total, shape))
        ctx.emit("add_const", [current, const], node.output[0])
    elif not remaining:
        ctx.alias(node.output[0], current)


@onnx_op("Sub", checked_opset=28)
def import_sub(node: Any, ctx: Any) -> None:
    constant = ctx.const(node.input[1])
    if constant is None or ctx.const(node.input[0]) is not None:
        raise ctx.fail("Sub of two activations (or of an activation from a constant)",
                       "only an activation minus a constant is supported")
    x = ctx.act(node.input[0])
    constant = legacy_broadcast(ctx, constant, len(ctx.shape(x)) + 1)
    const = ctx.constant(f"{node.output[0]}_const",
                         per_sample_const(ctx, -constant.astype(np.float64), ctx.shape(x)))
    ctx.emit("add_const", [x, const], node.output[0])


def _add_forward(node: Node, xs: list[np.ndarray], params: list[np.ndarray]) -> tuple[np.ndarray, Any]:
    return xs[0] + xs[1], None


def _add_const_forward(node: Node, xs: list[np.ndarray], params: list[np.ndarray]) -> tuple[np.ndarray, Any]:
    return xs[0] + params[0], None


ir_op(OpDef("add", lambda node, s: s[0], _add_forward,
            lambda node, dy, aux, shapes, params: [dy, dy]))
ir_op(OpDef("add_const", lambda node, s: s[0], _add_const_forward,
            lambda node, dy, aux, shapes, params: [dy]))

c_emit("add", CEmit(forward="mdy_add_f32({{x}}, {{x2}}, {{y}}, {{n}});"))
c_emit("add_const", CEmit(forward="mdy_add_f32({{x}}, {{k0}}, {{y}}, {{n}});"))
