"""Budget-aware layer pre-selection: the expected gain of a layer pool under the budget.

Why (docs/ranking.md, "Why LaRa-as-read loses"): a layer's score on its own (RGN sum,
or energy per byte) says nothing about what the channel policy will do with the pool.
Every layer added to the pool takes a share of one epoch's budget from the others; on
cnn4 at 8 KiB the RGN pool {fc1, fc2} leaves the new classifier with 13 of its 36 input
channels per epoch while `last-layer` trains all 36 and wins by 20-46 points.

``expected_gain`` scores a candidate pool by simulating the policy that will consume
it: build the policy on the pool under the budget, draw ``probe_epochs`` schedules (the
same seeded draws training makes before any device feedback) and sum ``g_c ** power``
over the drawn channels (power 1, default: the gradient norm the budget captures, the
quantity TraDy's RGN sums; power 2: the first-order loss decrease of one SGD step).
``best_prefix`` evaluates the nested pools order[:1], order[:2], ... and keeps the one
of largest expected gain (the smallest on ties), so K adapts to the budget without a
coverage constant. A greedy knapsack over channels by the measured importance is what
the policy's draw already does inside a pool; this chooses the pool it draws from.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from medyate.host_tools.selection.policies.base import LayerSpec

#: schedules drawn per candidate pool (epochs 0..n-1 of the seeded policy)
DEFAULT_PROBE_EPOCHS = 4
#: a drawn channel's gain is g_c ** power; 1 = captured gradient norm (what TraDy's RGN
#: sums), 2 = first-order loss decrease of one SGD step, which pulls the early conv
#: layers in as LaRa-as-read does (docs/ranking.md)
DEFAULT_GAIN_POWER = 1.0


def expected_gain(policy_cls: Any, pool: Sequence[LayerSpec], budget_bytes: int, seed: int,
                  stats: Mapping[str, np.ndarray], probe_epochs: int = DEFAULT_PROBE_EPOCHS,
                  options: Mapping[str, Any] | None = None, power: float = DEFAULT_GAIN_POWER) -> float:
    """Mean over ``probe_epochs`` draws of sum(g_c^2) over the channels the policy
    schedules when ``pool`` is its whole pool."""
    if probe_epochs < 1:
        raise ValueError(f"probe_epochs must be >= 1, got {probe_epochs}")
    instance = policy_cls(list(pool), budget_bytes, seed,
                          {layer.weight: np.asarray(stats[layer.weight]) for layer in pool},
                          **dict(options or {}))
    total = 0.0
    for epoch in range(probe_epochs):
        schedule = instance.schedule(epoch)
        for weight, channels in schedule.channels.items():
            norms = np.asarray(stats[weight], dtype=np.float64)[list(channels)]
            total += float(np.sum(norms**power))
    return total / probe_epochs


def best_prefix(order: Sequence[LayerSpec], budget_bytes: int, policy_cls: Any, seed: int,
                stats: Mapping[str, np.ndarray], probe_epochs: int = DEFAULT_PROBE_EPOCHS,
                options: Mapping[str, Any] | None = None, power: float = DEFAULT_GAIN_POWER
                ) -> tuple[int, list[float]]:
    """(K, expected gain of order[:k] for k = 1..n): K = the first k of largest gain."""
    if not order:
        raise ValueError("best_prefix needs at least one candidate layer")
    gains = [expected_gain(policy_cls, order[:k], budget_bytes, seed, stats, probe_epochs, options, power)
             for k in range(1, len(order) + 1)]
    return int(np.argmax(gains)) + 1, gains
