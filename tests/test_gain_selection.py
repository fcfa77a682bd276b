"""Budget-aware layer pre-selection (`--method gain` / `gain-depth`): known answers on
synthetic rankings, and the method registry wiring (make_plan, plan CLI, configs)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from medyate.host_tools.selection.gain_selection import best_prefix, expected_gain
from medyate.host_tools.selection.layer_selection import LAYER_METHODS, make_plan
from medyate.host_tools.selection.policies import LayerSpec, policy_class


def gemm(weight: str, depth: int, c_in: int, c_out: int) -> LayerSpec:
    """A Gemm layer: one input channel costs (c_out + 1) elements."""
    return LayerSpec(weight, depth, c_in, c_out, c_out, 1, c_out * c_in, c_out, c_in)


# A fresh classifier (cheap channels, strong gradients) under a wide hidden layer (many
# channels, weak gradients): the shape of cnn4's fc2 / fc1, where the RGN pool {fc1, fc2}
# leaves the classifier a third of its channels at 8 KiB and last-layer wins.
HEAD = gemm("head", 1, c_in=36, c_out=10)        # 44 B per channel, 1584 B in all
BODY = gemm("body", 0, c_in=1568, c_out=36)      # 148 B per channel
STATS = {"head": np.ones(36), "body": np.full(1568, 0.05)}


def test_expected_gain_of_a_pool_the_budget_covers_is_its_whole_norm() -> None:
    gain = expected_gain(policy_class("medyate"), [HEAD], 2_048, 0, STATS)
    assert gain == pytest.approx(36.0)          # every head channel, every probe epoch


def test_power_two_is_the_energy_reading() -> None:
    stats = {"head": np.full(36, 0.5), "body": STATS["body"]}
    assert expected_gain(policy_class("medyate"), [HEAD], 2_048, 0, stats, power=2.0) == \
        pytest.approx(36 * 0.25)


def test_small_budget_keeps_the_head_alone_large_budget_adds_the_body() -> None:
    medyate = policy_class("medyate")
    # 2 KiB: the head alone (36.0) beats the diluted {head, body} draw, which spends
    # bytes on 0.05-norm channels and drops head channels.
    k, gains = best_prefix([HEAD, BODY], 2_048, medyate, 0, STATS)
    assert k == 1 and gains[0] == pytest.approx(36.0) and gains[1] < 36.0
    # 64 KiB: the head is trained whole either way and ~400 body channels add to it.
    k, gains = best_prefix([HEAD, BODY], 65_536, medyate, 0, STATS)
    assert k == 2 and gains[1] > gains[0]


def test_deterministic_policy_hand_computed_prefixes() -> None:
    # det-rgn fills by g/cost: head channels (1/11 per element) before body ones.
    det = policy_class("det-rgn")
    k, gains = best_prefix([HEAD, BODY], 1_584 + 2 * 148, det, 0, STATS)
    assert gains == pytest.approx([36.0, 36.0 + 2 * 0.05]) and k == 2
    k, gains = best_prefix([HEAD, BODY], 1_584 + 100, det, 0, STATS)
    assert gains == pytest.approx([36.0, 36.0]) and k == 1       # ties: the smaller pool


def test_best_prefix_rejects_empty_order_and_bad_probe() -> None:
    with pytest.raises(ValueError, match="at least one"):
        best_prefix([], 1_000, policy_class("medyate"), 0, STATS)
    with pytest.raises(ValueError, match="probe_epochs"):
        expected_gain(policy_class("medyate"), [HEAD], 1_000, 0, STATS, probe_epochs=0)


@pytest.mark.parametrize("method, budget, expected", [
    ("gain-depth", 2_048, ["head"]),          # deepest first: head, then body
    ("gain-depth", 65_536, ["body", "head"]),
    ("gain", 65_536, ["body", "head"]),
    # layer RGN: head 36 * 1/11 = 3.27 > body 1568 * 0.05/37 = 2.12, so RGN order
    # starts from the head too here
    ("gain", 2_048, ["head"]),
])
def test_make_plan_gain_methods(method: str, budget: int, expected: list[str]) -> None:
    plan = make_plan([BODY, HEAD], budget, policy="medyate", stats=STATS, method=method, seed=0)
    assert [entry["weight"] for entry in plan["layers"]] == expected
    selection = plan["selection"]
    assert selection["method"] == method and selection["k"] == len(expected)
    assert len(selection["expected_gain"]) == 2 and selection["gain_power"] == 1.0
    assert plan["accounting"]["epoch0_schedule_cost_bytes"] <= budget
    json.dumps(plan)


def test_gain_orders_candidates_by_layer_rgn() -> None:
    # A body with strong gradients outranks the head by layer RGN; "gain" tries it first.
    stats = {"head": np.full(36, 0.1), "body": np.full(1568, 1.0)}
    plan = make_plan([BODY, HEAD], 2_048, policy="medyate", stats=stats, method="gain")
    assert plan["selection"]["candidate_order"] == ["body", "head"]
    depth = make_plan([BODY, HEAD], 2_048, policy="medyate", stats=stats, method="gain-depth")
    assert depth["selection"]["candidate_order"] == ["head", "body"]


def test_unknown_method_is_refused_by_make_plan() -> None:
    with pytest.raises(ValueError, match="gain-depth"):
        make_plan([BODY, HEAD], 2_048, policy="medyate", stats=STATS, method="magic")


def test_experiment_config_accepts_every_layer_method(tmp_path: Path) -> None:
    from medyate.host_tools.experiments.experiment import load_config
    config = tmp_path / "c.json"
    policies = [f"medyate@{method}" for method in LAYER_METHODS]
    config.write_text(json.dumps({"budgets": ["8KiB"], "seeds": [0], "epochs": 1, "tasks": [],
                                  "policies": policies, "method": "gain"}))
    assert load_config(config)["policies"] == policies


def test_default_method_is_a_registered_method_and_make_plan_uses_it() -> None:
    from medyate.host_tools.selection.default_method import DEFAULT_LAYER_METHOD
    assert DEFAULT_LAYER_METHOD in LAYER_METHODS
    plan = make_plan([BODY, HEAD], 2_048, policy="medyate", stats=STATS)
    assert plan["selection"]["method"] == DEFAULT_LAYER_METHOD
