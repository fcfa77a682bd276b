"""Gemm and MatMul with a constant weight: importer, shape rule, numpy reference.

IR op ``gemm``: inputs [x (F,), w (O, F), bias (O,) optional]; y = w x + bias, optional
fused clamp. ONNX Gemm's alpha/beta/transB and MatMul's (F, O) weight are folded into
the IR weight; the ParamBinding maps gradients back to the initializers as stored.
C kernels: mdy_gemm_f32, mdy_gemm_input_grad_f32, mdy_gemm_weight_grad_f32.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Node
from .common import apply_act, mask_bytes
from .registry import CEmit, OpDef, c_emit, ir_op, onnx_op


def _vector_input(ctx: Any, name: str) -> str:
    x = ctx.act(name)
    shape = ctx.shape(x)
    if len(shape) != 1:
        raise ctx.fail(f"input of per-sample shape {shape} is not a vector",
                       "flatten the activation before the matrix product")
    return x


def _bias_vector(ctx: Any, c: np.ndarray, out_f: int) -> np.ndarray:
    """Gemm's C as a per-sample (out_f,) vector, or a refusal. ONNX broadcasts C to the
    output (M, N); medyate runs one sample at a time, so C may not vary along M."""
    allowed = c.ndim == 0 or (c.ndim == 1 and c.shape[0] in (1, out_f)) or \
        (c.ndim == 2 and c.shape[0] == 1 and c.shape[1] in (1, out_f))
    if not allowed:
        raise ctx.fail(f"bias C of shape {tuple(c.shape)} for {out_f} outputs "
                       "(it varies along the batch axis or does not broadcast)",
                       f"use a bias of shape ({out_f},) or (1, {out_f})")
    return np.broadcast_to(c.reshape(-1), (out_f,))


def _check_features(ctx: Any, x: str, w_shape: tuple[int, ...], what: str) -> None:
    features = ctx.shape(x)[0]
    if w_shape[1] != features:
        raise ctx.fail(f"{what} expects {w_shape[1]} input features, the input has {features}",
                       "check the weight initializer's shape")


@onnx_op("Gemm", checked_opset=28)
def import_gemm(node: Any, ctx: Any) -> None:
    if ctx.attr("transA", 0):
        raise ctx.fail("transA=1 on the activation input", "export with transA=0")
    x = _vector_input(ctx, node.input[0])
    b = ctx.const(node.input[1])
    if b is None:
        raise ctx.fail("the weight (input B) is not a constant",
                       "export with the weights as initializers")
    if b.ndim != 2:
        raise ctx.fail(f"weight B of rank {b.ndim}", "Gemm needs a 2-D weight")
    alpha = float(ctx.attr("alpha", 1.0))
    beta = float(ctx.attr("beta", 1.0))
    trans_b = int(ctx.attr("transB", 0))
    perm = None if trans_b else (1, 0)
    _check_features(ctx, x, b.shape[::-1] if not trans_b else b.shape, f"weight B {b.shape}")
    w = ctx.param(node.input[1], b, perm=perm, scalar=alpha)
    out_f = ctx.shape(w)[0]
    inputs = [x, w]
    if len(node.input) > 2 and node.input[2]:
        c = ctx.const(node.input[2])
        if c is None:
            raise ctx.fail("the bias (input C) is not a constant",
                           "export with the bias as an initializer")
        vector = _bias_vector(ctx, c, out_f)
        if c.size == out_f:
            inputs.append(ctx.param(node.input[2], c, scalar=beta, ir_shape=(out_f,)))
        else:   # a broadcast scalar bias: a frozen constant (no weight per output)
            inputs.append(ctx.constant(node.input[2], (beta * vector).astype(np.float32)))
    ctx.emit("gemm", inputs, node.output[0], {"act": None})


@onnx_op("MatMul", checked_opset=28)
def import_matmul(node: Any, ctx: Any) -> None:
    x = _vector_input(ctx, node.input[0])
    b = ctx.const(node.input[1])
    if b is None or b.ndim != 2:
        raise ctx.fail("MatMul without a constant 2-D right operand",
                       "only x @ W with W an initializer is supported")
    _check_features(ctx, x, b.shape[::-1], f"weight {b.shape}")
    w = ctx.param(node.input[1], b, perm=(1, 0))
    ctx.emit("gemm", [x, w], node.output[0], {"act": None})


def gemm_shape(node: Node, in_shapes: list[tuple[int, ...]]) -> tuple[int, ...]:
    (f,), (o, fi) = in_shapes[0], in_shapes[1]
    if f != fi:
        raise ValueError(f"gemm: input has {f} features, weight expects {fi}")
    return (o,)


def gemm_forward(node: Node, xs: list[np.ndarray], params: list[np.ndarray]) -> tuple[np.ndarray, Any]:
    y = params[0] @ xs[0]
    if len(params) > 1:
        y = y + params[1]
    return apply_act(node, y)


def gemm_backward(node: Node, dy: np.ndarray, aux: Any, x_shapes: list[tuple[int, ...]],
                  params: list[np.ndarray]) -> list[np.ndarray | None]:
    return [params[0].T @ dy]


def gemm_weight_grad_slices(saved: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """(n_sel, O): slice j = dW[:, c_j] = x[c_j] * dy, from the saved features alone."""
    return np.outer(saved.reshape(-1), dy)


def gemm_slices_to_dense(slices: np.ndarray, channels: np.ndarray,
                         w_shape: tuple[int, ...]) -> np.ndarray:
    dense = np.zeros(w_shape, dtype=slices.dtype)
    if len(channels):
        dense[:, np.asarray(channels)] = slices.T
    return dense


ir_op(OpDef("gemm", gemm_shape, gemm_forward, gemm_backward,
            backward_keeps="1-bit mask of the fused clamp (if any); the weight",
            aux_bytes=lambda node, shape: mask_bytes(node, shape),
            macs=lambda n, i, o: i[1][0] * i[1][1]))

c_emit("gemm", CEmit(
    forward="mdy_gemm_f32({{x}}, {{in_f}}, {{out_f}}, {{w}}, {{b}}, {{lo}}, {{hi}}, {{y}});",
    input_grad="mdy_gemm_input_grad_f32({{dy}}, {{w}}, {{in_f}}, {{out_f}}, {{dx}});"))
