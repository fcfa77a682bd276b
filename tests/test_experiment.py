"""The experiment harness end to end on a tiny sweep (host target, 2 processes)."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from medyate.cli import main
from medyate.host_tools.experiments.experiment_report import paired_ci
from medyate.host_tools.selection.policies import POLICIES


def test_paired_ci_matches_a_hand_computation() -> None:
    mean, low, high = paired_ci([1.0, 3.0])      # mean 2, sd sqrt(2), t(1) = 12.706
    assert mean == 2.0 and abs(high - (2.0 + 12.706 * 1.0)) < 1e-9 and low < 0 < high
    assert paired_ci([1.0]) is None


def test_tiny_experiment_runs_and_lists_every_policy(tmp_path: Path) -> None:
    config = {"policies": sorted(POLICIES), "budgets": ["4KiB"], "seeds": [0, 1], "epochs": 1,
              "batch_size": 8, "lr": 0.05, "rank": {"batches": 2, "batch_size": 8},
              "tasks": [{"model": "models/cnn4_mnist.onnx", "target": "animal-mnist",
                         "per_class": 2, "test_per_class": 3}]}
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(config))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["experiment", str(path), "--jobs", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    runs = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(runs) == 2 * len(POLICIES)
    ok = [r for r in runs if r["status"] == "ok"]
    assert {r["policy"] for r in ok} >= {"trady", "medyate", "worst", "last-layer", "bias-only", "neq"}
    for r in ok:
        assert len(r["accuracy_per_epoch"]) == 1 and 0.0 <= r["final_accuracy"] <= 1.0
        assert all(cost <= 4096 for cost in r["schedule_cost_bytes"])
        assert r["memory_compile_time"]["arena_bytes"] > 0
    full = [r for r in runs if r["policy"] == "full"]
    assert all(r["status"] == "infeasible" and r["required_bytes"] > 4096 for r in full)
    table = (out / "results.md").read_text()
    for policy in POLICIES:
        assert f"| {policy} |" in table
    assert "(baseline)" in table
    assert (out / "accuracy_vs_budget.png").exists() and (out / "accuracy_vs_epoch.png").exists()


def test_policy_at_method_selects_the_layer_method(tmp_path: Path) -> None:
    from medyate.codegen.errors import MedyateError
    from medyate.host_tools.experiments.experiment import load_config, split_policy
    assert split_policy("trady@lara", "rgn") == ("trady", "lara")
    assert split_policy("trady", "rgn") == ("trady", "rgn")
    base = {"budgets": ["8KiB"], "seeds": [0], "epochs": 1, "tasks": []}
    good = tmp_path / "good.json"
    good.write_text(json.dumps({**base, "policies": ["trady", "trady@lara"]}))
    assert load_config(good)["policies"] == ["trady", "trady@lara"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**base, "policies": ["trady@magic"]}))
    try:
        load_config(bad)
    except MedyateError as exc:
        assert "magic" in str(exc)
    else:
        raise AssertionError("an unknown layer method must be refused")


def test_comparisons_table_pairs_seeds_and_pools_cells() -> None:
    from medyate.host_tools.experiments.experiment_report import comparisons_markdown

    def run(policy: str, budget: int, seed: int, acc: float) -> dict:
        return {"task": "t", "budget": f"{budget}B", "budget_bytes": budget, "policy": policy,
                "seed": seed, "status": "ok", "final_accuracy": acc}
    results = [run("a", 8, 0, 0.50), run("a", 8, 1, 0.60), run("b", 8, 0, 0.40), run("b", 8, 1, 0.40),
               run("a", 16, 0, 0.70), run("a", 16, 1, 0.70), run("b", 16, 0, 0.70), run("b", 16, 1, 0.70)]
    table = comparisons_markdown(results, [["a", "b"]])
    # budget 8: diffs +10, +20 -> mean +15, half width 12.706 * sd(7.07) / sqrt(2) = 63.5
    assert "| a - b | t | 8B | +15.0 [-48.5, +78.5] within noise, n=2 |" in table
    assert "| a - b | t | 16B | +0.0 [+0.0, +0.0] within noise, n=2 |" in table
    # pooled diffs 10, 20, 0, 0: mean 7.5, sd 9.574, t(3) 3.182 -> half 15.23
    assert "+7.5 [-7.7, +22.7] within noise, n=4" in table


def test_dense_norm_oracle_matches_torch_at_the_current_weights(zoo_dir, tmp_path) -> None:
    """det-rgn's oracle: every input channel's gradient norm at the weights the generated C
    holds now (torch autograd on the same batch as the reference), and it follows training."""
    import numpy as np

    import zoo
    from medyate.codegen.compiler import compile_model
    from medyate.codegen.frontend import load_graph
    from medyate.codegen.plan import Plan, Schedule, resolve_layers
    from medyate.host_tools.device.host_model import build_host_library, load_private
    from medyate.host_tools.device.host_trainer import dense_norm_oracle
    from torch_oracle import torch_grads

    path = zoo.exported("plain_cnn", "torchscript", True, zoo_dir)
    graph = load_graph(path)
    plan = Plan.all_layers(graph)
    layers = resolve_layers(graph, plan)
    compile_model(path, plan, tmp_path, graph=graph)
    host = load_private(build_host_library(tmp_path), "oracle")
    x = zoo.sample_input("plain_cnn", batch=4, seed=7).numpy()
    y = np.array([1, 2, 3, 4])
    oracle = dense_norm_oracle(host, graph, layers, x, y, samples=4)
    before = oracle(0)
    _, _, tgrads = torch_grads(zoo.build_model("plain_cnn"), x, y)
    for layer in layers:
        g = np.moveaxis(tgrads[layer.onnx_weight], 1, 0).reshape(layer.in_channels, -1)
        expected = np.sqrt((g ** 2).sum(axis=1))
        np.testing.assert_allclose(before[layer.onnx_weight], expected, rtol=1e-4, atol=1e-9)
    host.set_schedule(Schedule.full(layers).for_layers(layers))
    for xi, yi in zip(x, y):
        host.train_sample(xi, int(yi), 10)
    host.apply_update(0.5, len(x))
    after = oracle(1)
    assert any(not np.allclose(after[k], before[k]) for k in before)
