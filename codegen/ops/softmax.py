"""Softmax inside the graph (not the trailing one, which reshape.py drops for training):
forward only. It may sit where no gradient flows (before every trained layer, e.g. an
attention-style gate in a frozen backbone); a plan that trains through it is refused with
one line (training.py: an op without a backward on the backward path).

IR op ``softmax``: attrs groups, n (softmax over n values, for each of `groups`
positions; values of one softmax are `groups` apart: channel-wise per pixel for opset
13+ axis=1 on NCHW, or over the whole sample for the older flattening semantics).
C kernel: mdy_softmax_f32.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Node
from .common import per_sample_axis
from .registry import CEmit, OpDef, c_emit, ir_op


def import_inner_softmax(node: Any, ctx: Any, x: str, axis: int, opset: int) -> None:
    """Called by reshape.py's Softmax importer for a Softmax that is not the graph's tail."""
    if node.op_type != "Softmax":
        raise ctx.fail("LogSoftmax inside the graph", "only a trailing LogSoftmax is supported")
    shape = ctx.shape(x)
    a = per_sample_axis(ctx, axis, len(shape) + 1)
    size = int(np.prod(shape))
    if opset < 13:                      # coerced to 2-D at `axis`: one softmax over [axis:]
        if a != 0:
            raise ctx.fail(f"Softmax over axes {axis}.. of a sample", "use axis=1")
        ctx.emit("softmax", [x], node.output[0], {"n": size, "groups": 1})
        return
    if a != 0:
        raise ctx.fail(f"Softmax over axis {axis}", "only the channel axis (1) is supported")
    ctx.emit("softmax", [x], node.output[0], {"n": shape[0], "groups": size // shape[0]})


def _forward(node: Node, xs: list[np.ndarray], params: list[np.ndarray]) -> tuple[np.ndarray, Any]:
    x = xs[0].reshape(node.attrs["n"], node.attrs["groups"])
    z = np.exp(x - x.max(axis=0, keepdims=True))
    return (z / z.sum(axis=0, keepdims=True)).reshape(xs[0].shape), None


ir_op(OpDef("softmax", lambda node, s: s[0], _forward, None,
            backward_keeps="(no backward: not trained through)"))
c_emit("softmax", CEmit(
    forward="mdy_softmax_f32({{x}}, {{node.attrs.n}}u, {{node.attrs.groups}}u, {{y}});"))
