"""HardSigmoid: y = clip(alpha * x + beta, 0, 1) (MobileNetV3's gate: alpha 1/6, beta
1/2); backward from the input, alpha where 0 < alpha x + beta < 1.
C: mdy_hardsigmoid_f32(+_grad)."""
from __future__ import annotations

from typing import Any

import numpy as np

from .elementwise import register_unary


def _attrs(ctx: Any) -> dict[str, float]:
    return {"alpha": float(ctx.attr("alpha", 0.2)), "beta": float(ctx.attr("beta", 0.5))}


def _forward(node, x: np.ndarray) -> np.ndarray:
    return np.clip(node.attrs["alpha"] * x + node.attrs["beta"], 0.0, 1.0)


def _derivative(node, x: np.ndarray) -> np.ndarray:
    v = node.attrs["alpha"] * x + node.attrs["beta"]
    return np.where((v > 0.0) & (v < 1.0), node.attrs["alpha"], 0.0)


register_unary("hardsigmoid", ("HardSigmoid",), _forward, _derivative, "x0",
               "mdy_hardsigmoid_f32({{x}}, {{y}}, {{n}}, {{cf(node.attrs.alpha)}}, "
               "{{cf(node.attrs.beta)}});",
               "mdy_hardsigmoid_grad_f32({{dy}}, {{x}}, {{dx}}, {{n}}, {{cf(node.attrs.alpha)}}, "
               "{{cf(node.attrs.beta)}});", _attrs)
