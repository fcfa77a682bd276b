"""Channel-selection policies; importing the package fills the POLICIES registry."""

from medyate.host_tools.selection.policies import (  # noqa: F401  (imported to register)
    bias_only,
    det_rgn,
    full,
    last_layer,
    medyate_sampling,
    neq,
    sparse_update,
    static_random,
    trady,
    worst,
)
from medyate.host_tools.selection.policies.base import (
    POLICIES,
    ChannelStats,
    LayerSpec,
    Policy,
    Schedule,
    make_policy,
    policy_class,
)

__all__ = [
    "POLICIES",
    "ChannelStats",
    "LayerSpec",
    "Policy",
    "Schedule",
    "make_policy",
    "policy_class",
]
