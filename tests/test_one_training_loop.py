"""`medyate experiment` and `medyate train` share one training loop: on the same model,
plan, data, seed, batch and learning rate, the experiment's host library and train's host
firmware draw the same schedules and reach the same weights."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper
from rich.console import Console

import zoo
from medyate.codegen.compiler import compile_model
from medyate.codegen.frontend import load_graph
from medyate.codegen.plan import Plan
from medyate.host_tools.commands.train import run_train
from medyate.host_tools.experiments.experiment import RunSpec, Task, _train_like_medyate_train
from medyate.host_tools.device.host_model import build_host_library, load_private
from medyate.host_tools.data.datasets import Dataset
from medyate.host_tools.selection.policies import make_policy
from medyate.host_tools.selection.ranking import layer_specs


def test_experiment_and_train_run_the_same_loop(zoo_dir: Path, tmp_path: Path) -> None:
    model = zoo.exported("plain_cnn", "torchscript", True, zoo_dir)
    graph = load_graph(model)
    plan = Plan.all_layers(graph, budget_bytes=24 * 1024)
    (tmp_path / "plan.json").write_text(json.dumps(plan.to_dict()))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((18, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 18)
    np.savez(tmp_path / "data.npz", x_train=x[:12], y_train=y[:12], x_test=x[12:], y_test=y[12:])
    run = tmp_path / "train"
    run_train(model, tmp_path / "plan.json", str(tmp_path / "data.npz"), "host", 2, "trady", run,
              lr=0.1, batch=4, seed=6, console=Console(quiet=True))

    _, layers = compile_model(model, plan, tmp_path / "lib", graph=graph)
    host = load_private(build_host_library(tmp_path / "lib"), "loop")
    policy = make_policy("trady", layer_specs(graph, layers), plan.budget_bytes, 6)
    spec = RunSpec(Task(str(model), "npz", 1, 1), "trady", "24KiB", 6, 2, 4, 0.1, "rgn", "", "")
    data = Dataset("npz", x[:12], y[:12], x[12:], y[12:], [str(c) for c in range(10)], True)
    summary = _train_like_medyate_train(host, model, graph, layers, policy, "trady", data,
                                        int(graph.tensors[graph.output].size), spec,
                                        run_dir=tmp_path / "experiment")

    train_metrics = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines()]
    for ours, theirs in zip(summary.epochs, train_metrics):
        assert ours["scheduled_channels"] == theirs["scheduled_channels"]
        assert ours["lr"] == theirs["lr"]                     # same steps, same warm-up
        assert abs(ours["train_loss"] - theirs["train_loss"]) < 1e-4
    assert (run / "schedules.jsonl").read_text() == \
        (tmp_path / "experiment" / "schedules.jsonl").read_text()
    weights = [{i.name: numpy_helper.to_array(i) for i in onnx.load(str(folder / "finetuned.onnx"))
                .graph.initializer} for folder in (run, tmp_path / "experiment")]
    original = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(model)).graph.initializer}
    assert any(not np.array_equal(weights[0][k], original[k]) for k in original)
    for name in weights[0]:
        np.testing.assert_allclose(weights[1][name], weights[0][name], rtol=1e-4, atol=1e-5,
                                   err_msg=name)


def test_experiment_host_runs_equal_the_host_firmware_bit_for_bit(tmp_path: Path) -> None:
    """8-bit images: the host firmware gets them as uint8 and normalises them itself; the
    experiment's host library must see the very same float inputs, or the two part in the
    last bit from the first sample on (medyate: the norms it feeds back pick the channels)."""
    from dataclasses import replace
    from medyate.host_tools.commands.plan import plan_document
    from medyate.host_tools.experiments.experiment import expand, rank_tasks, run_on_device, run_one
    config = {"policies": ["medyate"], "budgets": ["4KiB"], "seeds": [0], "epochs": 2,
              "batch_size": 4, "lr": 0.05, "rank": {"batches": 2, "batch_size": 8},
              "tasks": [{"model": "models/cnn4_mnist.onnx", "target": "animal-mnist",
                         "per_class": 2, "test_per_class": 3}]}
    (spec,) = expand(config, rank_tasks(config, tmp_path), tmp_path)
    in_process = run_one(spec)
    model = Path(__file__).resolve().parents[1] / "models" / "cnn4_mnist.onnx"
    plan = plan_document(model, spec.budget, ranking=Path(spec.ranking_path), policy="medyate",
                         method="rgn", seed=0)
    firmware = run_on_device(replace(spec, device="host"), model, plan, "medyate")
    assert in_process["status"] == "ok" and firmware["device"] == "host"
    for key in ("initial_accuracy", "accuracy_per_epoch", "train_loss_per_epoch",
                "schedule_cost_bytes", "channels_per_epoch"):
        assert in_process[key] == firmware[key], key
