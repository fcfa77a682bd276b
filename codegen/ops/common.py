"""Helpers shared by op modules: the fused/standalone clamp and its 1-bit mask."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Node


def act_mask(y: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Where a clamp passes the gradient, from its OUTPUT: lo < y < hi (torch's ReLU,
    ReLU6 and hardtanh convention). Stored as 1 bit per element on the device."""
    return (y > lo) & (y < hi)


def apply_act(node: Node, y: np.ndarray) -> tuple[np.ndarray, Any]:
    act = node.attrs.get("act")
    if act is None:
        return y, None
    lo, hi = act
    y = np.clip(y, lo, hi)
    return y, act_mask(y, lo, hi)


def mask_bytes(node: Node, out_shape: tuple[int, ...]) -> int:
    if node.attrs.get("act") is None:
        return 0
    return (int(np.prod(out_shape)) + 7) // 8


def per_sample_axis(ctx: Any, axis: int, rank_with_batch: int) -> int:
    """ONNX axis (with batch) -> per-sample axis; the batch axis itself is an error."""
    if axis < 0:
        axis += rank_with_batch
    if axis == 0:
        raise ctx.fail("the op works across the batch axis",
                       "medyate runs one sample at a time; export a per-sample model")
    return axis - 1


def legacy_broadcast(ctx: Any, value: np.ndarray, rank_with_batch: int) -> np.ndarray:
    """Add/Sub/Mul/Div before version 7 broadcast only with broadcast=1, aligning the
    second operand at `axis` (not at the trailing axes, as numpy and version 7+ do)."""
    if ctx.schema_version() >= 7:
        return value
    if not ctx.attr("broadcast", 0):
        if value.ndim != rank_with_batch:
            raise ctx.fail(f"a constant of shape {value.shape} without broadcast=1",
                           "set broadcast=1 or export with opset 7 or later")
        return value
    axis = ctx.attr("axis", None)
    if axis is None:
        return value
    axis = axis % rank_with_batch
    trailing = rank_with_batch - axis - value.ndim
    if trailing < 0:
        raise ctx.fail(f"a constant of shape {value.shape} at axis {axis}", "check the model")
    return value.reshape(value.shape + (1,) * trailing)
