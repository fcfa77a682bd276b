"""SparseUpdate (Lin et al., "On-Device Training Under 256KB Memory", NeurIPS 2022).

MIT's static sparse update: the biases of the last ``bias_layers`` layers, plus a fixed
prefix of input channels (the FIRST ``channel_ratio`` of them) in the ``weight_layers``
deepest layers. MIT chose those layers and ratios by contribution analysis and an
evolutionary search under their memory model; our reading, which keeps the structure
and fits it to OUR budget accounting:

* biases are paid first; if the last ``bias_layers`` biases do not all fit, the
  shallowest of them are dropped until they do;
* the channel ratio is then lowered (never below one channel per chosen layer) until
  the channels fit what is left; if one channel per layer still does not fit, the
  shallowest weight layer is dropped.

Static: the same schedule every epoch. Channels are ``0..count-1`` of each layer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from medyate.host_tools.selection.budget import InfeasibleBudget
from medyate.host_tools.selection.policies.base import FixedPolicy, LayerSpec, register_policy


def sparse_update_counts(
    layers: list[LayerSpec], ratio: float, budget_bytes: int
) -> dict[str, int]:
    """Per-layer prefix lengths for the largest ratio <= ``ratio`` that fits, or {}."""
    chosen = list(layers)
    while chosen:
        # Every ratio at which some layer's count changes, largest first.
        candidates = sorted(
            {ratio}
            | {
                k / layer.in_channels
                for layer in chosen
                for k in range(1, max(1, math.floor(ratio * layer.in_channels)) + 1)
                if k / layer.in_channels <= ratio
            },
            reverse=True,
        )
        for scale in candidates:
            counts = {
                layer.weight: max(1, math.floor(scale * layer.in_channels + 1e-9))
                for layer in chosen
            }
            cost = sum(layer.channels_bytes(counts[layer.weight]) for layer in chosen)
            if cost <= budget_bytes:
                return counts
        chosen = chosen[1:]  # drop the shallowest weight layer
    return {}


@register_policy
class SparseUpdate(FixedPolicy):
    """Biases of the last layers + a static prefix of channels in the deepest layers."""

    name = "sparse-update"
    PLAN_LAYERS = "sparse-update"
    OPTIONS: ClassVar[dict[str, Any]] = {
        "bias_layers": 8,  # last N given layers whose bias trains
        "weight_layers": 4,  # deepest M given layers that get channels
        "channel_ratio": 0.25,  # fraction of input channels (prefix) per weight layer
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ratio = float(self.options["channel_ratio"])
        if not 0.0 < ratio <= 1.0:
            raise ValueError(f"channel_ratio must be in (0, 1], got {ratio}")
        n_bias, n_weight = int(self.options["bias_layers"]), int(self.options["weight_layers"])
        if n_bias < 0 or n_weight < 0 or n_bias + n_weight == 0:
            raise ValueError("sparse-update needs bias_layers >= 0, weight_layers >= 0, not both 0")
        bias_layers = [
            layer for layer in self.layers[len(self.layers) - n_bias :] if layer.bias_elems > 0
        ] if n_bias else []
        while sum(layer.bias_bytes for layer in bias_layers) > self.budget_bytes:
            bias_layers = bias_layers[1:]
        remaining = self.budget_bytes - sum(layer.bias_bytes for layer in bias_layers)
        weight_layers = self.layers[len(self.layers) - n_weight :] if n_weight else []
        counts = sparse_update_counts(weight_layers, ratio, remaining)
        if not counts and not bias_layers:
            candidates = [layer.first_channel_bytes for layer in weight_layers]
            candidates += [layer.bias_bytes for layer in self.layers[-n_bias:] if layer.bias_elems]
            required = min(candidates) if candidates else self.budget_bytes + 1
            raise InfeasibleBudget(self.budget_bytes, required, "one channel or one bias")
        channels = {weight: range(count) for weight, count in counts.items()}
        self._schedule = self.build(channels, bias=[layer.weight for layer in bias_layers])

    @classmethod
    def plan_bias(cls, layer: LayerSpec, options: Mapping[str, Any]) -> bool:
        # make_plan already restricted the layers; biases of the plan's last
        # ``bias_layers`` layers train, decided in sparse_update_plan_layers.
        return layer.bias_elems > 0
