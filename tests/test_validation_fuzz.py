"""Hypothesis-generated plan and schedule documents (issue 17 item 3): a document with a
wrong type anywhere is refused with a one-line MedyateError naming the field; a document
that is accepted carries exactly the types the kernels expect (booleans, in-range
integer channels), so a coerced value never reaches them."""
from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hostile_models import ROLES, tiny_model, tiny_plan
from medyate.cli import one_line
from medyate.codegen.errors import MedyateError
from medyate.codegen.formats.jsonfile import parse_json_text
from medyate.codegen.frontend import load_graph
from medyate.codegen.plan import Plan, Schedule, resolve_layers

NAMES = list(ROLES)
GRAPH = load_graph(tiny_model(NAMES))
IN_CHANNELS = {"conv_w": 1, "gemm_w": 32}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) |
    st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6)
#: Values a careless writer puts where an int/bool goes (the issue's examples first).
near_misses = st.sampled_from([1.7, True, False, "false", "true", "0", 0.0, 1.0, None, [], {}, [0],
                               -1, 2**63, "conv_w", ["conv_w"]])
anything = near_misses | json_values


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key/index path of a JSON document (the places a mutation may hit)."""
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, prefix + (i,))
    return out


def _replace(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    copy[path[0]] = _replace(copy[path[0]], path[1:], value)
    return copy


@st.composite
def mutated(draw: st.DrawFn, base: dict) -> dict:
    doc = base
    for _ in range(draw(st.integers(1, 2))):
        path = draw(st.sampled_from(_paths(doc)))
        doc = _replace(doc, path, draw(anything))
    return doc


def _one_line_error(exc: MedyateError) -> None:
    """What the CLI prints for it (medyate.cli.one_line) is one line."""
    text = one_line(str(exc))
    assert text and "\n" not in text and "\r" not in text and "Traceback" not in text


def _strict(value: Any, kind: type) -> bool:
    return type(value) is kind          # bool is not an int, 1.0 is not an int


PLAN = tiny_plan(NAMES)
SCHEDULE = {"format": "medyate-schedule/1", "epoch": 3,
            "channels": {"conv_w": [0], "gemm_w": [0, 5, 31]}, "output_channels": {"gemm_w": [1]}}


@settings(max_examples=150, deadline=None)
@given(doc=mutated(PLAN))
def test_mutated_plans_are_refused_or_strictly_typed(doc: dict) -> None:
    try:
        layers = resolve_layers(GRAPH, Plan.from_dict(doc))
    except MedyateError as exc:
        _one_line_error(exc)
        return
    plan = Plan.from_dict(doc)
    assert _strict(plan.budget_bytes, int) and plan.budget_bytes >= 0
    for entry, layer in zip(plan.layers, layers):
        assert _strict(entry["weight"], str)
        assert "bias" not in entry or _strict(entry["bias"], bool)
        assert layer.train_bias == entry.get("bias", False)


@settings(max_examples=150, deadline=None)
@given(doc=mutated(SCHEDULE))
def test_mutated_schedules_are_refused_or_strictly_typed(doc: dict) -> None:
    layers = resolve_layers(GRAPH, Plan.from_dict(PLAN))
    try:
        schedule = Schedule.from_dict(doc)
        lists = schedule.for_layers(layers)
    except MedyateError as exc:
        _one_line_error(exc)
        return
    assert _strict(schedule.epoch, int) and schedule.epoch >= 0
    for chans in list(schedule.channels.values()) + list(schedule.output_channels.values()):
        assert all(_strict(c, int) for c in chans) and len(set(chans)) == len(chans)
    for layer, chans in zip(layers, lists):
        # what the kernels get: int64 channel indices inside the layer
        assert chans.dtype == np.int64 and np.all((chans >= 0) & (chans < layer.in_channels))
        assert list(chans) == doc["channels"].get(layer.onnx_weight, [])


@settings(max_examples=150, deadline=None)
@given(raw=st.binary(max_size=64) | st.text(max_size=64).map(str.encode) |
       json_values.map(lambda v: json.dumps(v).encode()))
def test_any_bytes_parse_or_fail_with_one_line(raw: bytes) -> None:
    try:
        parse_json_text(raw, "doc.json")
    except MedyateError as exc:
        _one_line_error(exc)
        assert str(exc).startswith("doc.json: ")


@pytest.mark.parametrize("doc, field", [
    ({**PLAN, "layers": [{"weight": "conv_w", "bias": "false"}]}, "layers[0].bias"),
    ({**SCHEDULE, "channels": {"conv_w": [1.7]}}, "channels.conv_w[0]"),
    ({**SCHEDULE, "channels": {"conv_w": [True]}}, "channels.conv_w[0]"),
    ({**SCHEDULE, "channels": {"conv.w": [True]}}, "channels['conv.w'][0]"),
])
def test_the_issues_examples_name_the_field(doc: dict, field: str) -> None:
    with pytest.raises(MedyateError) as caught:
        if "layers" in doc:
            Plan.from_dict(doc)
        else:
            Schedule.from_dict(doc).for_layers(resolve_layers(GRAPH, Plan.from_dict(PLAN)))
    assert field in str(caught.value)


GOOD_MODEL = tiny_model(NAMES).SerializeToString()
edits = st.lists(st.tuples(st.integers(0, len(GOOD_MODEL) - 1), st.integers(0, 2),
                           st.binary(min_size=1, max_size=4)), min_size=1, max_size=3)


@settings(max_examples=100, deadline=None)
@given(edits=edits)
def test_corrupted_onnx_bytes_are_refused_with_one_line(tmp_path_factory: pytest.TempPathFactory,
                                                         edits: list) -> None:
    """Flipped, cut or inserted bytes anywhere in a model: the importer either loads it
    or refuses it with a MedyateError, never another exception."""
    data = bytearray(GOOD_MODEL)
    for pos, kind, blob in edits:
        pos = min(pos, len(data))
        if kind == 0:
            data[pos:pos + len(blob)] = blob
        elif kind == 1:
            del data[pos:pos + len(blob)]
        else:
            data[pos:pos] = blob
    path = tmp_path_factory.mktemp("onnx") / "m.onnx"
    path.write_bytes(bytes(data))
    try:
        load_graph(path)
    except MedyateError as exc:
        _one_line_error(exc)
