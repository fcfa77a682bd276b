"""BatchNormalization (inference, frozen): importer and numpy reference.

IR op ``affine``: y[c] = x[c] * scale[c] + shift[c], per channel (axis 0 per sample).
passes.fold_batchnorm folds it into a preceding conv/gemm; what remains stays frozen.
attrs["bn_beta"] names the ONNX beta initializer so that a folded conv without its own
bias can train the BN's beta as its bias.
C kernels: mdy_channel_affine_f32, mdy_channel_affine_grad_f32.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Node
from .registry import CEmit, OpDef, c_emit, ir_op, onnx_op


@onnx_op("BatchNormalization", checked_opset=28)
def import_batchnorm(node: Any, ctx: Any) -> None:
    if ctx.schema_version() < 9 and not ctx.attr("spatial", 1):
        raise ctx.fail("spatial=0 (statistics per element)", "export with spatial=1")
    if ctx.attr("training_mode", 0):
        raise ctx.fail("training_mode=1", "export the model in eval mode")
    if any(o for o in node.output[1:]):
        raise ctx.fail("running statistics outputs are used", "export the model in eval mode")
    x = ctx.act(node.input[0])
    params = [ctx.const(n) for n in node.input[1:5]]
    if any(p is None for p in params):
        raise ctx.fail("scale/bias/mean/var are not constants", "export in eval mode")
    c = ctx.shape(x)[0]
    for name, p in zip(node.input[1:5], params):
        if p.shape != (c,):
            raise ctx.fail(f"parameter '{name}' has shape {tuple(p.shape)} for an input with "
                           f"{c} channels", f"scale, bias, mean and var must each be ({c},)")
    gamma, beta, mean, var = (p.astype(np.float64) for p in params)
    eps = float(ctx.attr("epsilon", 1e-5))
    scale = gamma / np.sqrt(var + eps)
    shift = beta - mean * scale
    ctx.emit("affine", [x, ctx.constant(f"{node.input[1]}_scale", scale.astype(np.float32)),
                        ctx.constant(f"{node.input[2]}_shift", shift.astype(np.float32))],
             node.output[0], {"bn_beta": node.input[2], "scale64": scale, "shift64": shift})


def _view(v: np.ndarray, x: np.ndarray) -> np.ndarray:
    return v.reshape((-1,) + (1,) * (x.ndim - 1))


def _forward(node: Node, xs: list[np.ndarray], params: list[np.ndarray]) -> tuple[np.ndarray, Any]:
    x = xs[0]
    return x * _view(params[0], x) + _view(params[1], x), None


def _backward(node: Node, dy: np.ndarray, aux: Any, x_shapes: list[tuple[int, ...]],
              params: list[np.ndarray]) -> list[np.ndarray | None]:
    return [dy * _view(params[0], dy)]


ir_op(OpDef("affine", lambda node, s: s[0], _forward, _backward, backward_keeps="the scale"))

c_emit("affine", CEmit(
    forward="mdy_channel_affine_f32({{x}}, {{c}}, {{hw}}, {{k0}}, {{k1}}, {{y}});",
    input_grad="mdy_channel_affine_grad_f32({{dy}}, {{c}}, {{hw}}, {{k0}}, {{dx}});"))
