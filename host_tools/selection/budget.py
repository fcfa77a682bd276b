"""Memory budgets: parsing "128KiB"-style sizes and the papers' budget accounting.

The accounting is TraDy's (Eq. 3-4, fp32): a selected INPUT channel c of a layer costs
its weight-derivative slice plus its saved activation plane,
``4 * (slice_elems + plane_elems)`` bytes. A layer whose saved activation is stored
compressed (asi, fixed ranks: ``compression_budget.py``) costs per channel the slice plus
its channel-factor row, plus once the core and spatial factors
(``LayerSpec.channels_bytes``). A selected OUTPUT channel (NEq neurons) needs
the layer's whole saved input activation (paid once per layer that has at least one
selected output channel) plus the weight rows of the selected output channels. A layer
whose bias trains adds its bias-gradient buffer, ``4 * bias_elems``.

This is the budget accounting of the papers, not the device's SRAM: frozen activations
in flight, dA buffers, weights and the stack are reported separately (measured).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from medyate.codegen.errors import MedyateError

if TYPE_CHECKING:  # pragma: no cover - typing only, avoids an import cycle
    from medyate.host_tools.selection.policies.base import LayerSpec

FLOAT_BYTES = 4
#: Budgets above this are refused (also keeps float parsing away from overflow).
MAX_BUDGET_BYTES = 2**40

# Binary prefixes (IEC) are powers of 1024, SI prefixes powers of 1000. "KB" is read
# as the SI kilobyte like "kB": write "KiB" for 1024.
_UNIT_BYTES: dict[str, int] = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
}

_SIZE_PATTERN = re.compile(r"^\s*(?P<number>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>[A-Za-z]*)\s*$")


class BudgetSyntaxError(MedyateError, ValueError):
    """A budget that is not a size: a user error (exit code 2), also a ValueError."""


def parse_budget(text: str | int) -> int:
    """Parse a memory size such as "96KiB", "128kB", "131072" or "0.5MiB" into bytes.

    KiB/MiB/GiB are powers of 1024; kB/KB/MB/GB powers of 1000; a bare number (or a
    trailing "B") is bytes. Units are case-insensitive. The result must be a positive
    whole number of bytes; anything else raises BudgetSyntaxError (a ValueError and a user error) naming the accepted forms.
    """
    if isinstance(text, bool):
        raise BudgetSyntaxError(f"budget must be a size such as '128KiB', not {text!r}")
    if isinstance(text, int):
        if not 0 < text <= MAX_BUDGET_BYTES:
            raise BudgetSyntaxError(f"budget {_clip(text)} must be positive and at most 1 TiB")
        number_text, unit = str(text), ""
    else:
        match = _SIZE_PATTERN.match(str(text))
        if match is None:
            raise BudgetSyntaxError(_format_error(text))
        number_text, unit = match["number"], match["unit"].lower()
    if unit not in _UNIT_BYTES:
        raise BudgetSyntaxError(_format_error(text))
    value = float(number_text) * _UNIT_BYTES[unit]
    if not math.isfinite(value) or value > MAX_BUDGET_BYTES:
        raise BudgetSyntaxError(f"budget {_clip(text)} is larger than 1 TiB: no device has that "
                                "memory; give a size such as '128KiB'")
    rounded = round(value)
    if not math.isclose(value, rounded, rel_tol=0.0, abs_tol=1e-6):
        raise BudgetSyntaxError(f"budget {text!r} is {value} bytes: not a whole number of bytes")
    if rounded <= 0:
        raise BudgetSyntaxError(f"budget {text!r} must be positive")
    return int(rounded)


def _clip(text: object, limit: int = 40) -> str:
    shown = repr(text)
    return shown if len(shown) <= limit else shown[:limit - 3] + "..."


def _format_error(text: object) -> str:
    units = ", ".join(unit for unit in _UNIT_BYTES if unit)
    return (
        f"cannot parse budget {_clip(text)}: expected a number of bytes optionally followed by "
        f"a unit ({units}; case-insensitive, KiB=1024, kB=1000), e.g. '128KiB', '96kB', "
        f"'131072', '0.5MiB'"
    )


def format_bytes(n_bytes: int) -> str:
    """Human form with the exact byte count, e.g. '131072 B (128.0 KiB)'."""
    return f"{n_bytes} B ({n_bytes / 1024:.1f} KiB)"


class InfeasibleBudget(ValueError):
    """The budget cannot hold even the smallest thing the policy must train.

    ``required_bytes`` is the smallest workable budget for that request (e.g. the
    cheapest single channel), ``shortfall_bytes`` how much the given budget lacks.
    """

    def __init__(self, budget_bytes: int, required_bytes: int, what: str) -> None:
        self.budget_bytes = int(budget_bytes)
        self.required_bytes = int(required_bytes)
        self.shortfall_bytes = self.required_bytes - self.budget_bytes
        self.what = what
        super().__init__(
            f"budget of {format_bytes(self.budget_bytes)} cannot hold {what}: the smallest "
            f"workable budget is {format_bytes(self.required_bytes)}, "
            f"{self.shortfall_bytes} B short"
        )


def output_row_elems(layer: LayerSpec) -> int:
    """Weight elements of one output channel (one row of W: C_in/groups*KH*KW)."""
    return layer.weight_elems // layer.out_channels


def cheapest_channel_bytes(layers: Iterable[LayerSpec]) -> int:
    """Cost of the cheapest single input channel among ``layers``."""
    costs = [layer.first_channel_bytes for layer in layers if layer.in_channels > 0]
    if not costs:
        raise ValueError("no layer with input channels to train")
    return min(costs)


def require_channel_fits(layers: Sequence[LayerSpec], budget_bytes: int) -> None:
    """Raise InfeasibleBudget when not even the cheapest input channel fits."""
    cheapest = cheapest_channel_bytes(layers)
    if cheapest > budget_bytes:
        raise InfeasibleBudget(budget_bytes, cheapest, "a single input channel")


def schedule_cost_bytes(
    layers: Sequence[LayerSpec],
    channels: Mapping[str, Iterable[int]],
    output_channels: Mapping[str, Iterable[int]] | None = None,
    bias_weights: Iterable[str] = (),
) -> int:
    """Budget accounting of one schedule, in bytes (see the module docstring).

    ``channels`` / ``output_channels`` map a layer's weight name to the selected input /
    output channel indices; ``bias_weights`` lists the layers whose bias trains.
    Unknown weight names and out-of-range or repeated channels raise ValueError.
    """
    by_weight = {layer.weight: layer for layer in layers}
    total = 0
    for weight, selected in channels.items():
        layer = _lookup(by_weight, weight)
        count = _checked_count(selected, layer.in_channels, weight, "input")
        total += layer.channels_bytes(count)
    for weight, selected in (output_channels or {}).items():
        layer = _lookup(by_weight, weight)
        count = _checked_count(selected, layer.out_channels, weight, "output")
        if count:
            total += FLOAT_BYTES * (layer.input_elems + count * output_row_elems(layer))
    for weight in bias_weights:
        total += FLOAT_BYTES * _lookup(by_weight, weight).bias_elems
    return total


def _lookup(by_weight: Mapping[str, LayerSpec], weight: str) -> LayerSpec:
    try:
        return by_weight[weight]
    except KeyError:
        raise ValueError(
            f"schedule names layer {weight!r}, which is not among the plan's layers "
            f"{sorted(by_weight)}"
        ) from None


def _checked_count(selected: Iterable[int], limit: int, weight: str, axis: str) -> int:
    indices = [int(index) for index in selected]
    if len(set(indices)) != len(indices):
        raise ValueError(f"layer {weight!r}: repeated {axis} channel in {indices}")
    bad = [index for index in indices if not 0 <= index < limit]
    if bad:
        raise ValueError(f"layer {weight!r}: {axis} channels {bad} outside 0..{limit - 1}")
    return len(indices)
