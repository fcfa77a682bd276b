"""Layer pre-selection (TraDy RGN, our reading of MeDyate's LaRa) and plan.json writing.

Inputs are ``LayerSpec``s of every trainable-capable layer and channel statistics
(``ChannelStats``: weight -> per-input-channel mean gradient norm g_c), from the ranking
pass (``medyate rank``), optionally one per batch/task for LaRa.

* RGN (TraDy, arXiv 2510.19675): RGN_c = g_c / cost_c with cost_c = slice + plane in
  elements (Eq. 3-4); layer score = sum_c RGN_c; keep the top-K layers covering
  ``fraction`` (97%) of the cumulative score.
* LaRa: see ``lara_ranking``: OUR reading, the paper's formula was not available.
"""

from __future__ import annotations

import math

from collections.abc import Mapping, Sequence
from typing import Any, Callable

import numpy as np

from medyate.host_tools.selection.budget import InfeasibleBudget, cheapest_channel_bytes
from medyate.host_tools.selection.default_method import DEFAULT_LAYER_METHOD
from medyate.host_tools.selection.gain_selection import (DEFAULT_GAIN_POWER, DEFAULT_PROBE_EPOCHS,
                                                        best_prefix)
from medyate.host_tools.selection.policies import policy_class
from medyate.host_tools.selection.policies.base import ChannelStats, LayerSpec, validate_stats

PLAN_FORMAT = "medyate-plan/1"
TRADY_FRACTION = 0.97


# ----------------------------------------------------------------------------- RGN
def channel_rgn(layers: Sequence[LayerSpec], stats: Mapping[str, Any]) -> ChannelStats:
    """RGN_c = g_c / cost_c (cost in elements, TraDy Eq. 3-4) for every channel."""
    checked = validate_stats(layers, stats)
    return {layer.weight: checked[layer.weight] / layer.channel_cost_elems for layer in layers}


def layer_rgn_scores(layers: Sequence[LayerSpec], stats: Mapping[str, Any]) -> dict[str, float]:
    """Layer score RGN_i = sum over its channels of RGN_c."""
    return {weight: float(values.sum()) for weight, values in channel_rgn(layers, stats).items()}


def top_k_by_fraction(scores: Mapping[str, float], fraction: float = TRADY_FRACTION) -> list[str]:
    """Smallest set of best-scored layers whose scores sum to >= ``fraction`` of the total.

    Returned best first; equal scores keep the mapping's order. All layers if every
    score is zero.
    """
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    names = list(scores)
    values = np.array([scores[name] for name in names], dtype=np.float64)
    if np.any(values < 0) or not np.all(np.isfinite(values)):
        raise ValueError("layer scores must be finite and >= 0")
    order = np.argsort(-values, kind="stable")
    total = values.sum()
    if total <= 0:
        return [names[index] for index in order]
    cumulative = np.cumsum(values[order]) / total
    k = int(np.searchsorted(cumulative, fraction - 1e-12, side="left")) + 1
    return [names[index] for index in order[: min(k, len(names))]]


def mean_stats(batch_stats: Sequence[Mapping[str, Any]], layers: Sequence[LayerSpec]) -> ChannelStats:
    """Average per-channel norms over several batches/tasks."""
    checked = [validate_stats(layers, stats) for stats in batch_stats]
    return {layer.weight: np.mean([s[layer.weight] for s in checked], axis=0) for layer in layers}


