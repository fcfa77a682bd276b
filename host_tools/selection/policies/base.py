"""Common interface of every channel-selection policy.

A policy receives the plan's trainable layers (``LayerSpec``), the budget in bytes, a
seed and optionally offline channel statistics (``ChannelStats``: weight name ->
per-input-channel mean gradient norm, from ``medyate rank``). Each epoch
``schedule(epoch)`` returns the ``Schedule`` to train; after the epoch the host calls
``observe(epoch, channel_norms)`` with the gradient norms the device measured for the
channels it trained. Random draws come from a numpy Generator seeded with
``(seed, epoch)``, so a schedule depends only on the seed, the epoch and what was
observed before it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from medyate.host_tools.selection.budget import (
    FLOAT_BYTES,
    InfeasibleBudget,
    output_row_elems,
    schedule_cost_bytes,
)

SCHEDULE_FORMAT = "medyate-schedule/1"

ChannelStats = dict[str, np.ndarray]
ChannelNorms = Mapping[str, Mapping[int, float]]


@dataclass(frozen=True)
class LayerSpec:
    """One Conv/Gemm layer that may train (built by the compiler from ONNX + plan)."""

    weight: str  # ONNX initializer name (key of schedule["channels"])
    depth: int  # forward order among trainable-capable layers (0 = nearest the input)
    in_channels: int  # schedulable input channels
    out_channels: int
    slice_elems: int  # weight-derivative slice per input channel: (C_out/groups)*KH*KW
    plane_elems: int  # saved activation plane per input channel: H*W (1 for Gemm)
    weight_elems: int
    bias_elems: int  # 0 if the layer has no bias
    input_elems: int  # whole saved input activation C_in*H*W (NEq output-channel cost)
    # Compressed saved activation (asi, fixed ranks; see compression_budget.py). None:
    # raw planes. Otherwise a layer scheduling n >= 1 channels costs
    # n * (slice + compressed_plane_elems) + compressed_fixed_elems elements, an upper
    # bound of the Tucker block the generated C lays out (exact with every channel).
    compressed_plane_elems: int | None = None  # channel-factor row per channel (K1)
    compressed_fixed_elems: int = 0  # core + spatial factors, paid once per used layer

    def __post_init__(self) -> None:
        positive = ("in_channels", "out_channels", "slice_elems", "plane_elems", "weight_elems")
        for name in positive:
            if getattr(self, name) <= 0:
                raise ValueError(f"layer {self.weight!r}: {name} must be positive")
        if self.bias_elems < 0 or self.input_elems < 0 or self.depth < 0:
            raise ValueError(f"layer {self.weight!r}: negative bias_elems/input_elems/depth")

    @property
    def channel_cost_elems(self) -> int:
        """TraDy Eq. 3-4: weight-derivative slice + saved activation plane (elements);
        for a compressed layer the plane is replaced by its channel-factor row."""
        if self.compressed_plane_elems is not None:
            return self.slice_elems + self.compressed_plane_elems
        return self.slice_elems + self.plane_elems

    @property
    def channel_cost_bytes(self) -> int:
        return FLOAT_BYTES * self.channel_cost_elems

    @property
    def fixed_bytes(self) -> int:
        """Paid once when at least one channel of the layer trains (0 unless compressed)."""
        return FLOAT_BYTES * self.compressed_fixed_elems

    def channels_bytes(self, count: int) -> int:
        """Cost of training ``count`` input channels of the layer."""
        return count * self.channel_cost_bytes + (self.fixed_bytes if count > 0 else 0)

    @property
    def first_channel_bytes(self) -> int:
        """Cost of the layer's first channel (its fixed part included)."""
        return self.channels_bytes(1)

    @property
    def pool_bytes(self) -> int:
        """Cost of training every input channel of the layer."""
        return self.channels_bytes(self.in_channels)

    @property
    def bias_bytes(self) -> int:
        return FLOAT_BYTES * self.bias_elems

    @property
    def output_channel_bytes(self) -> int:
        """Weight-derivative row of one output channel (NEq neuron)."""
        return FLOAT_BYTES * output_row_elems(self)


