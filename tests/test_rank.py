"""`medyate rank`: norms against the numpy oracle's dense gradients, seed stability, CLI."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from medyate import PROJECT_ROOT
from medyate.cli import main
from medyate.codegen.frontend import load_graph
from medyate.codegen.plan import Schedule
from medyate.codegen.reference import ReferenceExecutor
from medyate.host_tools.selection.layer_selection import spearman
from medyate.host_tools.selection.ranking import all_layers, layer_specs, rank_model

CNN4 = PROJECT_ROOT / "models" / "cnn4_mnist.onnx"
MBV2 = PROJECT_ROOT / "models" / "mbv2_mnist.onnx"


def channel_slice_norms(dense: np.ndarray, group: int) -> np.ndarray:
    """|| dW[:, c] || per input channel, for a grouped conv or a gemm (IR layout)."""
    out_per_group, in_per_group = dense.shape[0] // group, dense.shape[1]
    norms = []
    for c in range(in_per_group * group):
        g = c // in_per_group
        piece = dense[g * out_per_group:(g + 1) * out_per_group, c % in_per_group]
        norms.append(np.sqrt((piece.astype(np.float64) ** 2).sum()))
    return np.array(norms)


def synthetic_npz(tmp_path: Path, n: int = 12, seed: int = 3) -> Path:
    rng = np.random.default_rng(seed)
    path = tmp_path / "data.npz"
    np.savez(path, x_train=rng.standard_normal((n, 1, 28, 28)).astype(np.float32),
             y_train=rng.integers(0, 10, n))
    return path


@pytest.mark.parametrize("target", ["host", "reference"])
def test_rgn_equals_hand_computation_from_reference_dense_gradients(tmp_path: Path, target: str) -> None:
    data = synthetic_npz(tmp_path)
    # one batch holding every sample: the norm is that of the full-batch mean gradient
    doc = rank_model(CNN4, data, batches=1, batch_size=12, seed=0, target=target)
    graph = load_graph(CNN4)
    layers = all_layers(graph)
    executor = ReferenceExecutor(graph, layers)
    executor.set_schedule(Schedule.full(layers))
    arrays = np.load(data)
    for x, y in zip(arrays["x_train"], arrays["y_train"]):
        executor.train_sample(x, int(y))
    by_weight = {e["weight"]: e for e in doc["layers"]}
    for layer, spec in zip(layers, layer_specs(graph, layers)):
        group = layer.node.attrs.get("group", 1) if layer.kind == "conv" else 1
        expected_g = channel_slice_norms(executor.dense_weight_grad(layer.index) / 12, group)
        entry = by_weight[layer.onnx_weight]
        np.testing.assert_allclose(entry["channel_norms"], expected_g, rtol=2e-4, atol=1e-9)
        cost = spec.slice_elems + spec.plane_elems
        assert entry["channel_cost_elems"] == cost
        assert entry["rgn"] == pytest.approx((expected_g / cost).sum(), rel=2e-4)
    # ranks are a permutation and consistent with the scores
    rgn_sorted = sorted(doc["layers"], key=lambda e: e["rgn_rank"])
    assert [e["rgn_rank"] for e in rgn_sorted] == list(range(1, len(layers) + 1))
    assert all(a["rgn"] >= b["rgn"] for a, b in zip(rgn_sorted, rgn_sorted[1:]))


def test_ranking_is_stable_across_seeds() -> None:
    """TraDy: layer ranking is architecture-driven (Spearman >= 0.8 across runs)."""
    docs = [rank_model(MBV2, "animal-mnist", batches=4, batch_size=16, seed=seed) for seed in (0, 1)]
    scores = [{e["weight"]: e["rgn"] for e in doc["layers"]} for doc in docs]
    assert len(scores[0]) == 17
    assert spearman(scores[0], scores[1]) >= 0.8


def test_rank_cli_writes_json_and_plot(tmp_path: Path) -> None:
    data = synthetic_npz(tmp_path)
    out = tmp_path / "ranking.json"
    result = CliRunner().invoke(main, ["rank", str(CNN4), "--data", str(data), "-o", str(out),
                                       "--batches", "2", "--batch-size", "4", "--target", "reference",
                                       "--budget", "8KiB"])
    assert result.exit_code == 0, result.output
    for method in ("rgn", "lara", "gain", "gain-depth"):   # every --method's layer choice
        assert f"{method} @ 8KiB: " in result.output
    doc = json.loads(out.read_text())
    assert doc["format"] == "medyate-ranking/1" and len(doc["batch_stats"]) == 2
    assert set(doc["stats"]) == {"conv1.weight", "conv2.weight", "fc1.weight", "fc2.weight"}
    assert out.with_suffix(".png").stat().st_size > 1000
    bad = CliRunner().invoke(main, ["rank", str(CNN4), "--data", "no-such-set", "-o", str(out)])
    assert bad.exit_code == 2 and "unknown dataset" in bad.output
