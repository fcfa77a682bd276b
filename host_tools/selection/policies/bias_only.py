"""Bias-only fine-tuning (TinyTL, Cai et al. NeurIPS 2020): no weight channel trains.

Only the bias-gradient buffers count against the budget (4 bytes per bias element;
bias gradients need no saved activation). If every bias does not fit, biases are taken
from the deepest layer towards the input while they fit (our reading: TinyTL trains all
biases and has no budget rule). Static.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from medyate.host_tools.selection.budget import InfeasibleBudget
from medyate.host_tools.selection.policies.base import FixedPolicy, LayerSpec, register_policy


@register_policy
class BiasOnly(FixedPolicy):
    """Biases only; ``Schedule.bias`` lists the layers whose bias trains."""

    name = "bias-only"
    PLAN_LAYERS = "with-bias"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        with_bias = [layer for layer in self.layers if layer.bias_elems > 0]
        if not with_bias:
            raise ValueError("bias-only: none of the plan's layers has a bias")
        remaining, chosen = self.budget_bytes, []
        for layer in sorted(with_bias, key=lambda layer: -layer.depth):
            if layer.bias_bytes <= remaining:
                chosen.append(layer.weight)
                remaining -= layer.bias_bytes
        if not chosen:
            cheapest = min(layer.bias_bytes for layer in with_bias)
            raise InfeasibleBudget(self.budget_bytes, cheapest, "a single layer's bias")
        self._schedule = self.build({}, bias=chosen)

    @classmethod
    def plan_bias(cls, layer: LayerSpec, options: Mapping[str, Any]) -> bool:
        return layer.bias_elems > 0
