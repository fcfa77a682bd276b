"""Behaviour of individual policies: sampling statistics, hand examples, errors."""

from __future__ import annotations

import numpy as np
import pytest

from medyate.host_tools.selection.budget import InfeasibleBudget
from medyate.host_tools.selection.policies import POLICIES, LayerSpec, Schedule, make_policy


def layer(weight: str, depth: int, c_in: int, c_out: int = 4, k: int = 1, plane: int = 4,
          bias: bool = True) -> LayerSpec:
    return LayerSpec(weight, depth, c_in, c_out, c_out * k * k, plane, c_out * c_in * k * k,
                     c_out if bias else 0, c_in * plane)


def inclusion_frequency(policy, epochs: int) -> np.ndarray:
    counts = np.zeros(policy.layers[0].in_channels)
    for epoch in range(epochs):
        for channel in policy.schedule(epoch).channels.get(policy.layers[0].weight, ()):
            counts[channel] += 1
    return counts / epochs


# ---------------------------------------------------------------- medyate sampling
IMPORTANCE = np.array([0.0, 0.0, 1.0, 1.0, 4.0, 4.0, 16.0, 16.0])


def test_medyate_inclusion_increases_with_importance_and_never_vanishes() -> None:
    single = layer("w", 0, c_in=8)  # every channel costs 4 * (4 + 4) = 32 B
    policy = make_policy("medyate", [single], budget_bytes=3 * 32, seed=11,
                         stats={"w": IMPORTANCE})
    frequency = inclusion_frequency(policy, 3000)
    assert frequency.sum() == pytest.approx(3.0)  # exactly three channels every epoch
    levels = frequency.reshape(4, 2).mean(axis=1)  # pairs share an importance level
    assert np.all(np.diff(levels) > 0.03), levels
    assert frequency.min() > 0.05, "the uniform share keeps zero-importance channels alive"


def test_medyate_without_uniform_mix_never_draws_zero_importance() -> None:
    policy = make_policy("medyate", [layer("w", 0, c_in=8)], 3 * 32, seed=11,
                         stats={"w": IMPORTANCE}, mix=0.0)
    frequency = inclusion_frequency(policy, 300)
    assert frequency[0] == frequency[1] == 0.0


def test_medyate_probabilities_follow_the_documented_mixture() -> None:
    policy = make_policy("medyate", [layer("w", 0, c_in=8)], 64, seed=0,
                         stats={"w": IMPORTANCE}, mix=0.3)
    expected = 0.7 * IMPORTANCE / IMPORTANCE.sum() + 0.3 / 8
    np.testing.assert_allclose(policy.probabilities(), expected)


def test_medyate_observe_refreshes_only_observed_channels() -> None:
    policy = make_policy("medyate", [layer("w", 0, c_in=4)], 64, seed=0,
                         stats={"w": [1.0, 1.0, 1.0, 1.0]}, ema=0.5, rescale_observed=False)
    policy.observe(0, {"w": {2: 5.0}})
    np.testing.assert_allclose(policy.norms, [1.0, 1.0, 3.0, 1.0])
    before = policy.probabilities()
    policy.observe(1, {"w": {"2": 5.0}})  # JSON keys arrive as strings
    assert policy.probabilities()[2] > before[2]
    with pytest.raises(ValueError, match="outside"):
        policy.observe(2, {"w": {9: 1.0}})


def test_medyate_rescaling_keeps_relative_information_of_observations() -> None:
    policy = make_policy("medyate", [layer("w", 0, c_in=4)], 64, seed=0,
                         stats={"w": [1.0, 1.0, 1.0, 1.0]}, ema=1.0)
    # Device norms are 100x the ranking pass's scale; only their ratio (1:3) carries over.
    policy.observe(0, {"w": {0: 100.0, 1: 300.0}})
    np.testing.assert_allclose(policy.norms, [0.5, 1.5, 1.0, 1.0])


def test_medyate_uniform_importance_without_stats() -> None:
    policy = make_policy("medyate", [layer("w", 0, c_in=6)], 64, seed=0)
    np.testing.assert_allclose(policy.probabilities(), np.full(6, 1 / 6))


