"""Tanh: y = tanh(x); backward from the output, dy * (1 - y^2). C: mdy_tanh_f32(+_grad)."""
from __future__ import annotations

import numpy as np

from .elementwise import register_unary

register_unary("tanh", ("Tanh",), lambda node, x: np.tanh(x), lambda node, y: 1.0 - y * y, "y",
               "mdy_tanh_f32({{x}}, {{y}}, {{n}});",
               "mdy_tanh_grad_f32({{dy}}, {{y}}, {{dx}}, {{n}});")
