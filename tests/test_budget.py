"""Budget parsing and the papers' budget accounting (host_tools/selection/budget.py)."""

from __future__ import annotations

import pytest

from medyate.host_tools.selection.budget import (
    InfeasibleBudget,
    parse_budget,
    require_channel_fits,
    schedule_cost_bytes,
)
from medyate.host_tools.selection.policies import LayerSpec


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("96KiB", 96 * 1024),
        ("128kB", 128_000),
        ("128KB", 128_000),
        ("131072", 131072),
        (131072, 131072),
        ("0.5MiB", 512 * 1024),
        ("1MB", 1_000_000),
        ("2 kib", 2048),
        ("100B", 100),
        (" 1.5KiB ", 1536),
    ],
)
def test_parse_budget_accepts_documented_forms(text: str | int, expected: int) -> None:
    assert parse_budget(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "12 parsecs", "-5KiB", "0", "0.0001kB", "1e3", "KiB", True])
def test_parse_budget_rejects_with_clear_error(text: object) -> None:
    with pytest.raises(ValueError, match="budget"):
        parse_budget(text)  # type: ignore[arg-type]


def conv(weight: str, depth: int, c_in: int, c_out: int, k: int, hw: int, bias: bool = True) -> LayerSpec:
    return LayerSpec(
        weight=weight,
        depth=depth,
        in_channels=c_in,
        out_channels=c_out,
        slice_elems=c_out * k * k,
        plane_elems=hw,
        weight_elems=c_out * c_in * k * k,
        bias_elems=c_out if bias else 0,
        input_elems=c_in * hw,
    )


def test_channel_cost_is_trady_eq_3_4_in_fp32() -> None:
    layer = conv("w", 0, c_in=8, c_out=16, k=3, hw=10 * 10)
    assert layer.channel_cost_bytes == 4 * (16 * 3 * 3 + 100)


def test_schedule_cost_counts_input_channels_output_channels_and_biases() -> None:
    a = conv("a", 0, c_in=4, c_out=8, k=3, hw=36)
    b = conv("b", 1, c_in=8, c_out=2, k=1, hw=9)
    layers = [a, b]
    assert schedule_cost_bytes(layers, {"a": [0, 3]}) == 2 * 4 * (8 * 9 + 36)
    # Output channels: the whole input of the layer once + one weight row (C_in*k*k) each.
    assert schedule_cost_bytes(layers, {}, {"b": [0, 1]}) == 4 * (8 * 9) + 2 * 4 * 8
    assert schedule_cost_bytes(layers, {}, {"b": []}) == 0
    assert schedule_cost_bytes(layers, {"b": [1]}, bias_weights=["a"]) == 4 * (2 + 9) + 4 * 8


@pytest.mark.parametrize(
    ("channels", "message"),
    [({"zzz": [0]}, "not among"), ({"a": [4]}, "outside"), ({"a": [1, 1]}, "repeated")],
)
def test_schedule_cost_rejects_bad_schedules(channels: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        schedule_cost_bytes([conv("a", 0, 4, 8, 3, 36)], channels)


def test_infeasible_budget_names_smallest_workable_budget_and_shortfall() -> None:
    layers = [conv("a", 0, 4, 8, 3, 36), conv("b", 1, 8, 2, 1, 9)]
    cheapest = 4 * (2 + 9)
    with pytest.raises(InfeasibleBudget) as caught:
        require_channel_fits(layers, cheapest - 5)
    assert caught.value.required_bytes == cheapest
    assert caught.value.shortfall_bytes == 5
    assert str(cheapest) in str(caught.value) and "5 B short" in str(caught.value)
    require_channel_fits(layers, cheapest)  # exactly enough: no error
