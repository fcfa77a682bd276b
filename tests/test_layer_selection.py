"""Layer pre-selection (RGN, TraDy top-K, LaRa), Spearman and make_plan."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from medyate.host_tools.selection.budget import InfeasibleBudget
from medyate.host_tools.selection.layer_selection import (
    LAYER_METHODS,
    channel_rgn,
    energy_per_byte,
    k_by_budget,
    lara_ranking,
    layer_rgn_scores,
    make_plan,
    spearman,
    top_k_by_fraction,
)
from medyate.host_tools.selection.policies import POLICIES, LayerSpec


def conv(weight: str, depth: int, c_in: int, c_out: int, k: int, hw: int, bias: bool = True) -> LayerSpec:
    return LayerSpec(weight, depth, c_in, c_out, c_out * k * k, hw, c_out * c_in * k * k,
                     c_out if bias else 0, c_in * hw)


# Layer a: cost_c = 8*3*3 + 6*6 = 108 elements; layer b: 2*1*1 + 3*3 = 11 elements.
A = conv("a", 0, c_in=2, c_out=8, k=3, hw=36)
B = conv("b", 1, c_in=3, c_out=2, k=1, hw=9)


def test_rgn_matches_hand_computation() -> None:
    stats = {"a": [1.08, 2.16], "b": [1.1, 0.0, 2.2]}
    rgn = channel_rgn([A, B], stats)
    np.testing.assert_allclose(rgn["a"], [0.01, 0.02])
    np.testing.assert_allclose(rgn["b"], [0.1, 0.0, 0.2])
    scores = layer_rgn_scores([A, B], stats)
    assert scores["a"] == pytest.approx(0.03)
    assert scores["b"] == pytest.approx(0.3)


def test_rgn_rejects_missing_or_misshaped_stats() -> None:
    with pytest.raises(ValueError, match="lack layers"):
        channel_rgn([A, B], {"a": [1.0, 2.0]})
    with pytest.raises(ValueError, match="3 input channels"):
        channel_rgn([A, B], {"a": [1.0, 2.0], "b": [1.0]})


def test_trady_top_k_covers_97_percent_on_hand_example() -> None:
    scores = {"c": 15.0, "a": 50.0, "e": 1.0, "b": 30.0, "d": 4.0}
    # Sorted 50, 30, 15, 4, 1 -> cumulative 50%, 80%, 95%, 99%, 100%.
    assert top_k_by_fraction(scores) == ["a", "b", "c", "d"]
    assert top_k_by_fraction(scores, 0.95) == ["a", "b", "c"]
    assert top_k_by_fraction(scores, 0.5) == ["a"]
    assert top_k_by_fraction(scores, 1.0) == ["a", "b", "c", "d", "e"]
    with pytest.raises(ValueError):
        top_k_by_fraction(scores, 0.0)


def test_energy_per_byte_budget_and_layer_densities() -> None:
    # B: channel cost 44 bytes; a 88-byte budget holds its two strongest channels (3, 2).
    assert energy_per_byte(B, np.array([1.0, 3.0, 2.0]), 88, "budget") == pytest.approx(13 / 88)
    assert energy_per_byte(B, np.array([1.0, 3.0, 2.0]), 88, "layer") == pytest.approx(14 / 132)
    assert energy_per_byte(B, np.array([1.0, 3.0, 2.0]), 43, "budget") == 0.0


def test_lara_mean_rank_resists_one_noisy_batch_where_mean_value_does_not() -> None:
    layers = [conv(name, depth, 4, 4, 1, 1) for depth, name in enumerate("xyz")]
    steady = {"x": np.full(4, 3.0), "y": np.full(4, 2.0), "z": np.full(4, 1.0)}
    noisy = {"x": np.full(4, 3.0), "y": np.full(4, 2.0), "z": np.full(4, 100.0)}
    batches = [steady, steady, steady, steady, noisy]
    by_rank = lara_ranking(layers, batches, budget_bytes=10_000)
    assert list(by_rank) == ["x", "y", "z"]
    assert by_rank["x"] == pytest.approx((1 + 1 + 1 + 1 + 2) / 5)
    by_value = lara_ranking(layers, batches, budget_bytes=10_000, aggregation="mean-value")
    assert list(by_value)[0] == "z"
    with pytest.raises(ValueError, match="aggregation"):
        lara_ranking(layers, batches, 10_000, aggregation="vote")


def test_k_by_budget_stops_when_pool_is_budget_over_coverage() -> None:
    layers = [conv(f"l{i}", i, 10, 1, 1, 9) for i in range(5)]  # pool 10 * 40 = 400 B each
    assert k_by_budget(layers, budget_bytes=100, coverage=0.25) == 1
    assert k_by_budget(layers, budget_bytes=100, coverage=0.125) == 2
    assert k_by_budget(layers, budget_bytes=100, coverage=0.01) == 5


def test_spearman_matches_scipy_including_ties() -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        a = rng.integers(0, 5, size=12).astype(float)
        b = a + rng.normal(size=12)
        assert spearman(a, b) == pytest.approx(scipy.stats.spearmanr(a, b).statistic)
    assert spearman({"p": 1, "q": 2, "r": 3}, {"r": 30, "q": 20, "p": 10, "extra": 0}) == pytest.approx(1.0)
    assert np.isnan(spearman([1, 1, 1], [1, 2, 3]))


def model_layers() -> tuple[list[LayerSpec], dict[str, np.ndarray]]:
    layers = [conv(f"w{i}", i, 4, 8, 3, 16) for i in range(5)]
    # Layer i gets total norm proportional to weights 1, 1, 10, 40, 48 -> RGN shares.
    weights = [1.0, 1.0, 10.0, 40.0, 48.0]
    stats = {layer.weight: np.full(4, w) for layer, w in zip(layers, weights)}
    return layers, stats


def test_make_plan_trady_keeps_top_layers_by_rgn_in_depth_order() -> None:
    layers, stats = model_layers()
    plan = make_plan(list(reversed(layers)), 2_000, policy="trady", stats=stats, method="rgn")
    # Shares 48, 40, 10, 1, 1 percent: 97% needs the top three.
    assert [entry["weight"] for entry in plan["layers"]] == ["w2", "w3", "w4"]
    assert plan["format"] == "medyate-plan/1" and plan["budget_bytes"] == 2_000
    assert all(entry["bias"] is False for entry in plan["layers"])
    assert plan["selection"]["k"] == 3
    assert plan["accounting"]["channel_pool_bytes"] == 3 * layers[0].pool_bytes
    assert plan["accounting"]["epoch0_schedule_cost_bytes"] <= 2_000
    json.dumps(plan)  # serialisable as plan.json


def test_a_single_layer_plan_with_statistics_is_strict_json() -> None:
    """One candidate layer: no rank correlation exists, and plan.json must still parse
    (a NaN there made `train --plan` refuse the plan that `plan --board` wrote)."""
    layers, stats = model_layers()
    plan = make_plan(layers[-1:], 2_000, policy="medyate", stats={"w4": stats["w4"]})
    assert plan["selection"]["spearman_rgn_lara"] is None
    json.dumps(plan, allow_nan=False)


def test_make_plan_without_ranking_uses_every_layer_that_fits() -> None:
    layers, _ = model_layers()
    plan = make_plan(layers, 2_000, policy="medyate")
    assert len(plan["layers"]) == 5 and plan["selection"]["method"] == "none"


def test_make_plan_lara_uses_budget_k() -> None:
    layers, stats = model_layers()
    # pool 4 * 4 * (72 + 16) = 1408 B per layer; coverage 0.5 of a 1408 B budget -> K = 2.
    plan = make_plan(layers, 1_408, policy="trady", batch_stats=[stats, stats], method="lara",
                     coverage=0.5)
    assert [entry["weight"] for entry in plan["layers"]] == ["w3", "w4"]
    assert plan["selection"]["k_rule"] == "budget"


def test_make_plan_policy_specific_layers_and_biases() -> None:
    layers, stats = model_layers()
    last = make_plan(layers, 10_000, policy="last-layer")
    assert last["layers"] == [{"weight": "w4", "bias": True}]
    bias_only = make_plan(layers, 10_000, policy="bias-only")
    assert [entry["bias"] for entry in bias_only["layers"]] == [True] * 5
    sparse = make_plan(layers, 10_000, policy="sparse-update",
                       policy_options={"bias_layers": 2, "weight_layers": 3})
    assert [(e["weight"], e["bias"]) for e in sparse["layers"]] == [
        ("w2", False), ("w3", True), ("w4", True)]


def test_make_plan_impossible_budget_raises_infeasible() -> None:
    layers, stats = model_layers()
    with pytest.raises(InfeasibleBudget) as caught:
        make_plan(layers, 100, policy="trady", stats=stats)
    assert caught.value.required_bytes == layers[0].channel_cost_bytes
    with pytest.raises(InfeasibleBudget):
        make_plan(layers, 2_000, policy="full")
    with pytest.raises(ValueError, match="known policies"):
        make_plan(layers, 2_000, policy="nope")


@st.composite
def models(draw: st.DrawFn) -> tuple[list[LayerSpec], int, dict[str, np.ndarray]]:
    count = draw(st.integers(1, 6))
    layers = [
        conv(f"m{i}", i, draw(st.integers(1, 16)), draw(st.integers(1, 8)),
             draw(st.sampled_from([1, 3])), draw(st.sampled_from([1, 9, 25])), draw(st.booleans()))
        for i in range(count)
    ]
    rng = np.random.default_rng(draw(st.integers(0, 99)))
    stats = {layer.weight: rng.exponential(size=layer.in_channels) for layer in layers}
    pool = sum(layer.pool_bytes for layer in layers)
    return layers, max(1, int(pool * draw(st.floats(0.005, 1.2)))), stats


@pytest.mark.parametrize("method", list(LAYER_METHODS))
@settings(max_examples=25, deadline=None, derandomize=True)
@given(model=models())
def test_make_plan_for_every_policy_is_valid_or_infeasible(method: str, model) -> None:
    layers, budget, stats = model
    names = {layer.weight for layer in layers}
    for policy in sorted(POLICIES):
        try:
            plan = make_plan(layers, budget, policy=policy, stats=stats,
                             batch_stats=[stats, stats] if method == "lara" else None, method=method)
        except InfeasibleBudget as error:
            assert error.required_bytes > budget
            continue
        except ValueError as error:
            assert policy == "bias-only" and "has a bias" in str(error)
            continue
        weights = [entry["weight"] for entry in plan["layers"]]
        assert weights and set(weights) <= names and len(set(weights)) == len(weights)
        depths = [int(weight[1:]) for weight in weights]
        assert depths == sorted(depths)
        assert plan["accounting"]["epoch0_schedule_cost_bytes"] <= budget
        json.dumps(plan)
