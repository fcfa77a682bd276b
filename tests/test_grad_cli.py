"""`medyate grad` end to end through the CLI: the GRADS.npz contract and every bad-input
path (one clear line, exit code 2, nothing written)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import zoo
from medyate.codegen.frontend import load_graph
from medyate.codegen.plan import Plan, resolve_layers


@pytest.fixture(scope="module")
def case(zoo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("gradcli")
    model = zoo.exported("plain_cnn_softmax", "torchscript", True, zoo_dir)
    graph = load_graph(model)
    plan = Plan.all_layers(graph)
    layers = resolve_layers(graph, plan)
    (tmp / "plan.json").write_text(json.dumps(plan.to_dict()))
    first = layers[0].onnx_weight
    (tmp / "schedule.json").write_text(json.dumps(
        {"format": "medyate-schedule/1", "epoch": 0, "channels": {first: [0]}}))
    np.save(tmp / "x.npy", zoo.sample_input("plain_cnn_softmax", batch=2, seed=0).numpy())
    np.save(tmp / "y.npy", np.array([3, 8]))
    return {"tmp": tmp, "model": model, "layers": layers, "graph": graph}


def run(case: dict, *extra: str, target: str = "reference", out: str = "g.npz",
        **overrides: str) -> subprocess.CompletedProcess:
    t = case["tmp"]
    args = {"--plan": str(t / "plan.json"), "--inputs": str(t / "x.npy"),
            "--labels": str(t / "y.npy"), "--target": target, "-o": str(t / out)}
    args.update(overrides)
    cmd = [sys.executable, "-m", "medyate.cli", "grad", str(case["model"])]
    for key, value in args.items():
        cmd += [key, value]
    return subprocess.run(cmd + list(extra), capture_output=True, text=True)


def test_grads_contract(case: dict) -> None:
    t = case["tmp"]
    result = run(case, "--schedule", str(t / "schedule.json"))
    assert result.returncode == 0, result.stderr
    grads = np.load(t / "g.npz")
    layers = case["layers"]
    assert grads["logits"].shape == (2, 10) and grads["loss"].shape == ()
    # a trailing Softmax is not applied twice: logits are pre-softmax
    assert not np.allclose(grads["logits"].sum(axis=1), 1.0)
    first = layers[0]
    assert np.count_nonzero(grads[first.onnx_weight][:, 1:]) == 0
    assert np.count_nonzero(grads[first.onnx_weight][:, 0]) > 0
    for layer in layers[1:]:       # not in the schedule: trains no channel
        assert np.count_nonzero(grads[layer.onnx_weight]) == 0
        if layer.train_bias:       # ... but its bias still gets its full gradient
            assert np.count_nonzero(grads[layer.onnx_bias]) > 0
    import onnx
    inits = {i.name: i for i in onnx.load(str(case["model"])).graph.initializer}
    for layer in layers:
        assert grads[layer.onnx_weight].shape == tuple(inits[layer.onnx_weight].dims)


@pytest.mark.parametrize("mutation,message", [
    ("plan_bad_weight", "plan names weight 'nope.weight', which is not the weight of a Conv/Gemm"),
    ("channel_out_of_range", "channel 999 of"),
    ("inputs_wrong_shape", "inputs have shape (2, 3, 28, 28), expected (N, 1, 28, 28)"),
    ("label_out_of_range", "label 10 is out of range (the model has 10 classes)"),
    ("unknown_target", "unknown target 'nowhere'"),
])
def test_bad_input_is_one_line_exit_2(case: dict, mutation: str, message: str) -> None:
    t = case["tmp"]
    overrides: dict[str, str] = {}
    extra: list[str] = []
    target = "reference"
    if mutation == "plan_bad_weight":
        (t / "bad_plan.json").write_text(json.dumps(
            {"format": "medyate-plan/1", "budget_bytes": 0, "layers": [{"weight": "nope.weight"}]}))
        overrides["--plan"] = str(t / "bad_plan.json")
    elif mutation == "channel_out_of_range":
        (t / "bad_sched.json").write_text(json.dumps(
            {"format": "medyate-schedule/1", "channels": {case["layers"][0].onnx_weight: [999]}}))
        extra = ["--schedule", str(t / "bad_sched.json")]
    elif mutation == "inputs_wrong_shape":
        np.save(t / "bad_x.npy", np.zeros((2, 3, 28, 28), np.float32))
        overrides["--inputs"] = str(t / "bad_x.npy")
    elif mutation == "label_out_of_range":
        np.save(t / "bad_y.npy", np.array([1, 10]))
        overrides["--labels"] = str(t / "bad_y.npy")
    else:
        target = "nowhere"
    result = run(case, *extra, target=target, out=f"{mutation}.npz", **overrides)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (t / f"{mutation}.npz").exists()


def test_host_target_matches_reference_through_cli(case: dict) -> None:
    t = case["tmp"]
    assert run(case, "--schedule", str(t / "schedule.json"), out="r.npz").returncode == 0
    result = run(case, "--schedule", str(t / "schedule.json"), target="host", out="h.npz")
    assert result.returncode == 0, result.stderr
    ref, host = np.load(t / "r.npz"), np.load(t / "h.npz")
    assert set(ref.files) == set(host.files)
    for key in ref.files:
        scale = max(np.abs(ref[key]).max(), 1e-12)
        assert np.abs(ref[key] - host[key]).max() / scale < 1e-3, key