@dataclass(frozen=True)
class Schedule:
    """One epoch's selection. Channel lists are sorted ascending; empty layers omitted."""

    channels: dict[str, tuple[int, ...]]
    cost_bytes: int
    output_channels: dict[str, tuple[int, ...]] = field(default_factory=dict)
    bias: tuple[str, ...] = ()  # layers whose bias gradient this policy counts/trains

    def to_json(self, epoch: int, include_cost: bool = False) -> dict[str, Any]:
        """The schedule.json object; "output_channels"/"bias" only when non-empty."""
        document: dict[str, Any] = {
            "format": SCHEDULE_FORMAT,
            "epoch": int(epoch),
            "channels": {weight: list(indices) for weight, indices in self.channels.items()},
        }
        if self.output_channels:
            document["output_channels"] = {
                weight: list(indices) for weight, indices in self.output_channels.items()
            }
        if self.bias:
            document["bias"] = list(self.bias)
        if include_cost:
            document["cost_bytes"] = self.cost_bytes
        return document

    def channel_count(self) -> int:
        return sum(len(indices) for indices in self.channels.values())


def build_schedule(
    layers: Sequence[LayerSpec],
    channels: Mapping[str, Iterable[int]],
    output_channels: Mapping[str, Iterable[int]] | None = None,
    bias: Iterable[str] = (),
) -> Schedule:
    """Normalise a selection (sorted, de-duplicated, depth-ordered) and cost it."""
    order = [layer.weight for layer in sorted(layers, key=lambda layer: layer.depth)]

    def normalise(selection: Mapping[str, Iterable[int]] | None) -> dict[str, tuple[int, ...]]:
        selection = selection or {}
        unknown = set(selection) - set(order)
        if unknown:
            raise ValueError(f"selection names unknown layers {sorted(unknown)}")
        result = {}
        for weight in order:
            indices = tuple(sorted({int(index) for index in selection.get(weight, ())}))
            if indices:
                result[weight] = indices
        return result

    chosen = normalise(channels)
    chosen_outputs = normalise(output_channels)
    bias_set = set(bias)
    bias_layers = tuple(weight for weight in order if weight in bias_set)
    cost = schedule_cost_bytes(layers, chosen, chosen_outputs, bias_layers)
    return Schedule(chosen, cost, chosen_outputs, bias_layers)


class ChannelPool:
    """All (layer, input channel) pairs of some layers, as flat numpy arrays."""

    def __init__(self, layers: Sequence[LayerSpec]) -> None:
        self.layers = list(layers)
        counts = np.array([layer.in_channels for layer in self.layers], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(counts)])
        self.layer_index = np.repeat(np.arange(len(self.layers)), counts)
        self.channel = np.concatenate([np.arange(count) for count in counts])
        self.cost_bytes = np.repeat(
            np.array([layer.channel_cost_bytes for layer in self.layers], dtype=np.int64), counts
        )
        self.cost_elems = self.cost_bytes // FLOAT_BYTES
        # a compressed layer's fixed part (core + spatial factors) is charged with its
        # first taken channel
        self.fixed_bytes = np.array([layer.fixed_bytes for layer in self.layers], dtype=np.int64)

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def flatten(self, stats: Mapping[str, np.ndarray]) -> np.ndarray:
        return np.concatenate([np.asarray(stats[layer.weight], float) for layer in self.layers])

    def greedy_fill(self, order: np.ndarray, budget_bytes: int) -> np.ndarray:
        """Take pool entries in ``order`` while the running cost fits; entries that do
        not fit are skipped and cheaper ones later in the order are still tried."""
        remaining = int(budget_bytes)
        cheapest = int(self.cost_bytes.min()) if len(self) else 0
        opened = np.zeros(len(self.layers), dtype=bool)
        taken: list[int] = []
        for index in order.tolist():
            if remaining < cheapest:
                break
            layer = int(self.layer_index[index])
            cost = int(self.cost_bytes[index]) + (0 if opened[layer] else int(self.fixed_bytes[layer]))
            if cost <= remaining:
                taken.append(index)
                remaining -= cost
                opened[layer] = True
        return np.array(taken, dtype=np.int64)

    @property
    def cheapest_first_bytes(self) -> int:
        """The cheapest single channel, its layer's fixed part included."""
        return int(min(layer.first_channel_bytes for layer in self.layers))

    def selection(self, flat_indices: np.ndarray) -> dict[str, list[int]]:
        result: dict[str, list[int]] = {}
        for index in np.sort(flat_indices).tolist():
            weight = self.layers[self.layer_index[index]].weight
            result.setdefault(weight, []).append(int(self.channel[index]))
        return result


