"""Control policy: the LOWEST-importance channels (lowest RGN) that fit the budget.

Not from a paper: it checks that importance matters at all. A sound importance signal
must make this policy train worse than ``det-rgn`` and ``medyate`` at the same budget.
Norms are refreshed like ``det-rgn`` (observe / dense_norms).
"""

from __future__ import annotations

from medyate.host_tools.selection.policies.base import register_policy
from medyate.host_tools.selection.policies.det_rgn import DetRGN


@register_policy
class Worst(DetRGN):
    """Bottom channels by RGN, recomputed each epoch."""

    name = "worst"
    DESCENDING = False
