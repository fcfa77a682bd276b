"""`medyate train` gives the same run on every target: the reference executor (numpy)
and the generated C on the host firmware train to the same weights, epoch by epoch."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import zoo
from medyate.codegen.frontend import load_graph
from medyate.codegen.plan import Plan
from medyate.host_tools.commands.train import run_train


@pytest.fixture(scope="module")
def setup(zoo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("train_targets")
    model = zoo.exported("plain_cnn", "torchscript", True, zoo_dir)
    graph = load_graph(model)
    plan = Plan.all_layers(graph, budget_bytes=24 * 1024)
    (tmp / "plan.json").write_text(json.dumps(plan.to_dict()))
    rng = np.random.default_rng(0)
    np.savez(tmp / "data.npz", x_train=rng.standard_normal((24, 1, 28, 28)).astype(np.float32),
             y_train=rng.integers(0, 10, 24), x_test=rng.standard_normal((8, 1, 28, 28)).astype(np.float32),
             y_test=rng.integers(0, 10, 8))
    return {"tmp": tmp, "model": model}


def _train(setup: dict, target: str) -> Path:
    run = setup["tmp"] / f"run-{target}"
    run_train(setup["model"], setup["tmp"] / "plan.json", str(setup["tmp"] / "data.npz"), target,
              2, "trady", run, lr=0.1, batch=6, seed=3)
    return run


def test_reference_and_host_train_to_the_same_weights(setup: dict) -> None:
    ref_run, host_run = _train(setup, "reference"), _train(setup, "host")
    for name in ("metrics.jsonl", "schedules.jsonl", "memory.json", "finetuned.onnx"):
        assert (ref_run / name).is_file() and (host_run / name).is_file()
    ref_sched = (ref_run / "schedules.jsonl").read_text()
    assert ref_sched == (host_run / "schedules.jsonl").read_text()   # same policy draws
    ref = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(ref_run / "finetuned.onnx")).graph.initializer}
    host = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(host_run / "finetuned.onnx")).graph.initializer}
    original = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(setup["model"])).graph.initializer}
    changed = [k for k in ref if not np.array_equal(ref[k], original[k])]
    assert changed, "training changed no weight"
    for key in ref:
        assert np.abs(ref[key] - host[key]).max() <= 1e-4 * max(1.0, np.abs(ref[key]).max()), key
    for a, b in zip((ref_run / "metrics.jsonl").read_text().splitlines(),
                    (host_run / "metrics.jsonl").read_text().splitlines()):
        ma, mb = json.loads(a), json.loads(b)
        assert abs(ma["train_loss"] - mb["train_loss"]) < 1e-4
        assert ma["test_accuracy"] == mb["test_accuracy"]
    memory = json.loads((ref_run / "memory.json").read_text())
    assert memory["measured_peak_sram_bytes"] is None      # nothing measured on reference
    assert memory["arena_bytes"] >= memory["arena_lower_bound_bytes"] > 0


def test_train_starts_from_a_ranking(setup: dict) -> None:
    """--ranking feeds `medyate rank`'s channel statistics to the policy: det-rgn's first
    schedule is the top-RGN selection of that ranking."""
    from medyate.codegen.plan import resolve_layers
    from medyate.host_tools.selection.policies import make_policy
    from medyate.host_tools.selection.ranking import layer_specs, rank_model
    tmp = setup["tmp"]
    document = rank_model(setup["model"], str(tmp / "data.npz"), batches=2, batch_size=8,
                          target="reference")
    (tmp / "ranking.json").write_text(json.dumps(document))
    run = tmp / "run-ranked"
    run_train(setup["model"], tmp / "plan.json", str(tmp / "data.npz"), "reference", 1,
              "det-rgn", run, lr=0.1, batch=6, seed=3, ranking=tmp / "ranking.json")
    first = json.loads((run / "schedules.jsonl").read_text().splitlines()[0])
    graph = load_graph(setup["model"])
    plan = Plan.load(tmp / "plan.json")
    specs = layer_specs(graph, resolve_layers(graph, plan))
    stats = {s.weight: np.asarray(document["stats"][s.weight]) for s in specs}
    expected = make_policy("det-rgn", specs, plan.budget_bytes, 3, stats=stats).schedule(0)
    assert first["channels"] == {k: list(v) for k, v in expected.channels.items()}


def test_neq_trains_output_channels_to_the_same_weights_on_reference_and_host(setup: dict) -> None:
    """`--policy neq` selects output-channel neurons (whole weight rows) from velocities the
    trainer measures on probe images with the weights the target reports after each epoch;
    the reference executor and the generated C follow the same schedules to the same weights."""
    runs = {}
    for target in ("reference", "host"):
        run = setup["tmp"] / f"run-neq-{target}"
        run_train(setup["model"], setup["tmp"] / "plan.json", str(setup["tmp"] / "data.npz"),
                  target, 3, "neq", run, lr=0.1, batch=6, seed=3)
        runs[target] = run
    schedules = [json.loads(line) for line in (runs["reference"] / "schedules.jsonl").read_text().splitlines()]
    assert (runs["host"] / "schedules.jsonl").read_text() == (runs["reference"] / "schedules.jsonl").read_text()
    assert all(s["output_channels"] and not s["channels"] for s in schedules)
    assert all(0 < s["cost_bytes"] <= 24 * 1024 for s in schedules)
    # epoch 0 has no velocity yet (equal scores); later epochs follow the measured ones
    assert schedules[1]["output_channels"] != schedules[0]["output_channels"]
    load = lambda run: {i.name: numpy_helper.to_array(i)  # noqa: E731
                        for i in onnx.load(str(run / "finetuned.onnx")).graph.initializer}
    ref, host = load(runs["reference"]), load(runs["host"])
    original = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(setup["model"])).graph.initializer}
    changed = {k for k in ref if not np.array_equal(ref[k], original[k])}
    assert changed
    for key in ref:
        assert np.abs(ref[key] - host[key]).max() <= 1e-4 * max(1.0, np.abs(ref[key]).max()), key
    # only rows of scheduled output channels moved (the plan also trains every bias)
    weights = {layer["weight"] for layer in Plan.load(setup["tmp"] / "plan.json").layers}
    assert changed & weights
    for weight in changed & weights:
        rows = {o for s in schedules for o in s["output_channels"].get(weight, [])}
        moved = np.flatnonzero(np.any((ref[weight] != original[weight]).reshape(len(ref[weight]), -1), axis=1))
        assert set(moved.tolist()) <= rows, weight
    for line in (runs["host"] / "metrics.jsonl").read_text().splitlines():
        record = json.loads(line)
        assert record["scheduled_output_channels"] > 0 and np.isfinite(record["train_loss"])