def validate_stats(layers: Sequence[LayerSpec], stats: Mapping[str, Any]) -> ChannelStats:
    """Copy ``stats`` to float arrays, checking every layer is present and well-shaped."""
    missing = [layer.weight for layer in layers if layer.weight not in stats]
    if missing:
        raise ValueError(f"channel statistics lack layers {missing}")
    result: ChannelStats = {}
    for layer in layers:
        values = np.asarray(stats[layer.weight], dtype=np.float64).reshape(-1)
        if values.shape != (layer.in_channels,):
            raise ValueError(
                f"channel statistics for {layer.weight!r} have {values.size} entries, "
                f"the layer has {layer.in_channels} input channels"
            )
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ValueError(f"channel statistics for {layer.weight!r} must be finite and >= 0")
        result[layer.weight] = values.copy()
    return result


def validate_norms(layers: Sequence[LayerSpec], channel_norms: ChannelNorms) -> dict[str, dict[int, float]]:
    """Check device-reported norms (JSON may give channel keys as strings)."""
    by_weight = {layer.weight: layer for layer in layers}
    result: dict[str, dict[int, float]] = {}
    for weight, norms in channel_norms.items():
        if weight not in by_weight:
            raise ValueError(f"observed norms for unknown layer {weight!r}")
        checked: dict[int, float] = {}
        for channel, norm in norms.items():
            index, value = int(channel), float(norm)
            if not 0 <= index < by_weight[weight].in_channels:
                raise ValueError(f"observed channel {index} outside layer {weight!r}")
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"observed norm {value} of {weight!r}[{index}] is not >= 0")
            checked[index] = value
        result[weight] = checked
    return result


