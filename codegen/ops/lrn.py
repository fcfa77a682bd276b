"""LRN (local response normalisation across channels; AlexNet, ZFNet, GoogLeNet v1):
    d[c] = bias + alpha / size * sum_{i = c - lo}^{c + hi} x[i]^2   (lo = (size-1)//2,
    y[c] = x[c] * d[c]^-beta                                          hi = size-1-lo)
Backward from the input (d recomputed):
    dx[i] = dy[i] d[i]^-beta - 2 alpha beta / size * x[i] * sum_{c = i - hi}^{i + lo} dy[c] x[c] d[c]^(-beta-1)
C kernels: mdy_lrn_f32, mdy_lrn_grad_f32 (no scratch).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Node
from .registry import CEmit, OpDef, c_emit, ir_op, onnx_op


@onnx_op("LRN", checked_opset=28)
def import_lrn(node: Any, ctx: Any) -> None:
    x = ctx.act(node.input[0])
    if len(ctx.shape(x)) != 3:
        raise ctx.fail(f"LRN over a per-sample shape {ctx.shape(x)}", "only NCHW inputs are supported")
    ctx.emit("lrn", [x], node.output[0], {
        "size": int(ctx.attr("size")), "alpha": float(ctx.attr("alpha", 1e-4)),
        "beta": float(ctx.attr("beta", 0.75)), "bias": float(ctx.attr("bias", 1.0))})


def _window_sum(v: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """out[c] = sum of v[c - lo .. c + hi] (clipped to the channels)."""
    c = v.shape[0]
    padded = np.concatenate([np.zeros((lo,) + v.shape[1:]), v, np.zeros((hi,) + v.shape[1:])])
    csum = np.concatenate([np.zeros((1,) + v.shape[1:]), np.cumsum(padded, axis=0)])
    return csum[lo + hi + 1: lo + hi + 1 + c] - csum[:c]


def _denominator(node: Node, x: np.ndarray) -> np.ndarray:
    a = node.attrs
    lo = (a["size"] - 1) // 2
    return a["bias"] + a["alpha"] / a["size"] * _window_sum(x * x, lo, a["size"] - 1 - lo)


def _forward(node: Node, xs: list[np.ndarray], params: list[np.ndarray]) -> tuple[np.ndarray, Any]:
    return xs[0] * _denominator(node, xs[0]) ** -node.attrs["beta"], None


def _backward(node: Node, dy: np.ndarray, aux: Any, shapes: list[tuple[int, ...]],
              params: list[np.ndarray]) -> list[np.ndarray | None]:
    a = node.attrs
    x = aux[0]
    d = _denominator(node, x)
    lo = (a["size"] - 1) // 2
    t = dy * x * d ** (-a["beta"] - 1.0)
    # the transposed window: c in [i - hi, i + lo]
    inner = _window_sum(t, a["size"] - 1 - lo, lo)
    return [dy * d ** -a["beta"] - 2.0 * a["alpha"] * a["beta"] / a["size"] * x * inner]


ir_op(OpDef("lrn", lambda node, s: s[0], _forward, _backward,
            backward_keeps="its input (kept alive to the backward)", grad_reads=("x0",),
            macs=lambda n, i, o: int(np.prod(o)) * (n.attrs["size"] + 2)))
_ARGS = "{{c}}, {{hw}}, {{node.attrs.size}}u, {{cf(node.attrs.alpha)}}, " \
        "{{cf(node.attrs.beta)}}, {{cf(node.attrs.bias)}}"
c_emit("lrn", CEmit(forward="mdy_lrn_f32({{x}}, " + _ARGS + ", {{y}});",
                    input_grad="mdy_lrn_grad_f32({{dy}}, {{x}}, " + _ARGS + ", {{dx}});"))
