"""TraDy "D-TopK Random" (arXiv 2510.19675) and its D-Full Random counterpart.

Each epoch the pool of (layer, input channel) pairs of the plan's layers is shuffled and
channels are taken uniformly without replacement while the running cost fits the budget
(a channel that does not fit is skipped; cheaper ones later in the shuffle are still
tried). Per-layer counts vary from epoch to epoch.
"""

from __future__ import annotations

import numpy as np

from medyate.host_tools.selection.policies.base import ChannelSamplingPolicy, register_policy


@register_policy
class TraDy(ChannelSamplingPolicy):
    """Uniform channel sampling within the TraDy-preselected (top-K RGN) layers."""

    name = "trady"
    DYNAMIC = True
    PLAN_LAYERS = "preselected"

    def channel_order(self, epoch: int) -> np.ndarray:
        return self.rng(epoch).permutation(len(self.pool))


@register_policy
class FullRandom(TraDy):
    """D-Full Random: TraDy's sampling with the pool = every trainable-capable layer."""

    name = "full-random"
    PLAN_LAYERS = "all"
