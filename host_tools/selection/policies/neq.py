"""NEq-style velocity selection (Bragagnolo et al.; adapted to tight budgets in
"Superior sub-networks", WACV 2024 SCIoT workshop, arXiv 2312.05282).

Selects OUTPUT-channel neurons, not input channels: the schedule fills the
``output_channels`` map and leaves ``channels`` empty. Each neuron n has a velocity

    v_n(t) = delta_phi_n(t) - momentum * v_n(t-1),   momentum = 0.5,

where delta_phi_n(t) = 1 - cos(y_n(t), y_n(t-1)) is how much the neuron's output on a
few held-out images (10 in the paper) changed since the previous epoch. Neurons are
ranked by |v_n| / params_n (weight row + bias) and taken while the budget fits.

MEMORY SAVING IS WEAKER than input-channel selection: the weight derivative of an
output channel needs the layer's WHOLE saved input activation, so the cost of a layer
with any selected neuron is 4 * input_elems (once) + 4 * row_elems per neuron. Only the
weight-derivative memory shrinks (TraDy measured 20-40% activation sparsity for it
against 97.5-99.5% for input-channel selection). The paper states a parameter budget;
we fit the same byte budget as every other policy so the comparison is at equal memory.

Velocity inputs: ``velocity`` (initial per-output-channel values, weight ->
(out_channels,)), then each epoch either ``observe_outputs(epoch, delta_phi)`` from the
host, ``observe_probe(epoch, outputs)`` with the neurons' outputs on the probe images
(a device run: host_tools/selection/neq_probe.py computes them from the weights the
device reports after each epoch), or an injected ``delta_fn(epoch) -> {weight:
delta_phi}`` called by ``schedule`` for epochs > 0. Without any, all velocities are equal and the neurons with fewest
parameters win, ties broken by the seeded draw.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from medyate.host_tools.selection.budget import InfeasibleBudget
from medyate.host_tools.selection.policies.base import Policy, Schedule, register_policy


@register_policy
class NEqVelocity(Policy):
    """Output-channel neurons by |velocity| / params under the byte budget."""

    name = "neq"
    DYNAMIC = True  # dynamic as soon as velocities are fed (observe_outputs / delta_fn)
    PLAN_LAYERS = "all"
    OPTIONS: ClassVar[dict[str, Any]] = {"momentum": 0.5, "velocity": None, "delta_fn": None}
    #: the trainer feeds observe_probe with the neurons' outputs on the probe images
    NEEDS_NEURON_OUTPUTS: ClassVar[bool] = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        initial = self.options["velocity"]
        self.velocity = {
            layer.weight: np.ones(layer.out_channels)
            if initial is None
            else self._checked(layer.weight, initial)
            for layer in self.layers
        }
        cheapest = min(4 * layer.input_elems + layer.output_channel_bytes for layer in self.layers)
        if cheapest > self.budget_bytes:
            raise InfeasibleBudget(
                self.budget_bytes, cheapest, "one output channel with its layer's whole input"
            )
        self._observed_epochs: set[int] = set()
        #: the previous probe outputs (weight -> (out_channels, samples)): pickled with
        #: the policy, so a resumed run continues its velocities
        self.last_outputs: dict[str, np.ndarray] | None = None

    def _checked(self, weight: str, values: Mapping[str, Any]) -> np.ndarray:
        if weight not in values:
            raise ValueError(f"neq: no velocity for layer {weight!r}")
        array = np.asarray(values[weight], dtype=np.float64).reshape(-1)
        expected = next(layer.out_channels for layer in self.layers if layer.weight == weight)
        if array.shape != (expected,) or not np.all(np.isfinite(array)):
            raise ValueError(f"neq: velocity of {weight!r} must be {expected} finite values")
        return array

    def observe_outputs(self, epoch: int, delta_phi: Mapping[str, Any]) -> None:
        """Velocity update v = delta_phi - momentum * v for the layers given."""
        momentum = float(self.options["momentum"])
        for weight in delta_phi:
            self.velocity[weight] = self._checked(weight, delta_phi) - momentum * self.velocity[weight]
        self._observed_epochs.add(epoch)

    def observe_probe(self, epoch: int, outputs: Mapping[str, np.ndarray]) -> None:
        """The neurons' outputs on the probe images with the weights trained up to
        ``epoch`` (or the pretrained ones: ``epoch`` -1). From the second call on,
        delta_phi = 1 - cos(now, before) drives the velocities of epoch + 1."""
        from medyate.host_tools.selection.neq_probe import delta_phi

        current = {weight: np.asarray(values, np.float64) for weight, values in outputs.items()}
        if self.last_outputs is not None:
            self.observe_outputs(epoch + 1, {weight: delta_phi(self.last_outputs[weight], values)
                                             for weight, values in current.items()})
        self.last_outputs = current

    def schedule(self, epoch: int) -> Schedule:
        rng = self.rng(epoch)
        delta_fn = self.options["delta_fn"]
        if delta_fn is not None and epoch > 0 and epoch not in self._observed_epochs:
            self.observe_outputs(epoch, delta_fn(epoch))
        scores, layer_of, neuron_of = [], [], []
        for number, layer in enumerate(self.layers):
            params = layer.weight_elems // layer.out_channels + (1 if layer.bias_elems else 0)
            scores.append(np.abs(self.velocity[layer.weight]) / params)
            layer_of.append(np.full(layer.out_channels, number))
            neuron_of.append(np.arange(layer.out_channels))
        score, layer_index, neuron = map(np.concatenate, (scores, layer_of, neuron_of))
        order = np.lexsort((rng.random(score.size), -score))
        remaining, selected = self.budget_bytes, {}
        for index in order.tolist():
            layer = self.layers[layer_index[index]]
            opening = 0 if layer.weight in selected else 4 * layer.input_elems
            cost = opening + layer.output_channel_bytes
            if cost <= remaining:
                selected.setdefault(layer.weight, []).append(int(neuron[index]))
                remaining -= cost
        return self.build({}, output_channels=selected)
