"""Concurrent compiles and builds of one model with different plans each get their own
plan (private work folders, published by rename, a lock per firmware cache entry)."""
from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

import zoo
from medyate.codegen.frontend import load_graph
from medyate.codegen.plan import Plan


def _build(args: tuple[str, str, str]) -> tuple[str, str, str]:
    """In a fresh process: compile + build the host firmware of one plan and ask the
    firmware which model it holds."""
    from medyate.host_tools.device.device import Device
    from medyate.host_tools.device.device_model import build_device_model
    model, plan_path, target = args
    graph = load_graph(Path(model))
    built = build_device_model(target, Path(model), Plan.load(Path(plan_path)), graph)
    with Device.open_host(built.build.artifact) as device:
        on_device = device.info.model_hash if device.info else ""
    c_source_hash = (built.model_dir / "model.h").read_text()
    return built.model_hash, on_device, str(len(c_source_hash))


@pytest.fixture(scope="module")
def plans(zoo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    tmp = tmp_path_factory.mktemp("isolation")
    model = zoo.exported("plain_cnn", "torchscript", True, zoo_dir)
    full = Plan.all_layers(load_graph(model), budget_bytes=24 * 1024)
    paths = []
    for name, layers in (("last", full.layers[-1:]), ("first", full.layers[:1])):
        path = tmp / f"{name}.json"
        path.write_text(json.dumps(Plan(full.budget_bytes, layers).to_dict()))
        paths.append(path)
    return model, paths


def test_concurrent_builds_of_two_plans_each_get_their_own(plans) -> None:  # type: ignore[no-untyped-def]
    """CI-sized: 2 rounds of two plans at once, then one plan twice at once (one cache
    entry, one builder); scripts/stress_concurrent_builds.py runs 20 rounds."""
    model, (plan_a, plan_b) = plans
    jobs = [(str(model), str(plan), "host") for plan in (plan_a, plan_b)]
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        rounds = [pool.map(_build, jobs) for _ in range(2)]
        twins = pool.map(_build, [jobs[0]] * 2)
    for (hash_a, device_a, _), (hash_b, device_b, _) in rounds:
        assert hash_a != hash_b
        assert device_a == hash_a and device_b == hash_b   # each firmware holds its own plan
    assert rounds[0] == rounds[1]
    assert twins[0] == twins[1] == rounds[0][0]
