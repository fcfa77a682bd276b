"""Relu and Clip (ReLU6): importer and numpy reference.

IR op ``clamp``: y = min(max(x, lo), hi). Backward keeps a 1-bit mask (lo < y < hi).
Usually fused into the producing conv/gemm by passes.fuse_activations.
C kernels: mdy_clamp_f32, mdy_clamp_mask_f32, mdy_mask_apply_f32.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Node
from .common import act_mask
from .registry import CEmit, OpDef, c_emit, ir_op, onnx_op


@onnx_op("Relu", checked_opset=28)
def import_relu(node: Any, ctx: Any) -> None:
    ctx.emit("clamp", [ctx.act(node.input[0])], node.output[0], {"lo": 0.0, "hi": float("inf")})


@onnx_op("Clip", checked_opset=28)
def import_clip(node: Any, ctx: Any) -> None:
    lo, hi = ctx.attr("min", -3.4028234663852886e38), ctx.attr("max", 3.4028234663852886e38)
    for index, name in ((1, "min"), (2, "max")):
        if len(node.input) > index and node.input[index]:
            value = ctx.const(node.input[index])
            if value is None:
                raise ctx.fail(f"{name} is not a constant", "export Clip with constant bounds")
            if name == "min":
                lo = float(value)
            else:
                hi = float(value)
    lo = -float("inf") if lo <= -3.4e38 else float(lo)
    hi = float("inf") if hi >= 3.4e38 else float(hi)
    ctx.emit("clamp", [ctx.act(node.input[0])], node.output[0], {"lo": lo, "hi": hi})


def _forward(node: Node, xs: list[np.ndarray], params: list[np.ndarray]) -> tuple[np.ndarray, Any]:
    lo, hi = node.attrs["lo"], node.attrs["hi"]
    y = np.clip(xs[0], lo, hi)
    return y, act_mask(y, lo, hi)


def _backward(node: Node, dy: np.ndarray, aux: Any, x_shapes: list[tuple[int, ...]],
              params: list[np.ndarray]) -> list[np.ndarray | None]:
    return [dy * aux]


ir_op(OpDef("clamp", lambda node, s: s[0], _forward, _backward,
            backward_keeps="1-bit mask (lo < y < hi)",
            aux_bytes=lambda node, shape: (int(np.prod(shape)) + 7) // 8))

c_emit("clamp", CEmit(
    forward="memcpy({{y}}, {{x}}, {{n}} * sizeof(float)); mdy_clamp_f32({{y}}, {{n}}, {{lo}}, {{hi}});"))
