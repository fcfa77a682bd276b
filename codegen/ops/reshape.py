"""Flatten, Reshape, Identity, Dropout (inference), Squeeze/Unsqueeze of size-1 axes, and a
trailing Softmax/LogSoftmax: importers. Reshape is an alias of the same bytes (per sample,
row-major), so it costs nothing on the device.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .registry import CEmit, OpDef, c_emit, ir_op, onnx_op


def _reshape_to(ctx: Any, node: Any, x: str, per_sample: tuple[int, ...]) -> None:
    size = int(np.prod(ctx.shape(x)))
    if int(np.prod(per_sample)) != size:
        raise ctx.fail(f"reshape of {ctx.shape(x)} to {per_sample}", "check the model")
    if tuple(per_sample) == ctx.shape(x):
        ctx.alias(node.output[0], x)
    else:
        ctx.emit("reshape", [x], node.output[0], {"shape": tuple(int(d) for d in per_sample)})


@onnx_op("Flatten", checked_opset=28)
def import_flatten(node: Any, ctx: Any) -> None:
    x = ctx.act(node.input[0])
    axis = ctx.attr("axis", 1)
    rank = len(ctx.shape(x)) + 1
    if axis == 0 or axis % rank != 1:
        raise ctx.fail(f"Flatten with axis={axis}", "flatten per sample (axis=1)")
    _reshape_to(ctx, node, x, (int(np.prod(ctx.shape(x))),))


@onnx_op("Reshape", checked_opset=28)
def import_reshape(node: Any, ctx: Any) -> None:
    x = ctx.act(node.input[0])
    target = ctx.const(node.input[1])
    if target is None:
        raise ctx.fail("the target shape is computed at run time",
                       "export with a constant shape (or static input sizes)")
    target = [int(d) for d in target.reshape(-1)]
    if target.count(-1) > 1 or any(d < -1 for d in target):
        raise ctx.fail(f"Reshape to {target}", "at most one -1 and no other negative size")
    full = (ctx.batch,) + ctx.shape(x)
    allow_zero = ctx.attr("allowzero", 0)
    resolved = [full[i] if d == 0 and not allow_zero and i < len(full) else d
                for i, d in enumerate(target)]
    if -1 in resolved:
        known = int(np.prod([d for d in resolved if d != -1]))
        if known <= 0 or int(np.prod(full)) % known:
            raise ctx.fail(f"Reshape of {full} to {target}: the sizes do not divide",
                           "check the target shape")
        resolved[resolved.index(-1)] = int(np.prod(full)) // known
    if not resolved or resolved[0] != ctx.batch:
        raise ctx.fail(f"Reshape to {target} mixes the batch axis with the features",
                       "keep the batch as the first axis")
    _reshape_to(ctx, node, x, tuple(resolved[1:]))


def _axes(ctx: Any, node: Any) -> list[int] | None:
    """Squeeze/Unsqueeze axes: an attribute before opset 13, an input from 13 on."""
    if len(node.input) > 1 and node.input[1]:
        value = ctx.const(node.input[1])
        if value is None:
            raise ctx.fail("the axes are computed at run time", "export with constant axes")
        return [int(a) for a in value.reshape(-1)]
    axes = ctx.attr("axes", None)
    return None if axes is None else [int(a) for a in axes]


@onnx_op("Squeeze", "Unsqueeze", checked_opset=28)
def import_squeeze(node: Any, ctx: Any) -> None:
    """Resolved from the axes on the per-sample shape, whatever the (fixed) batch."""
    x = ctx.act(node.input[0])
    per_sample = list(ctx.shape(x))
    axes = _axes(ctx, node)
    if node.op_type == "Squeeze":
        rank = len(per_sample) + 1
        if axes is None:            # every size-1 axis but the batch
            kept = [d for d in per_sample if d != 1]
        else:
            norm = sorted({a % rank for a in axes}) if all(-rank <= a < rank for a in axes) \
                else None
            if norm is None or 0 in norm or any(per_sample[a - 1] != 1 for a in norm):
                raise ctx.fail(f"Squeeze of axes {axes} of a tensor (N, {per_sample})",
                               "only size-1 axes after the batch axis can be squeezed")
            kept = [d for i, d in enumerate(per_sample, start=1) if i not in norm]
    else:
        rank = len(per_sample) + 1 + len(axes or [])
        norm = sorted({a % rank for a in axes or []})
        if not axes or len(norm) != len(axes) or not all(-rank <= a < rank for a in axes) \
                or 0 in norm:
            raise ctx.fail(f"Unsqueeze of axes {axes} of a tensor (N, {per_sample})",
                           "only new axes after the batch axis are supported")
        rest = iter(per_sample)
        kept = [1 if i in norm else next(rest) for i in range(1, rank)]
    _reshape_to(ctx, node, x, tuple(kept))


@onnx_op("Identity", "Dropout", checked_opset=28)
def import_identity(node: Any, ctx: Any) -> None:
    if node.op_type == "Dropout":
        if len(node.input) > 2 and node.input[2]:
            training = ctx.const(node.input[2])
            if training is None or bool(training):
                raise ctx.fail("Dropout in training mode", "export the model in eval mode")
        mask = node.output[1] if len(node.output) > 1 else ""
        graph = ctx.model.graph
        if mask and (any(mask in n.input for n in graph.node)
                     or any(o.name == mask for o in graph.output)):
            raise ctx.fail("the dropout mask output is used", "export in eval mode")
    ctx.alias(node.output[0], ctx.act(node.input[0]))


@onnx_op("Softmax", "LogSoftmax", checked_opset=28)
def import_softmax(node: Any, ctx: Any) -> None:
    x = ctx.act(node.input[0])
    rank = len(ctx.shape(x)) + 1
    axis = ctx.attr("axis", -1 if ctx.schema_version() >= 13 else 1)
    # (classes,) or (classes, 1, 1) (a fully convolutional head, e.g. SqueezeNet)
    classes_only = int(np.prod(ctx.shape(x)[1:])) == 1
    if node.output[0] != ctx.graph_output:
        from .softmax import import_inner_softmax   # inside the graph: forward only
        import_inner_softmax(node, ctx, x, axis, ctx.schema_version())
        return
    if not classes_only or axis % rank != 1:
        raise ctx.fail("Softmax inside the graph or over a non-class axis",
                       "only a trailing Softmax/LogSoftmax over the class axis is supported "
                       "(it is dropped for training: the loss takes logits)")
    ctx.dropped_tail.append({"op": node.op_type.lower(), "node": node.name})
    ctx.alias(node.output[0], x)


ir_op(OpDef("reshape", lambda node, s: tuple(node.attrs["shape"]),
            lambda node, xs, p: (xs[0].reshape(node.attrs["shape"]), None),
            lambda node, dy, aux, shapes, p: [dy.reshape(shapes[0])]))

c_emit("reshape", CEmit(forward=""))   # an alias: same bytes, nothing to run
