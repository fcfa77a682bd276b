"""MeDyate (arXiv 2510.20979): importance-weighted dynamic channel sampling.

Same pool and budget as TraDy, but each epoch the channels are drawn without
replacement with probability

    p_c = (1 - mix) * importance_c / sum(importance) + mix / N

using Efraimidis-Spirakis keys u^(1/p_c) (u uniform in (0, 1]; the largest keys win),
then taken in key order while the running cost fits. The uniform share ``mix`` keeps
every channel's chance above zero ("comprehensive exploration").

Importance starts from the offline ranking pass (``stats``) or, without one, is
uniform. Because channel importance is stable over time within a task it is not
recomputed densely: ``observe`` refreshes only the channels the device trained, with an
exponential moving average of the norms it reported. Our reading where the paper's text
was unavailable: importance is gradient norm per byte (RGN, ``importance="rgn"``) so
that the draw matches the byte budget; raw norm is available (``importance="norm"``);
the reported norms are rescaled to the current scale of the same channels before
averaging (``rescale_observed``), because device norms and the offline pass are
measured at different points of training and different learning rates, and a global
decay of gradient magnitude would otherwise make trained channels look less important
than untrained ones purely because they were measured later.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from medyate.host_tools.selection.policies.base import (
    ChannelNorms,
    ChannelSamplingPolicy,
    register_policy,
    validate_norms,
)

IMPORTANCE_KINDS = ("rgn", "norm")


@register_policy
class MeDyate(ChannelSamplingPolicy):
    """Importance-weighted sampling without replacement, refreshed from device norms."""

    name = "medyate"
    DYNAMIC = True
    PLAN_LAYERS = "preselected"
    OPTIONS: ClassVar[dict[str, Any]] = {
        **ChannelSamplingPolicy.OPTIONS,
        "mix": 0.3,  # uniform share of the sampling probability
        "ema": 0.5,  # weight of a new observation in the moving average
        "importance": "rgn",  # "rgn" (norm / channel cost) or "norm"
        "rescale_observed": True,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mix = float(self.options["mix"])
        self.ema = float(self.options["ema"])
        if not 0.0 <= self.mix <= 1.0:
            raise ValueError(f"mix must be in [0, 1], got {self.mix}")
        if not 0.0 < self.ema <= 1.0:
            raise ValueError(f"ema must be in (0, 1], got {self.ema}")
        if self.options["importance"] not in IMPORTANCE_KINDS:
            raise ValueError(f"importance must be one of {IMPORTANCE_KINDS}")
        self.norms = (
            np.ones(len(self.pool)) if self.stats is None else self.pool.flatten(self.stats)
        )

    def importance(self) -> np.ndarray:
        if self.options["importance"] == "rgn":
            return self.norms / self.pool.cost_elems
        return self.norms.copy()

    def probabilities(self) -> np.ndarray:
        """Sampling probability p_c of every pool entry (sums to 1)."""
        importance = self.importance()
        uniform = np.full(len(self.pool), 1.0 / len(self.pool))
        total = importance.sum()
        if total <= 0:
            return uniform
        return (1.0 - self.mix) * importance / total + self.mix * uniform

    def channel_order(self, epoch: int) -> np.ndarray:
        probabilities = self.probabilities()
        u = 1.0 - self.rng(epoch).random(len(self.pool))  # in (0, 1]
        with np.errstate(divide="ignore"):
            # log(u^(1/p)) = log(u)/p: same order, no underflow for small p.
            keys = np.where(probabilities > 0, np.log(u) / probabilities, -np.inf)
        return np.argsort(-keys, kind="stable")

    def observe(self, epoch: int, channel_norms: ChannelNorms) -> None:
        norms = validate_norms(self.layers, channel_norms)
        flat_indices, values = [], []
        for layer_number, layer in enumerate(self.layers):
            for channel, value in norms.get(layer.weight, {}).items():
                flat_indices.append(int(self.pool.offsets[layer_number]) + channel)
                values.append(value)
        if not flat_indices:
            return
        index = np.array(flat_indices)
        observed = np.array(values)
        if self.options["rescale_observed"]:
            current_mean, observed_mean = self.norms[index].mean(), observed.mean()
            if current_mean > 0 and observed_mean > 0:
                observed = observed * (current_mean / observed_mean)
        self.norms[index] = (1.0 - self.ema) * self.norms[index] + self.ema * observed