# -------------------------------------------------------------------------- trady
def test_trady_is_uniform_over_equal_cost_channels() -> None:
    policy = make_policy("trady", [layer("w", 0, c_in=8)], 3 * 32, seed=2)
    frequency = inclusion_frequency(policy, 3000)
    # Binomial(3000, 3/8): standard deviation ~0.009; allow ~5 sigma.
    np.testing.assert_allclose(frequency, 3 / 8, atol=0.045)


def test_trady_skips_an_expensive_channel_and_keeps_filling_with_cheap_ones() -> None:
    dear = layer("dear", 0, c_in=1, c_out=100, plane=100)  # 800 B
    cheap = layer("cheap", 1, c_in=10, c_out=1, plane=1)  # 8 B each
    for seed in range(20):
        schedule = make_policy("trady", [dear, cheap], 850, seed=seed).schedule(0)
        if "dear" in schedule.channels:
            assert len(schedule.channels["cheap"]) == 6  # 800 + 6 * 8 = 848
        else:
            assert len(schedule.channels["cheap"]) == 10


# --------------------------------------------------------------- det-rgn and worst
def det_layers() -> list[LayerSpec]:
    return [layer("a", 0, c_in=3, c_out=4, plane=4), layer("b", 1, c_in=3, c_out=12, plane=4)]


def test_det_rgn_takes_highest_norm_per_cost() -> None:
    # a: cost 8 elements, b: cost 16 elements. RGN a = [0.125, 1.0, 0.25], b = [0.5, 0.0625, 0.75].
    stats = {"a": [1.0, 8.0, 2.0], "b": [8.0, 1.0, 12.0]}
    schedule = make_policy("det-rgn", det_layers(), 32 + 64 + 64, seed=0, stats=stats).schedule(0)
    # Order: a1 (1.0), b2 (0.75), b0 (0.5), a2 ... -> a1 (32 B) + b2 (64 B) + b0 (64 B) = 160 B.
    assert schedule.channels == {"a": (1,), "b": (0, 2)}
    worst = make_policy("worst", det_layers(), 32 + 64, seed=0, stats=stats).schedule(0)
    # Lowest RGN: b1 (0.0625, 64 B), a0 (0.125, 32 B).
    assert worst.channels == {"a": (0,), "b": (1,)}


def test_det_rgn_follows_observed_and_dense_norms() -> None:
    stats = {"a": [1.0, 8.0, 2.0], "b": [8.0, 1.0, 12.0]}
    policy = make_policy("det-rgn", det_layers(), 32, seed=0, stats=stats)
    assert policy.schedule(0).channels == {"a": (1,)}
    policy.observe(0, {"a": {1: 0.0}})  # the oracle's channel stopped mattering
    assert policy.schedule(1).channels == {"a": (2,)}
    calls = []

    def dense(epoch: int) -> dict[str, list[float]]:
        calls.append(epoch)
        return {"a": [9.0, 0.0, 0.0], "b": [0.0, 0.0, 0.0]}

    dense_policy = make_policy("det-rgn", det_layers(), 32, seed=0, dense_norms=dense)
    assert dense_policy.schedule(3).channels == {"a": (0,)} and calls == [3]


# -------------------------------------------------------------------- sparse-update
def test_sparse_update_prefix_channels_biases_and_ratio_shrink() -> None:
    layers = [layer(f"w{i}", i, c_in=16) for i in range(4)]  # 32 B per channel, 16 B bias
    roomy = make_policy("sparse-update", layers, 10_000, seed=0, bias_layers=3,
                        weight_layers=2, channel_ratio=0.25)
    schedule = roomy.schedule(0)
    assert schedule.bias == ("w1", "w2", "w3")
    assert schedule.channels == {"w2": (0, 1, 2, 3), "w3": (0, 1, 2, 3)}
    assert schedule.cost_bytes == 3 * 16 + 8 * 32
    # 48 B of biases + room for 2 + 2 channels only: the ratio drops to 2/16.
    tight = make_policy("sparse-update", layers, 48 + 4 * 32, seed=0, bias_layers=3,
                        weight_layers=2, channel_ratio=0.25).schedule(5)
    assert tight.channels == {"w2": (0, 1), "w3": (0, 1)}


