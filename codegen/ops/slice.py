"""Slice and Split on the channel axis (ShuffleNetV2's channel split, chunk()): each
output is a contiguous block of the input per sample, so the forward is one memcpy and
the gradient zero-fills the input gradient around the block. Split lowers to one
``slice`` per output (unused ones are dropped as dead nodes); gradients of several
slices of one tensor accumulate like any fan-out.

IR op ``slice``: attrs start, stop (channels), inner (elements per channel).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Node
from .common import per_sample_axis
from .registry import CEmit, OpDef, c_emit, ir_op, onnx_op


def _emit_slice(ctx: Any, x: str, start: int, stop: int, output: str) -> None:
    shape = ctx.shape(x)
    if start == 0 and stop == shape[0]:
        ctx.alias(output, x)
        return
    ctx.emit("slice", [x], output, {"start": start, "stop": stop,
                                    "inner": int(np.prod(shape[1:]))})


def _int_list(ctx: Any, index: int, attr: str) -> list[int] | None:
    if len(ctx.node.input) > index and ctx.node.input[index]:
        value = ctx.const(ctx.node.input[index])
        if value is None:
            raise ctx.fail(f"{attr} is computed at run time", "export with constant slice bounds")
        return [int(v) for v in value.reshape(-1)]
    value = ctx.attr(attr, None)
    return None if value is None else [int(v) for v in value]


@onnx_op("Slice", checked_opset=28)
def import_slice(node: Any, ctx: Any) -> None:
    x = ctx.act(node.input[0])
    shape = ctx.shape(x)
    rank = len(shape) + 1
    starts, ends = _int_list(ctx, 1, "starts"), _int_list(ctx, 2, "ends")
    axes = _int_list(ctx, 3, "axes") or list(range(len(starts or [])))
    steps = _int_list(ctx, 4, "steps") or [1] * len(axes)
    channel = None
    for start, end, axis, step in zip(starts or [], ends or [], axes, steps):
        a = per_sample_axis(ctx, axis, rank)
        size = shape[a]
        lo, hi = sorted((0, start + size if start < 0 else start, size))[1], \
            sorted((0, end + size if end < 0 else end, size))[1]
        if step == 1 and lo == 0 and hi == size:
            continue                       # the whole axis: not a real slice
        if a != 0 or step != 1 or channel is not None:
            raise ctx.fail(f"Slice of axis {axis} with step {step}",
                           "only a contiguous slice of the channel axis is supported")
        channel = (lo, max(lo, hi))
    start, stop = channel if channel is not None else (0, shape[0])
    _emit_slice(ctx, x, start, stop, node.output[0])


@onnx_op("Split", checked_opset=28)
def import_split(node: Any, ctx: Any) -> None:
    x = ctx.act(node.input[0])
    shape = ctx.shape(x)
    axis = per_sample_axis(ctx, int(ctx.attr("axis", 0)), len(shape) + 1)
    if axis != 0:
        raise ctx.fail(f"Split on axis {axis + 1}", "only a split of the channel axis is supported")
    outputs = list(node.output)
    sizes = _int_list(ctx, 1, "split")
    if sizes is None:
        parts = int(ctx.attr("num_outputs", len(outputs)))
        chunk = -(-shape[0] // parts)
        sizes = [min(chunk, shape[0] - i * chunk) for i in range(parts)]
    if sum(sizes) != shape[0] or len(sizes) != len(outputs):
        raise ctx.fail(f"split sizes {sizes} of {shape[0]} channels", "check the model")
    start = 0
    for size, output in zip(sizes, outputs):
        if output:
            _emit_slice(ctx, x, start, start + size, output)
        start += size


def _shape(node: Node, s: list[tuple[int, ...]]) -> tuple[int, ...]:
    return (node.attrs["stop"] - node.attrs["start"],) + tuple(s[0][1:])


def _backward(node: Node, dy: np.ndarray, aux: Any, shapes: list[tuple[int, ...]],
              params: list[np.ndarray]) -> list[np.ndarray | None]:
    dx = np.zeros(shapes[0], dtype=dy.dtype)
    dx[node.attrs["start"]:node.attrs["stop"]] = dy
    return [dx]


ir_op(OpDef("slice", _shape,
            lambda node, xs, p: (xs[0][node.attrs["start"]:node.attrs["stop"]].copy(), None),
            _backward))
c_emit("slice", CEmit(
    forward="memcpy({{y}}, {{x}} + {{node.attrs.start * node.attrs.inner}}u, {{n}} * sizeof(float));",
    input_grad="memset({{dx}}, 0, {{in_f}} * sizeof(float)); "
               "memcpy({{dx}} + {{node.attrs.start * node.attrs.inner}}u, {{dy}}, {{n}} * sizeof(float));"))