class Policy:
    """Base class. Subclasses set ``name``, ``DYNAMIC``, ``PLAN_LAYERS`` and ``OPTIONS``
    (option name -> default) and implement ``schedule``."""

    name: ClassVar[str] = ""
    DYNAMIC: ClassVar[bool] = True
    # How `make_plan` picks this policy's layers: "preselected" (RGN/LaRa top-K),
    # "all", "deepest", "with-bias" or "sparse-update".
    PLAN_LAYERS: ClassVar[str] = "preselected"
    OPTIONS: ClassVar[dict[str, Any]] = {}
    #: True: the trainer calls observe_probe(epoch, outputs) with every planned layer's
    #: neuron outputs on fixed probe images (NEq velocities; neq_probe.py)
    NEEDS_NEURON_OUTPUTS: ClassVar[bool] = False

    def __init__(
        self,
        layers: Sequence[LayerSpec],
        budget_bytes: int,
        seed: int = 0,
        stats: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> None:
        if not layers:
            raise ValueError(f"policy {self.name!r} needs at least one layer")
        weights = [layer.weight for layer in layers]
        if len(set(weights)) != len(weights):
            raise ValueError(f"duplicate layers in {weights}")
        if int(budget_bytes) <= 0:
            raise ValueError(f"budget must be positive, got {budget_bytes}")
        if int(seed) < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        unknown = set(options) - set(self.OPTIONS)
        if unknown:
            raise TypeError(
                f"policy {self.name!r} has no option(s) {sorted(unknown)}; "
                f"known: {sorted(self.OPTIONS) or 'none'}"
            )
        self.layers: list[LayerSpec] = sorted(layers, key=lambda layer: layer.depth)
        self.budget_bytes = int(budget_bytes)
        self.seed = int(seed)
        self.stats: ChannelStats | None = (
            None if stats is None else validate_stats(self.layers, stats)
        )
        self.options: dict[str, Any] = {**self.OPTIONS, **options}

    def rng(self, epoch: int) -> np.random.Generator:
        if epoch < 0:
            raise ValueError(f"epoch must be >= 0, got {epoch}")
        return np.random.default_rng([self.seed, int(epoch)])

    def schedule(self, epoch: int) -> Schedule:
        raise NotImplementedError

    def observe(self, epoch: int, channel_norms: ChannelNorms) -> None:
        """Record the norms the device measured; policies that do not learn ignore them."""
        validate_norms(self.layers, channel_norms)

    @classmethod
    def plan_bias(cls, layer: LayerSpec, options: Mapping[str, Any]) -> bool:
        """Whether the plan marks ``layer``'s bias as trained (see train_bias option)."""
        return layer.bias_elems > 0 and bool({**cls.OPTIONS, **options}.get("train_bias", False))

    def build(
        self,
        channels: Mapping[str, Iterable[int]],
        output_channels: Mapping[str, Iterable[int]] | None = None,
        bias: Iterable[str] = (),
    ) -> Schedule:
        schedule = build_schedule(self.layers, channels, output_channels, bias)
        if schedule.cost_bytes > self.budget_bytes:  # a policy bug, never a user error
            raise AssertionError(
                f"{self.name}: schedule costs {schedule.cost_bytes} B > {self.budget_bytes} B"
            )
        return schedule


class ChannelSamplingPolicy(Policy):
    """Input-channel policies over one pool: order the pool, fill the budget greedily.

    Option ``train_bias`` (default False) reserves the bias-gradient buffers of every
    layer first; the channels share what is left.
    """

    OPTIONS: ClassVar[dict[str, Any]] = {"train_bias": False}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pool = ChannelPool(self.layers)
        self.bias_layers = tuple(
            layer.weight for layer in self.layers if self.plan_bias(layer, self.options)
        )
        self.bias_bytes = sum(
            layer.bias_bytes for layer in self.layers if layer.weight in self.bias_layers
        )
        cheapest = self.pool.cheapest_first_bytes
        if self.bias_bytes + cheapest > self.budget_bytes:
            what = "a single input channel" + (" plus the biases" if self.bias_bytes else "")
            raise InfeasibleBudget(self.budget_bytes, self.bias_bytes + cheapest, what)

    def channel_order(self, epoch: int) -> np.ndarray:
        """Flat pool indices, most wanted first."""
        raise NotImplementedError

    def schedule(self, epoch: int) -> Schedule:
        taken = self.pool.greedy_fill(self.channel_order(epoch), self.budget_bytes - self.bias_bytes)
        return self.build(self.pool.selection(taken), bias=self.bias_layers)


class StaticMixin:
    """Compute the epoch-0 schedule once and return it for every epoch."""

    DYNAMIC: ClassVar[bool] = False
    _static_schedule: Schedule | None = None

    def schedule(self, epoch: int) -> Schedule:
        if epoch < 0:
            raise ValueError(f"epoch must be >= 0, got {epoch}")
        if self._static_schedule is None:
            self._static_schedule = super().schedule(0)  # type: ignore[misc]
        return self._static_schedule


class FixedPolicy(Policy):
    """A policy whose one schedule is decided at construction (``self._schedule``) and
    kept for every epoch: bias-only, last-layer, full, sparse-update."""

    DYNAMIC: ClassVar[bool] = False
    _schedule: Schedule

    def schedule(self, epoch: int) -> Schedule:
        self.rng(epoch)  # validates the epoch
        return self._schedule


POLICIES: dict[str, type[Policy]] = {}


def register_policy(cls: type[Policy]) -> type[Policy]:
    """Class decorator adding a policy to POLICIES under its ``name``."""
    if not cls.name or cls.name in POLICIES:
        raise ValueError(f"policy name {cls.name!r} missing or registered twice")
    POLICIES[cls.name] = cls
    return cls


def policy_class(name: str) -> type[Policy]:
    try:
        return POLICIES[name]
    except KeyError:
        raise ValueError(f"unknown policy {name!r}; known policies: {', '.join(sorted(POLICIES))}") from None


def make_policy(
    name: str,
    layers: Sequence[LayerSpec],
    budget_bytes: int,
    seed: int = 0,
    stats: Mapping[str, Any] | None = None,
    **options: Any,
) -> Policy:
    """Instantiate the policy registered under ``name``."""
    return policy_class(name)(layers, budget_bytes, seed, stats, **options)


DenseNormsFn = Callable[[int], Mapping[str, Any]]
