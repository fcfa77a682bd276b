"""Last-layer fine-tuning: every input channel of the deepest layer (plus its bias).

The classic linear-probe baseline. Static. If the whole layer does not fit the budget
the policy refuses (InfeasibleBudget with the exact cost) rather than silently training
part of it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from medyate.host_tools.selection.budget import InfeasibleBudget
from medyate.host_tools.selection.policies.base import FixedPolicy, register_policy


@register_policy
class LastLayer(FixedPolicy):
    """All channels of the deepest given layer."""

    name = "last-layer"
    PLAN_LAYERS = "deepest"
    OPTIONS: ClassVar[dict[str, Any]] = {"train_bias": True}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        deepest = self.layers[-1]
        bias = [deepest.weight] if self.plan_bias(deepest, self.options) else []
        cost = deepest.pool_bytes + (deepest.bias_bytes if bias else 0)
        if cost > self.budget_bytes:
            raise InfeasibleBudget(
                self.budget_bytes, cost, f"every channel of the deepest layer {deepest.weight!r}"
            )
        self._schedule = self.build({deepest.weight: range(deepest.in_channels)}, bias=bias)
