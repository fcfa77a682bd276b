"""`medyate rank`: per-channel gradient norms from a short pass of ordinary fine-tuning
(every Conv/Gemm layer, every input channel), TraDy RGN and our LaRa reading, and the
ranking.json document (format in docs/ranking.md).

The norms are the ones the device itself reports (``model_get_channel_norms``): after
each SGD update, the L2 norm of every scheduled channel's weight-derivative slice of the
batch-mean gradient. One ranking pass = ``batches`` updates; the per-batch norms are the
differences of the running sums.
"""
from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

import numpy as np

from medyate.codegen.errors import DataError, MedyateError
from medyate.codegen.frontend import load_graph
from medyate.codegen.ir import Graph
from medyate.codegen.formats.ranking_doc import read_ranking
from medyate.codegen.plan import Plan, Schedule, TrainLayer, resolve_layers
from medyate.host_tools.selection.budget import parse_budget
from medyate.host_tools.data.datasets import Dataset
from medyate.host_tools.data.model_data import check_labels_for_model, prepare_data
from medyate.host_tools.selection.layer_selection import (
    channel_rgn,
    lara_ranking,
    layer_rgn_scores,
    mean_stats,
    spearman,
)
from medyate.host_tools.selection.policies.base import LayerSpec

RANKING_FORMAT = "medyate-ranking/1"
DEFAULT_LR = 0.01
DEFAULT_LARA_BUDGET = "64KiB"


# ----------------------------------------------------------------------- layer specs
def layer_specs(graph: Graph, layers: list[TrainLayer]) -> list[LayerSpec]:
    """The policies' view of resolved plan layers (depth = forward order among every
    trainable-capable Conv/Gemm of the graph, so it does not depend on the plan)."""
    depth_of = {id(node): depth for depth, node in enumerate(graph.trainable_layers())}
    specs = []
    for layer in layers:
        bias_elems = 0       # a bias the plan trains (all_layers trains every bias)
        if layer.train_bias and layer.bias is not None and graph.tensors[layer.bias].binding:
            bias_elems = layer.out_channels
        specs.append(LayerSpec(
            weight=layer.onnx_weight, depth=depth_of[id(layer.node)],
            in_channels=layer.in_channels, out_channels=layer.out_channels,
            slice_elems=layer.slice_elems, plane_elems=layer.plane_elems,
            weight_elems=int(graph.tensors[layer.weight].size), bias_elems=bias_elems,
            input_elems=layer.input_elems))
    return specs


def all_layers(graph: Graph) -> list[TrainLayer]:
    return resolve_layers(graph, Plan.all_layers(graph))


# --------------------------------------------------------------------- runners
class GradientRunner(Protocol):
    def train_sample(self, x: np.ndarray, label: int) -> float: ...
    def apply_update(self, lr: float, batch: int) -> None: ...
    def norm_sums(self, index: int) -> np.ndarray: ...


@dataclass
class HostRunner:
    """The generated C, compiled natively, training every channel of every layer."""

    model: Any  # HostModel
    layers: list[TrainLayer]
    classes: int

    def train_sample(self, x: np.ndarray, label: int) -> float:
        return self.model.train_sample(x, label, self.classes)[0]

    def apply_update(self, lr: float, batch: int) -> None:
        self.model.apply_update(lr, batch)

    def norm_sums(self, index: int) -> np.ndarray:
        return self.model.channel_norms(index, self.layers[index].in_channels).astype(np.float64)


@dataclass
class ReferenceRunner:
    executor: Any  # ReferenceExecutor

    def train_sample(self, x: np.ndarray, label: int) -> float:
        return self.executor.train_sample(x, label)[0]

    def apply_update(self, lr: float, batch: int) -> None:
        self.executor.apply_update(lr, batch)

    def norm_sums(self, index: int) -> np.ndarray:
        return np.asarray(self.executor.state[index].norm_sum, dtype=np.float64).copy()


def _host_runner(model: Path, graph: Graph, layers: list[TrainLayer]) -> GradientRunner:
    from medyate.host_tools.device.host_model import build_host_library, load_private
    full = Schedule.full(layers)
    with tempfile.TemporaryDirectory(prefix="medyate-rank-") as tmp:
        from medyate.codegen.compiler import compile_model
        compile_model(model, Plan.all_layers(graph), Path(tmp), graph=graph,
                      pool_bytes=full.cost_bytes(layers))
        lib = build_host_library(Path(tmp))
    host = load_private(lib, "rank")
    host.reset_weights()
    host.set_schedule(full.for_layers(layers))
    return HostRunner(host, layers, int(graph.tensors[graph.output].size))


def _reference_runner(model: Path, graph: Graph, layers: list[TrainLayer]) -> GradientRunner:
    from medyate.codegen.reference import ReferenceExecutor
    executor = ReferenceExecutor(graph, layers)
    executor.set_schedule(Schedule.full(layers))
    return ReferenceRunner(executor)


RANK_TARGETS: dict[str, Callable[[Path, Graph, list[TrainLayer]], GradientRunner]] = {
    "host": _host_runner,
    "reference": _reference_runner,
}


# ------------------------------------------------------------------ the pass itself
def gradient_pass(runner: GradientRunner, layers: list[TrainLayer], x: np.ndarray, y: np.ndarray,
                  *, batches: int, batch_size: int, lr: float, seed: int) -> list[dict[str, np.ndarray]]:
    """``batches`` SGD updates of ordinary fine-tuning on random batches; per batch, each
    layer's per-input-channel norm of the batch-mean weight gradient."""
    rng = np.random.default_rng(seed)
    previous = [np.zeros(layer.in_channels) for layer in layers]
    per_batch: list[dict[str, np.ndarray]] = []
    for _ in range(batches):
        picks = rng.choice(len(x), size=min(batch_size, len(x)), replace=False)
        for i in picks:
            runner.train_sample(x[i], int(y[i]))
        runner.apply_update(lr, len(picks))
        sums = [runner.norm_sums(layer.index) for layer in layers]
        per_batch.append({layer.onnx_weight: s - p for layer, s, p in zip(layers, sums, previous)})
        previous = sums
    return per_batch


