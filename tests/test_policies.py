"""Property tests over random layer lists and budgets, for every registered policy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medyate.host_tools.selection.budget import InfeasibleBudget, schedule_cost_bytes
from medyate.host_tools.selection.policies import POLICIES, LayerSpec, Policy, make_policy
from medyate.host_tools.selection.policies.base import SCHEDULE_FORMAT, ChannelSamplingPolicy

EPOCHS = 4
RANDOM_DYNAMIC = ("trady", "full-random", "medyate")
PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def layer_lists(draw: st.DrawFn) -> list[LayerSpec]:
    count = draw(st.integers(1, 5))
    layers = []
    for depth in range(count):
        c_in = draw(st.integers(1, 20))
        c_out = draw(st.integers(1, 12))
        kernel = draw(st.sampled_from([1, 3]))
        plane = draw(st.sampled_from([1, 4, 16, 49]))
        bias = draw(st.booleans())
        layers.append(
            LayerSpec(f"layer{depth}.weight", depth, c_in, c_out, c_out * kernel * kernel, plane,
                      c_out * c_in * kernel * kernel, c_out if bias else 0, c_in * plane)
        )
    return layers


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[LayerSpec], int, int, dict[str, np.ndarray] | None]:
    layers = draw(layer_lists())
    pool = sum(layer.pool_bytes for layer in layers)
    budget = max(1, int(pool * draw(st.floats(0.005, 1.3))))
    seed = draw(st.integers(0, 2**31))
    stats = None
    if draw(st.booleans()):
        rng = np.random.default_rng(draw(st.integers(0, 1000)))
        stats = {layer.weight: rng.exponential(size=layer.in_channels) for layer in layers}
    return layers, budget, seed, stats


def build(name: str, layers: list[LayerSpec], budget: int, seed: int, stats) -> Policy | None:
    """The policy, or None after checking its InfeasibleBudget is honest."""
    try:
        return make_policy(name, layers, budget, seed=seed, stats=stats)
    except InfeasibleBudget as error:
        assert error.required_bytes > budget and error.shortfall_bytes == error.required_bytes - budget
        return None
    except ValueError as error:  # the one non-budget refusal: nothing to train at all
        assert name == "bias-only" and "has a bias" in str(error)
        assert all(layer.bias_elems == 0 for layer in layers)
        return None


def observed_norms(schedule, seed: int, epoch: int) -> dict[str, dict[int, float]]:
    rng = np.random.default_rng([seed, epoch, 99])
    return {w: {c: float(rng.exponential()) for c in chans} for w, chans in schedule.channels.items()}


def run(policy: Policy, seed: int) -> list:
    schedules = []
    for epoch in range(EPOCHS):
        schedule = policy.schedule(epoch)
        schedules.append(schedule)
        policy.observe(epoch, observed_norms(schedule, seed, epoch))
    return schedules


def check_schedule(schedule, layers: list[LayerSpec], budget: int) -> None:
    by_weight = {layer.weight: layer for layer in layers}
    assert schedule.cost_bytes <= budget
    assert schedule.cost_bytes == schedule_cost_bytes(
        layers, schedule.channels, schedule.output_channels, schedule.bias)
    for selection, limit in ((schedule.channels, "in_channels"), (schedule.output_channels, "out_channels")):
        for weight, indices in selection.items():
            assert indices, "empty layers are omitted"
            assert list(indices) == sorted(set(indices)), "sorted ascending, unique"
            assert 0 <= indices[0] and indices[-1] < getattr(by_weight[weight], limit)
    document = schedule.to_json(7)
    assert document["format"] == SCHEDULE_FORMAT and document["epoch"] == 7
    assert set(document) <= {"format", "epoch", "channels", "output_channels", "bias"}
    assert document["channels"] == {w: list(c) for w, c in schedule.channels.items()}


@pytest.mark.parametrize("name", sorted(POLICIES))
@PROPERTY_SETTINGS
@given(scenario=scenarios())
def test_every_schedule_within_budget_valid_and_reproducible(name: str, scenario) -> None:
    layers, budget, seed, stats = scenario
    policy = build(name, layers, budget, seed, stats)
    if policy is None:
        return
    schedules = run(policy, seed)
    for schedule in schedules:
        check_schedule(schedule, layers, budget)
    again = run(make_policy(name, layers, budget, seed=seed, stats=stats), seed)
    assert again == schedules, "same seed and observations must reproduce the schedules"
    if not policy.DYNAMIC:
        assert all(schedule == schedules[0] for schedule in schedules)


@pytest.mark.parametrize("name", [n for n, c in sorted(POLICIES.items()) if issubclass(c, ChannelSamplingPolicy)])
@PROPERTY_SETTINGS
@given(scenario=scenarios())
def test_channel_policies_fill_the_budget_maximally(name: str, scenario) -> None:
    """Skip-and-continue: after the fill, no unselected channel still fits."""
    layers, budget, seed, stats = scenario
    policy = build(name, layers, budget, seed, stats)
    if policy is None:
        assert min(layer.channel_cost_bytes for layer in layers) > budget
        return
    schedule = policy.schedule(0)
    left = budget - schedule.cost_bytes
    for layer in layers:
        chosen = set(schedule.channels.get(layer.weight, ()))
        if len(chosen) < layer.in_channels:
            assert layer.channel_cost_bytes > left


@pytest.mark.parametrize("name", RANDOM_DYNAMIC)
@PROPERTY_SETTINGS
@given(scenario=scenarios())
def test_random_dynamic_policies_change_channels_between_epochs(name: str, scenario) -> None:
    layers, budget, seed, stats = scenario
    costs = sorted(c for layer in layers for c in [layer.channel_cost_bytes] * layer.in_channels)
    # Only meaningful when several different selections are possible: the budget holds
    # at least two of the dearest channels and not the whole pool.
    if len(costs) < 4 or budget < 2 * costs[-1] or budget >= sum(costs) - costs[0]:
        return
    policy = make_policy(name, layers, budget, seed=seed, stats=stats)
    selections = {tuple(sorted(policy.schedule(epoch).channels.items())) for epoch in range(12)}
    assert len(selections) > 1


@pytest.mark.parametrize(("name", "dynamic_name"),
                         [("static-random", "trady"), ("static-full-random", "full-random")])
def test_static_random_is_the_dynamic_epoch_0_draw(name: str, dynamic_name: str) -> None:
    layers = [LayerSpec(f"w{i}", i, 16, 8, 72, 16, 8 * 16 * 9, 8, 256) for i in range(3)]
    dynamic = make_policy(dynamic_name, layers, 3000, seed=5)
    static = make_policy(name, layers, 3000, seed=5)
    assert static.schedule(9) == static.schedule(0) == dynamic.schedule(0)
    assert dynamic.schedule(1) != dynamic.schedule(0)


def test_different_seeds_give_different_draws() -> None:
    layers = [LayerSpec(f"w{i}", i, 32, 8, 72, 16, 8 * 32 * 9, 8, 512) for i in range(3)]
    first = make_policy("trady", layers, 5000, seed=1).schedule(0)
    second = make_policy("trady", layers, 5000, seed=2).schedule(0)
    assert first != second
