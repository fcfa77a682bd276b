"""HardSwish: y = x * clip(x / 6 + 1/2, 0, 1) (MobileNetV3); backward from the input
with torch's derivative (0 below -3, x/3 + 1/2 in [-3, 3], 1 above).
C: mdy_hardswish_f32(+_grad). Opset < 14 exports it as HardSigmoid then Mul."""
from __future__ import annotations

import numpy as np

from .elementwise import register_unary


def _derivative(node, x: np.ndarray) -> np.ndarray:
    return np.where(x < -3.0, 0.0, np.where(x > 3.0, 1.0, x / 3.0 + 0.5))


register_unary("hardswish", ("HardSwish",),
               lambda node, x: x * np.clip(x / 6.0 + 0.5, 0.0, 1.0), _derivative, "x0",
               "mdy_hardswish_f32({{x}}, {{y}}, {{n}});",
               "mdy_hardswish_grad_f32({{dy}}, {{x}}, {{dx}}, {{n}});")
