"""`medyate plan`: valid plans, and the smallest workable budget on an impossible one."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from medyate import PROJECT_ROOT
from medyate.cli import main
from medyate.codegen.frontend import load_graph
from medyate.codegen.plan import Plan, resolve_layers
from medyate.host_tools.selection.layer_selection import layer_rgn_scores
from medyate.host_tools.selection.ranking import all_layers, layer_specs

CNN4 = PROJECT_ROOT / "models" / "cnn4_mnist.onnx"


def fake_ranking(tmp_path: Path) -> Path:
    graph = load_graph(CNN4)
    specs = layer_specs(graph, all_layers(graph))
    rng = np.random.default_rng(0)
    batches = [{s.weight: rng.uniform(0.1, 1.0, s.in_channels).tolist() for s in specs} for _ in range(3)]
    stats = {s.weight: np.mean([b[s.weight] for b in batches], axis=0).tolist() for s in specs}
    path = tmp_path / "ranking.json"
    path.write_text(json.dumps({"format": "medyate-ranking/1", "stats": stats, "batch_stats": batches}))
    return path


def test_plan_writes_a_valid_plan_from_a_ranking(tmp_path: Path) -> None:
    ranking = fake_ranking(tmp_path)
    out = tmp_path / "plan.json"
    result = CliRunner().invoke(main, ["plan", str(CNN4), "--budget", "8KiB", "--ranking", str(ranking),
                                       "--policy", "trady", "-o", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    graph = load_graph(CNN4)
    layers = resolve_layers(graph, Plan.from_dict(doc))
    assert doc["budget_bytes"] == 8192 and doc["policy"] == "trady"
    assert doc["accounting"]["epoch0_schedule_cost_bytes"] <= 8192
    # TraDy keeps the top-RGN layers covering 97%: the best layer is always in
    specs = layer_specs(graph, all_layers(graph))
    stats = json.loads(ranking.read_text())["stats"]
    scores = layer_rgn_scores(specs, {k: np.array(v) for k, v in stats.items()})
    assert max(scores, key=scores.get) in {l.onnx_weight for l in layers}


def test_plan_without_ranking_uses_every_layer(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    result = CliRunner().invoke(main, ["plan", str(CNN4), "--budget", "64KiB", "-o", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert [l["weight"] for l in doc["layers"]] == ["conv1.weight", "conv2.weight", "fc1.weight", "fc2.weight"]
    assert doc["selection"]["method"] == "none"


def test_infeasible_budget_names_the_smallest_workable_budget(tmp_path: Path) -> None:
    graph = load_graph(CNN4)
    cheapest = min(s.channel_cost_bytes for s in layer_specs(graph, all_layers(graph)))
    assert cheapest == 4 * (10 + 1)  # fc2: 10 outputs + one feature
    result = CliRunner().invoke(main, ["plan", str(CNN4), "--budget", "40", "-o", str(tmp_path / "p.json")])
    assert result.exit_code == 2
    assert f"smallest workable budget is {cheapest} B" in result.output
    assert f"{cheapest - 40} B short" in result.output
    assert not (tmp_path / "p.json").exists()
    # a whole-model policy needs the whole pool
    full = CliRunner().invoke(main, ["plan", str(CNN4), "--budget", "64KiB", "--policy", "full",
                                     "-o", str(tmp_path / "p.json")])
    assert full.exit_code == 2 and "smallest workable budget is" in full.output
    unknown = CliRunner().invoke(main, ["plan", str(CNN4), "--budget", "64KiB", "--policy", "nope",
                                        "-o", str(tmp_path / "p.json")])
    assert unknown.exit_code == 2 and "known policies" in unknown.output


def test_plan_method_gain_and_unknown_method(tmp_path: Path) -> None:
    ranking = fake_ranking(tmp_path)
    out = tmp_path / "plan.json"
    result = CliRunner().invoke(main, ["plan", str(CNN4), "--budget", "8KiB", "--ranking", str(ranking),
                                       "--method", "gain-depth", "-o", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["selection"]["method"] == "gain-depth"
    # deepest-first prefixes: the chosen layers are the k deepest
    assert [l["weight"] for l in doc["layers"]] == doc["selection"]["candidate_order"][: doc["selection"]["k"]][::-1]
    bad = CliRunner().invoke(main, ["plan", str(CNN4), "--budget", "8KiB", "--ranking", str(ranking),
                                    "--method", "magic", "-o", str(tmp_path / "p.json")])
    assert bad.exit_code == 2 and "unknown --method 'magic'" in bad.output and "gain" in bad.output
    assert "Traceback" not in bad.output