# ------------------------------------------------------------------------------ neq
def test_neq_selects_output_channels_with_whole_input_cost() -> None:
    layers = [layer("a", 0, c_in=2, c_out=3, plane=5), layer("b", 1, c_in=2, c_out=3, plane=5)]
    # Whole input 2*5 = 10 elements = 40 B once per layer; one output row = 2 elements = 8 B.
    velocity = {"a": [0.1, 0.9, 0.5], "b": [0.0, 0.2, 0.0]}
    policy = make_policy("neq", layers, 40 + 2 * 8, seed=0, velocity=velocity)
    schedule = policy.schedule(0)
    assert schedule.channels == {} and schedule.output_channels == {"a": (1, 2)}
    assert schedule.cost_bytes == 56
    assert schedule.to_json(0)["output_channels"] == {"a": [1, 2]}
    # Velocity update v = delta_phi - 0.5 * v.
    policy.observe_outputs(1, {"a": [0.0, 0.0, 0.0], "b": [1.0, 1.0, 1.0]})
    np.testing.assert_allclose(policy.velocity["a"], [-0.05, -0.45, -0.25])
    np.testing.assert_allclose(policy.velocity["b"], [1.0, 0.9, 1.0])
    assert set(policy.schedule(1).output_channels) == {"b"}
    with pytest.raises(InfeasibleBudget, match="whole input"):
        make_policy("neq", layers, 47, seed=0)


# ---------------------------------------------- bias-only, last-layer, full, errors
def test_bias_only_trains_biases_deepest_first() -> None:
    layers = [layer("a", 0, 4, c_out=8), layer("b", 1, 4, c_out=4), layer("c", 2, 4, bias=False)]
    full = make_policy("bias-only", layers, 1000, seed=0).schedule(0)
    assert full.channels == {} and full.bias == ("a", "b") and full.cost_bytes == 48
    tight = make_policy("bias-only", layers, 20, seed=0).schedule(0)
    assert tight.bias == ("b",)
    assert tight.to_json(0) == {"format": "medyate-schedule/1", "epoch": 0, "channels": {},
                                "bias": ["b"]}


def test_last_layer_and_full_refuse_with_exact_numbers() -> None:
    layers = [layer("a", 0, 4), layer("b", 1, 6)]  # 32 B per channel, 16 B per bias
    last = make_policy("last-layer", layers, 6 * 32 + 16, seed=0).schedule(0)
    assert last.channels == {"b": tuple(range(6))} and last.bias == ("b",)
    with pytest.raises(InfeasibleBudget) as caught:
        make_policy("last-layer", layers, 6 * 32, seed=0)
    assert caught.value.required_bytes == 6 * 32 + 16 and "'b'" in str(caught.value)
    whole = 10 * 32 + 2 * 16
    assert make_policy("full", layers, whole, seed=0).schedule(3).cost_bytes == whole
    with pytest.raises(InfeasibleBudget, match="1 B short"):
        make_policy("full", layers, whole - 1, seed=0)


def test_channel_policy_with_biases_reserves_them_first() -> None:
    layers = [layer("a", 0, 4), layer("b", 1, 4)]
    schedule = make_policy("trady", layers, 32 + 32, seed=0, train_bias=True).schedule(0)
    assert schedule.bias == ("a", "b") and schedule.channel_count() == 1
    with pytest.raises(InfeasibleBudget, match="plus the biases"):
        make_policy("trady", layers, 32 + 31, seed=0, train_bias=True)


def test_registry_errors_are_clear() -> None:
    with pytest.raises(ValueError, match="known policies: .*trady"):
        make_policy("tardy", [layer("a", 0, 4)], 100)
    with pytest.raises(TypeError, match="known: .*mix"):
        make_policy("medyate", [layer("a", 0, 4)], 100, mixx=0.2)
    assert set(POLICIES) == {
        "medyate", "trady", "static-random", "det-rgn", "full-random", "static-full-random",
        "sparse-update", "neq", "bias-only", "last-layer", "full", "worst"}


def test_schedule_json_is_exactly_the_documented_format() -> None:
    schedule = Schedule({"w": (0, 5, 17)}, cost_bytes=96)
    assert schedule.to_json(3) == {"format": "medyate-schedule/1", "epoch": 3,
                                   "channels": {"w": [0, 5, 17]}}
    assert schedule.to_json(3, include_cost=True)["cost_bytes"] == 96
