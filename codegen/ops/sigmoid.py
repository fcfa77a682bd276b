"""Sigmoid: y = 1 / (1 + exp(-x)); backward from the output, dy * y * (1 - y).
SiLU/Swish exports as Sigmoid then Mul (mul.py). C: mdy_sigmoid_f32(+_grad)."""
from __future__ import annotations

import numpy as np

from .elementwise import register_unary


def _sigmoid(node, x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))     # = 1 / (1 + exp(-x)) without overflow


register_unary("sigmoid", ("Sigmoid",), _sigmoid, lambda node, y: y * (1.0 - y), "y",
               "mdy_sigmoid_f32({{x}}, {{y}}, {{n}});",
               "mdy_sigmoid_grad_f32({{dy}}, {{y}}, {{dx}}, {{n}});")
