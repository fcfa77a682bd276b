"""LeakyRelu: y = x where x > 0, else alpha * x; backward from the input.
C: mdy_leaky_relu_f32(+_grad)."""
from __future__ import annotations

import numpy as np

from .elementwise import register_unary

register_unary("leaky_relu", ("LeakyRelu",),
               lambda node, x: np.where(x > 0, x, node.attrs["alpha"] * x),
               lambda node, x: np.where(x > 0, 1.0, node.attrs["alpha"]), "x0",
               "mdy_leaky_relu_f32({{x}}, {{y}}, {{n}}, {{cf(node.attrs.alpha)}});",
               "mdy_leaky_relu_grad_f32({{dy}}, {{x}}, {{dx}}, {{n}}, {{cf(node.attrs.alpha)}});",
               lambda ctx: {"alpha": float(ctx.attr("alpha", 0.01))})
