"""D-Det RGN (TraDy's "oracle" baseline, arXiv 2510.19675).

Each epoch take the channels of highest reweighted gradient norm RGN_c = g_c / cost_c
(cost in elements, TraDy Eq. 3-4) while the running cost fits the budget. The norms are
refreshed every epoch, either from what the device reports (``observe``: the trained
channels' entries are replaced) or, as in the paper, densely on the host through an
injected callable ``dense_norms(epoch) -> ChannelStats``. Deterministic: ties are
broken by layer depth then channel index. Without statistics all norms start equal, so
the first epoch takes the cheapest channels.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from medyate.host_tools.selection.policies.base import (
    ChannelNorms,
    ChannelSamplingPolicy,
    Schedule,
    register_policy,
    validate_norms,
    validate_stats,
)


@register_policy
class DetRGN(ChannelSamplingPolicy):
    """Top channels by RGN, recomputed each epoch."""

    name = "det-rgn"
    DYNAMIC = True
    PLAN_LAYERS = "preselected"
    OPTIONS: ClassVar[dict[str, Any]] = {**ChannelSamplingPolicy.OPTIONS, "dense_norms": None}
    DESCENDING: ClassVar[bool] = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.norms = (
            np.ones(len(self.pool)) if self.stats is None else self.pool.flatten(self.stats)
        )

    def rgn(self) -> np.ndarray:
        return self.norms / self.pool.cost_elems

    def channel_order(self, epoch: int) -> np.ndarray:
        rgn = self.rgn()
        return np.argsort(-rgn if self.DESCENDING else rgn, kind="stable")

    def schedule(self, epoch: int) -> Schedule:
        dense_norms = self.options["dense_norms"]
        if dense_norms is not None:
            self.norms = self.pool.flatten(validate_stats(self.layers, dense_norms(epoch)))
        return super().schedule(epoch)

    def observe(self, epoch: int, channel_norms: ChannelNorms) -> None:
        norms = validate_norms(self.layers, channel_norms)
        for layer_number, layer in enumerate(self.layers):
            for channel, value in norms.get(layer.weight, {}).items():
                self.norms[int(self.pool.offsets[layer_number]) + channel] = value