def build_ranking(specs: list[LayerSpec], layers: list[TrainLayer], batch_stats: list[dict[str, np.ndarray]],
                  *, lara_budget_bytes: int, lara_aggregation: str = "mean-rank",
                  lara_density: str = "budget") -> dict[str, Any]:
    """RGN / LaRa scores and ranks per layer from per-batch channel norms."""
    stats = mean_stats(batch_stats, specs)
    rgn_c = channel_rgn(specs, stats)
    rgn = layer_rgn_scores(specs, stats)
    lara = lara_ranking(specs, batch_stats, lara_budget_bytes, lara_aggregation, lara_density)
    rgn_order = sorted(rgn, key=lambda w: -rgn[w])
    lara_order = list(lara)
    kinds = {layer.onnx_weight: layer.kind for layer in layers}
    entries = []
    for spec in specs:
        entries.append({
            "weight": spec.weight, "depth": spec.depth, "kind": kinds[spec.weight],
            "in_channels": spec.in_channels, "out_channels": spec.out_channels,
            "channel_cost_elems": spec.channel_cost_elems,
            "channel_cost_bytes": spec.channel_cost_bytes,
            "channel_norms": [float(v) for v in stats[spec.weight]],
            "channel_rgn": [float(v) for v in rgn_c[spec.weight]],
            "rgn": rgn[spec.weight], "rgn_rank": rgn_order.index(spec.weight) + 1,
            "lara_score": lara[spec.weight], "lara_rank": lara_order.index(spec.weight) + 1,
        })
    return {
        "layers": entries,
        "stats": {w: [float(v) for v in values] for w, values in stats.items()},
        "batch_stats": [{w: [float(v) for v in values] for w, values in b.items()} for b in batch_stats],
        "spearman_rgn_lara": spearman({e["weight"]: -e["rgn_rank"] for e in entries},
                                      {e["weight"]: -e["lara_rank"] for e in entries}),
        "lara": {"reading": "ours (see docs/policies.md)", "budget_bytes": lara_budget_bytes,
                 "aggregation": lara_aggregation, "density": lara_density},
    }


def rank_model(model: Path, data: str | Path, *, batches: int = 8, batch_size: int = 16,
               seed: int = 0, target: str = "host", lr: float = DEFAULT_LR,
               lara_budget: str | int = DEFAULT_LARA_BUDGET, lara_aggregation: str = "mean-rank",
               lara_density: str = "budget", dataset: Dataset | None = None) -> dict[str, Any]:
    """The whole ranking.json document for MODEL on DATA."""
    make_runner = RANK_TARGETS.get(target)
    if make_runner is None:
        raise MedyateError(f"unknown rank target '{target}' (known: {', '.join(sorted(RANK_TARGETS))})")
    if batches < 1 or batch_size < 1:
        raise MedyateError("--batches and --batch-size must be positive")
    lara_budget_bytes = parse_budget(lara_budget)
    graph = load_graph(model)
    layers = all_layers(graph)
    specs = layer_specs(graph, layers)
    if dataset is None:
        dataset = prepare_data(model, data, seed=seed)
    shape = tuple(graph.tensors[graph.input].shape)
    if tuple(dataset.x_train.shape[1:]) != shape:
        raise DataError(f"data samples have shape {dataset.x_train.shape[1:]}, the model expects {shape}")
    check_labels_for_model(dataset, graph.tensors[graph.output].size, data)
    runner = make_runner(model, graph, layers)
    per_batch = gradient_pass(runner, layers, dataset.x_train, dataset.y_train,
                              batches=batches, batch_size=batch_size, lr=lr, seed=seed)
    document = {"format": RANKING_FORMAT, "model": model.name,
                "model_sha256": hashlib.sha256(model.read_bytes()).hexdigest(),
                "data": dataset.name, "target": target, "batches": batches,
                "batch_size": batch_size, "seed": seed, "lr": lr}
    document.update(build_ranking(specs, layers, per_batch, lara_budget_bytes=lara_budget_bytes,
                                  lara_aggregation=lara_aggregation, lara_density=lara_density))
    return document


def load_ranking(path: Path) -> dict[str, Any]:
    """ranking.json, checked (codegen/formats/ranking_doc.py)."""
    return read_ranking(path)


def plot_ranking(document: dict[str, Any], path: Path) -> Path:
    """Per layer (depth order): RGN score and LaRa rank side by side."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    entries = sorted(document["layers"], key=lambda e: e["depth"])
    depth = np.arange(len(entries))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(max(6, 0.35 * len(entries) + 2), 6), sharex=True)
    top.bar(depth, [e["rgn"] for e in entries], color="tab:blue")
    top.set_yscale("log")
    top.set_ylabel("RGN (sum g_c / cost_c)")
    bottom.plot(depth, [e["rgn_rank"] for e in entries], "o-", label="RGN rank")
    bottom.plot(depth, [e["lara_rank"] for e in entries], "s--", label="LaRa rank (our reading)")
    bottom.invert_yaxis()
    bottom.set_ylabel("rank (1 = best)")
    bottom.set_xlabel("layer (depth order)")
    bottom.legend()
    top.set_title(f"{document['model']} on {document['data']}: "
                  f"Spearman(RGN, LaRa) = {document['spearman_rgn_lara']:.2f}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
