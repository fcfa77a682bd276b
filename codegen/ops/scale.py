"""Mul / Div by a constant that is a scalar or per channel (input normalisation, layer
scales): lowered to the frozen per-channel ``affine`` op of batchnorm.py (shift 0), which
passes.fold_batchnorm folds into a preceding conv/gemm like a BatchNorm."""
from __future__ import annotations

from typing import Any

import numpy as np

from .add import per_sample_const
from .common import legacy_broadcast
from .registry import onnx_op


def per_channel_vector(ctx: Any, value: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A constant that broadcasts to `shape` and varies only along axis 0, as (C,)."""
    full = per_sample_const(ctx, value, shape).reshape(shape[0], -1)
    if not np.all(full == full[:, :1]):
        raise ctx.fail(f"constant of shape {value.shape} varies inside a channel",
                       "only scalar or per-channel constants are supported")
    return full[:, 0].astype(np.float64)


@onnx_op("Mul", "Div", checked_opset=28)
def import_scale(node: Any, ctx: Any) -> None:
    a, b = node.input[0], node.input[1]
    if ctx.const(a) is None and ctx.const(b) is None:   # two activations
        from .bcast import import_div_activations
        from .mul import import_mul_activations
        (import_mul_activations if node.op_type == "Mul" else import_div_activations)(node, ctx)
        return
    if ctx.const(a) is not None and node.op_type == "Mul":
        a, b = b, a
    constant = ctx.const(b)
    if constant is None or ctx.const(a) is not None:
        raise ctx.fail(f"{node.op_type} of two activations (or a constant by an activation)",
                       "only an activation times/divided by a constant is supported")
    x = ctx.act(a)
    constant = legacy_broadcast(ctx, constant, len(ctx.shape(x)) + 1)
    scale = per_channel_vector(ctx, constant, ctx.shape(x))
    if node.op_type == "Div":
        if np.any(scale == 0):
            raise ctx.fail("division by zero", "check the model")
        scale = 1.0 / scale
    shift = np.zeros_like(scale)
    ctx.emit("affine", [x, ctx.constant(f"{node.output[0]}_scale", scale.astype(np.float32)),
                        ctx.constant(f"{node.output[0]}_shift", shift.astype(np.float32))],
             node.output[0], {"bn_beta": None, "scale64": scale, "shift64": shift})