# ---------------------------------------------------------------------------- LaRa
def energy_per_byte(layer: LayerSpec, norms: np.ndarray, budget_bytes: int, density: str) -> float:
    """Gradient energy sum(g_c^2) per byte of what the layer's channels cost.

    density "budget": only the channels the budget could hold if given to this layer
    alone (its strongest ones), so a layer is not rewarded for energy it can never use;
    "layer": the whole layer, sum(g^2) / pool_bytes.
    """
    energy = np.sort(np.asarray(norms, dtype=np.float64) ** 2)[::-1]
    if density == "layer":
        return float(energy.sum() / layer.pool_bytes)
    if density == "budget":
        count = min(layer.in_channels,
                    max(0, budget_bytes - layer.fixed_bytes) // layer.channel_cost_bytes)
        if count == 0:
            return 0.0
        return float(energy[:count].sum() / layer.channels_bytes(count))
    raise ValueError(f"density must be 'budget' or 'layer', got {density!r}")


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``values`` ascending, ties sharing their average rank."""
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(values, kind="stable")
    ranks = np.empty(values.size, dtype=np.float64)
    sorted_values = values[order]
    start = 0
    while start < values.size:
        end = start
        while end + 1 < values.size and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2.0 + 1.0
        start = end + 1
    return ranks


def _aggregate_mean_rank(per_batch: np.ndarray) -> np.ndarray:
    return np.mean([average_ranks(-row) for row in per_batch], axis=0)


def _aggregate_median_rank(per_batch: np.ndarray) -> np.ndarray:
    return np.median([average_ranks(-row) for row in per_batch], axis=0)


def _aggregate_mean_value(per_batch: np.ndarray) -> np.ndarray:
    return average_ranks(-per_batch.mean(axis=0))


# Each maps (batches x layers) energy densities to one rank per layer (1 = best).
LARA_AGGREGATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mean-rank": _aggregate_mean_rank,
    "median-rank": _aggregate_median_rank,
    "mean-value": _aggregate_mean_value,
}


def lara_ranking(
    layers: Sequence[LayerSpec],
    batch_stats: Sequence[Mapping[str, Any]],
    budget_bytes: int,
    aggregation: str = "mean-rank",
    density: str = "budget",
) -> dict[str, float]:
    """LaRa layer ranks (1 = most important), best first.

    OUR READING: MeDyate's LaRa formula was not available. Each layer is scored per
    batch (or task) by gradient energy per byte of what its channels cost under the
    budget (``energy_per_byte``), layers are ranked within each batch, and the ranks
    are aggregated (``aggregation``: mean or median rank, or rank of the mean value)
    so a single noisy batch cannot reorder layers.
    """
    if aggregation not in LARA_AGGREGATIONS:
        raise ValueError(f"aggregation must be one of {sorted(LARA_AGGREGATIONS)}")
    if not batch_stats:
        raise ValueError("LaRa needs statistics of at least one batch")
    checked = [validate_stats(layers, stats) for stats in batch_stats]
    per_batch = np.array(
        [
            [energy_per_byte(layer, stats[layer.weight], budget_bytes, density) for layer in layers]
            for stats in checked
        ]
    )
    ranks = LARA_AGGREGATIONS[aggregation](per_batch)
    order = np.argsort(ranks, kind="stable")
    return {layers[index].weight: float(ranks[index]) for index in order}


def k_by_budget(
    ordered: Sequence[LayerSpec], budget_bytes: int, coverage: float = 0.05
) -> int:
    """Our budget-adaptive K: add layers best first until the pool costs at least
    budget / coverage, i.e. one epoch's budget covers about ``coverage`` of the pool
    (TraDy's reported 97.5-99.5% activation sparsity means a few % per epoch)."""
    if not 0.0 < coverage <= 1.0:
        raise ValueError(f"coverage must be in (0, 1], got {coverage}")
    pool = 0
    for k, layer in enumerate(ordered, start=1):
        pool += layer.pool_bytes
        if pool * coverage >= budget_bytes:
            return k
    return len(ordered)


# ------------------------------------------------------------------------ Spearman
def spearman(a: Sequence[float] | Mapping[str, float], b: Sequence[float] | Mapping[str, float]) -> float:
    """Spearman rank correlation; mappings are aligned on their common keys.
    NaN when fewer than two items or a side is constant."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        keys = [key for key in a if key in b]
        x = np.array([a[key] for key in keys], dtype=np.float64)
        y = np.array([b[key] for key in keys], dtype=np.float64)
    else:
        x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError("spearman needs two sequences of equal length")
    if x.size < 2:
        return float("nan")
    rx, ry = average_ranks(x) - (x.size + 1) / 2, average_ranks(y) - (y.size + 1) / 2
    denominator = np.sqrt((rx**2).sum() * (ry**2).sum())
    return float("nan") if denominator == 0 else float((rx * ry).sum() / denominator)


# ---------------------------------------------------------------------- plan rules
def _preselected(
    layers: list[LayerSpec], budget_bytes: int, context: dict[str, Any]
) -> tuple[list[LayerSpec], dict[str, Any]]:
    trainable = [layer for layer in layers if layer.first_channel_bytes <= budget_bytes]
    excluded = [layer.weight for layer in layers if layer not in trainable]
    if not trainable:
        raise InfeasibleBudget(budget_bytes, cheapest_channel_bytes(layers), "a single input channel")
    batches = context["batch_stats"] or ([context["stats"]] if context["stats"] is not None else [])
    info: dict[str, Any] = {"method": context["method"], "excluded_too_costly": excluded}
    if not batches:
        info.update(method="none", reason="no ranking given: every layer that fits is in the pool")
        return trainable, info
    rgn = layer_rgn_scores(trainable, mean_stats(batches, trainable))
    lara = lara_ranking(trainable, batches, budget_bytes, **context["lara"])
    info["rgn_scores"] = rgn
    info["lara_ranks"] = lara
    # Spearman between the two orderings (RGN high = good, LaRa rank low = good).
    # None (valid JSON, unlike NaN) when undefined: a single candidate layer
    rho = spearman(rgn, {key: -value for key, value in lara.items()})
    info["spearman_rgn_lara"] = rho if math.isfinite(rho) else None
    method = LAYER_METHODS.get(context["method"])
    if method is None:
        raise ValueError(f"method must be one of {list(LAYER_METHODS)}, got {context['method']!r}")
    chosen = method(trainable, budget_bytes, batches, context, info)
    info["k"] = len(chosen)
    by_weight = {layer.weight: layer for layer in trainable}
    return [by_weight[weight] for weight in chosen], info


def _method_rgn(layers: list[LayerSpec], budget_bytes: int, batches: list[Mapping[str, Any]],
                context: dict[str, Any], info: dict[str, Any]) -> list[str]:
    """TraDy: the top layers covering ``fraction`` of the cumulative layer RGN."""
    info["fraction"] = context["fraction"]
    return top_k_by_fraction(info["rgn_scores"], context["fraction"])


def _method_lara(layers: list[LayerSpec], budget_bytes: int, batches: list[Mapping[str, Any]],
                 context: dict[str, Any], info: dict[str, Any]) -> list[str]:
    """Our LaRa reading: LaRa order, K by ``k_rule``."""
    by_weight = {layer.weight: layer for layer in layers}
    ordered = [by_weight[weight] for weight in info["lara_ranks"]]
    rule = context["k_rule"]
    if rule == "budget":
        k = k_by_budget(ordered, budget_bytes, context["coverage"])
        info["coverage"] = context["coverage"]
    elif rule == "fixed":
        k = min(int(context["k"]), len(ordered))
    else:
        raise ValueError(f"k_rule must be 'budget' or 'fixed', got {rule!r}")
    info["k_rule"] = rule
    return [layer.weight for layer in ordered[:k]]


def _method_gain(order_by: str):
    """Expected gain under the budget (gain_selection.py): the best prefix of the
    candidate order, ``"rgn"`` (layer RGN, best first) or ``"depth"`` (deepest first);
    the gain of a drawn channel is g_c ** ``gain_power`` (1: captured gradient norm)."""
    def method(layers: list[LayerSpec], budget_bytes: int, batches: list[Mapping[str, Any]],
               context: dict[str, Any], info: dict[str, Any]) -> list[str]:
        if order_by == "rgn":   # best layer RGN first; ties keep depth order (stable sort)
            order = sorted(layers, key=lambda layer: -info["rgn_scores"][layer.weight])
        else:
            order = sorted(layers, key=lambda layer: -layer.depth)
        stats = mean_stats(batches, layers)
        options = {key: value for key, value in context["policy_options"].items()
                   if key in context["policy_cls"].OPTIONS}
        k, gains = best_prefix(order, budget_bytes, context["policy_cls"], context["seed"],
                               stats, int(context["probe_epochs"]), options,
                               float(context["gain_power"]))
        info.update(candidate_order=[layer.weight for layer in order], order_by=order_by,
                    expected_gain=gains, probe_epochs=int(context["probe_epochs"]),
                    gain_power=float(context["gain_power"]))
        return [layer.weight for layer in order[:k]]
    method.__name__ = f"_method_gain_{order_by}"
    return method


#: Layer pre-selection methods (`--method`, the experiment config's "method" and
#: POLICY@METHOD): each maps (layers that fit, budget, per-batch stats, make_plan's
#: context, the selection record to extend) to the chosen weights.
LAYER_METHODS: dict[str, Callable[..., list[str]]] = {
    "rgn": _method_rgn,
    "lara": _method_lara,
    "gain": _method_gain("rgn"),
    "gain-depth": _method_gain("depth"),
}


def _all(layers: list[LayerSpec], budget_bytes: int, context: dict[str, Any]):
    return layers, {"method": "all"}


def _deepest(layers: list[LayerSpec], budget_bytes: int, context: dict[str, Any]):
    return [max(layers, key=lambda layer: layer.depth)], {"method": "deepest"}


def _with_bias(layers: list[LayerSpec], budget_bytes: int, context: dict[str, Any]):
    with_bias = [layer for layer in layers if layer.bias_elems > 0]
    if not with_bias:
        raise ValueError("bias-only: none of the model's trainable layers has a bias")
    return with_bias, {"method": "with-bias"}


def _sparse_update(layers: list[LayerSpec], budget_bytes: int, context: dict[str, Any]):
    options = {**policy_class("sparse-update").OPTIONS, **context["policy_options"]}
    count = max(int(options["bias_layers"]), int(options["weight_layers"]))
    ordered = sorted(layers, key=lambda layer: layer.depth)
    return ordered[len(ordered) - count :], {"method": "last-layers", "count": count}


PLAN_LAYER_RULES = {
    "preselected": _preselected,
    "all": _all,
    "deepest": _deepest,
    "with-bias": _with_bias,
    "sparse-update": _sparse_update,
}


def make_plan(
    layers: Sequence[LayerSpec],
    budget_bytes: int,
    *,
    policy: str = "medyate",
    stats: Mapping[str, Any] | None = None,
    batch_stats: Sequence[Mapping[str, Any]] | None = None,
    method: str = DEFAULT_LAYER_METHOD,
    fraction: float = TRADY_FRACTION,
    k_rule: str = "budget",
    coverage: float = 0.05,
    k: int | None = None,
    lara_aggregation: str = "mean-rank",
    lara_density: str = "budget",
    probe_epochs: int = DEFAULT_PROBE_EPOCHS,
    gain_power: float = DEFAULT_GAIN_POWER,
    seed: int = 0,
    policy_options: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Choose the layers ``policy`` may train and write the plan.json document.

    ``layers``: every trainable-capable layer of the model. ``stats`` (one ranking pass)
    and/or ``batch_stats`` (one per batch/task) drive pre-selection for policies that
    preselect (medyate, trady, static-random, det-rgn, worst): ``method="rgn"`` keeps
    the top layers covering ``fraction`` of cumulative RGN, ``method="lara"`` ranks by
    LaRa and picks K by ``k_rule`` ("budget" with ``coverage``, or "fixed" with ``k``).
    Other policies take their own layers (all, deepest, biased, last N).

    The plan is checked by building the policy and drawing epoch 0: an impossible
    budget raises InfeasibleBudget. Extra keys (policy, selection, accounting) extend
    the documented format.
    """
    if not layers:
        raise ValueError("make_plan needs at least one layer")
    budget_bytes = int(budget_bytes)
    policy_options = dict(policy_options or {})
    cls = policy_class(policy)
    context = {
        "stats": stats,
        "batch_stats": list(batch_stats or []),
        "method": method,
        "fraction": fraction,
        "k_rule": k_rule,
        "coverage": coverage,
        "k": k,
        "lara": {"aggregation": lara_aggregation, "density": lara_density},
        "policy_options": policy_options,
        "policy_cls": cls,
        "seed": seed,
        "probe_epochs": probe_epochs,
        "gain_power": gain_power,
    }
    ordered = sorted(layers, key=lambda layer: layer.depth)
    chosen, selection = PLAN_LAYER_RULES[cls.PLAN_LAYERS](ordered, budget_bytes, context)
    if not chosen:
        raise ValueError(f"policy {policy!r} found no layer to train")
    chosen = sorted(chosen, key=lambda layer: layer.depth)
    if context["batch_stats"]:
        plan_stats = mean_stats(context["batch_stats"], chosen)
    elif stats is not None and all(layer.weight in stats for layer in chosen):
        plan_stats = {layer.weight: stats[layer.weight] for layer in chosen}
    else:  # only policies that never preselect reach here with partial statistics
        plan_stats = None
    instance = cls(chosen, budget_bytes, seed, plan_stats, **policy_options)
    first = instance.schedule(0)
    # A bias trains (every epoch, whatever the channels) exactly when the policy counts
    # it in its schedules; that set is fixed at construction for every policy.
    bias = {layer.weight: layer.weight in first.bias for layer in chosen}
    return {
        "format": PLAN_FORMAT,
        "budget_bytes": budget_bytes,
        "layers": [{"weight": layer.weight, "bias": bias[layer.weight]} for layer in chosen],
        "policy": policy,
        "policy_options": {key: value for key, value in policy_options.items() if _is_json(value)},
        "seed": seed,
        "selection": selection,
        "accounting": {
            "channel_pool_bytes": sum(layer.pool_bytes for layer in chosen),
            "bias_gradient_bytes": sum(layer.bias_bytes for layer in chosen if bias[layer.weight]),
            "cheapest_channel_bytes": min(layer.first_channel_bytes for layer in chosen),
            "epoch0_schedule_cost_bytes": first.cost_bytes,
            "epoch0_channels": first.channel_count(),
            "epoch0_output_channels": sum(len(o) for o in first.output_channels.values()),
            "per_layer": [
                {
                    "weight": layer.weight,
                    "depth": layer.depth,
                    "in_channels": layer.in_channels,
                    "channel_cost_bytes": layer.channel_cost_bytes,
                    "pool_bytes": layer.pool_bytes,
                    "bias_bytes": layer.bias_bytes,
                    **_compressed_accounting(layer),
                }
                for layer in chosen
            ],
        },
    }


def _compressed_accounting(layer: LayerSpec) -> dict[str, int]:
    """Per-layer plan figures of a compressed saved activation (none when raw)."""
    if layer.compressed_plane_elems is None:
        return {}
    return {"raw_channel_cost_bytes": 4 * (layer.slice_elems + layer.plane_elems),
            "compressed_fixed_bytes": layer.fixed_bytes}


def _is_json(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, type(None)))
