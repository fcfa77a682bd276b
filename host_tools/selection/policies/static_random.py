"""Static baselines of TraDy (arXiv 2510.19675): one random draw kept for every epoch.

S-TopK Random draws once over the preselected layers, S-Full Random over all layers;
the draw is TraDy's epoch-0 draw for the same seed.
"""

from __future__ import annotations

from medyate.host_tools.selection.policies.base import StaticMixin, register_policy
from medyate.host_tools.selection.policies.trady import FullRandom, TraDy


@register_policy
class StaticRandom(StaticMixin, TraDy):
    """S-TopK Random: TraDy's epoch-0 draw, kept."""

    name = "static-random"
    DYNAMIC = False


@register_policy
class StaticFullRandom(StaticMixin, FullRandom):
    """S-Full Random: D-Full Random's epoch-0 draw, kept."""

    name = "static-full-random"
    DYNAMIC = False
