"""Full fine-tuning: every input channel of every given layer (plus biases). Static.

Under the budget accounting this is the sum of every layer's pool; when it does not fit
the policy refuses with the exact figure (InfeasibleBudget) instead of training a part.
"""

from __future__ import annotations

from typing import Any, ClassVar

from medyate.host_tools.selection.budget import InfeasibleBudget
from medyate.host_tools.selection.policies.base import FixedPolicy, register_policy


@register_policy
class Full(FixedPolicy):
    """Every channel of every layer."""

    name = "full"
    PLAN_LAYERS = "all"
    OPTIONS: ClassVar[dict[str, Any]] = {"train_bias": True}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bias = [layer.weight for layer in self.layers if self.plan_bias(layer, self.options)]
        cost = sum(layer.pool_bytes for layer in self.layers) + sum(
            layer.bias_bytes for layer in self.layers if layer.weight in bias
        )
        if cost > self.budget_bytes:
            raise InfeasibleBudget(
                self.budget_bytes, cost, f"every channel of all {len(self.layers)} layers"
            )
        channels = {layer.weight: range(layer.in_channels) for layer in self.layers}
        self._schedule = self.build(channels, bias=bias)
