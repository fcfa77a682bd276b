"""`medyate plan MODEL.onnx --budget 96KiB [--ranking R] [--policy P] [--method M] -o plan.json`."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from medyate.codegen.errors import MedyateError
from medyate.codegen.frontend import load_graph
from medyate.codegen.compression import CompressionConfig
from medyate.host_tools.budget import InfeasibleBudget, format_bytes, parse_budget
from medyate.host_tools.compression_budget import (PLANNABLE_METHODS, compressed_specs,
                                                   plan_compression_entry)
from medyate.host_tools.layer_selection import make_plan
from medyate.host_tools.ranking import all_layers, layer_specs, load_ranking


class BudgetTooSmall(MedyateError):
    """The budget cannot hold the smallest thing the policy must train."""


def plan_document(model: Path, budget: str | int, *, ranking: Path | None = None,
                  policy: str = "medyate", method: str = "rgn", seed: int = 0,
                  compress: CompressionConfig | None = None, **options: Any) -> dict[str, Any]:
    """make_plan over every Conv/Gemm of MODEL, driven by a ranking.json if given.
    compress (asi): the budget charges the compressed saved activations
    (compression_budget.py) and the plan records them as its "compression" entry."""
    if compress is not None and compress.method not in PLANNABLE_METHODS:
        raise MedyateError(f"a plan can charge fixed-rank compression only ({', '.join(PLANNABLE_METHODS)}); "
                           f"{compress.method} picks its ranks from the data at run time")
    budget_bytes = parse_budget(budget)
    graph = load_graph(model)
    layers = all_layers(graph)
    specs = compressed_specs(graph, layers, layer_specs(graph, layers), compress)
    stats = batch_stats = None
    if ranking is not None:
        document = load_ranking(ranking)
        known = {spec.weight for spec in specs}
        unknown = sorted(set(document["stats"]) - known)
        if unknown or set(document["stats"]) != known:
            raise MedyateError(f"ranking {ranking} does not match {model.name}: it names "
                               f"{unknown[:3] or 'fewer layers'}; rerun medyate rank on this model")
        stats = document["stats"]
        batch_stats = document.get("batch_stats") or None
    try:
        document = make_plan(specs, budget_bytes, policy=policy, stats=stats,
                             batch_stats=batch_stats, method=method, seed=seed, **options)
        if compress is not None:
            document["compression"] = plan_compression_entry(compress)
        return document
    except InfeasibleBudget as exc:
        raise BudgetTooSmall(
            f"budget {format_bytes(exc.budget_bytes)} is too small for policy '{policy}' "
            f"({exc.what}): the smallest workable budget is {format_bytes(exc.required_bytes)}, "
            f"{exc.shortfall_bytes} B short") from None
    except ValueError as exc:  # unknown policy/method/option: a user error
        raise MedyateError(str(exc)) from None


def run_plan(model: Path, budget: str, output: Path, *, ranking: Path | None, policy: str,
             method: str, seed: int, compress: str | None = None, rank: int | None = None,
             frozen: str | None = None) -> None:
    if not model.exists():
        raise MedyateError(f"model file not found: {model}")
    if rank is not None and compress is None:
        raise MedyateError("--rank needs --compress asi")
    config = CompressionConfig(compress, rank=rank) if compress else None
    document = plan_document(model, budget, ranking=ranking, policy=policy, method=method,
                             seed=seed, compress=config)
    if frozen is not None:            # compile/train/grad default to it
        document["frozen"] = frozen
    try:
        output.write_text(json.dumps(document, indent=1))
    except OSError as exc:
        raise MedyateError(f"cannot write {output}: {exc}") from None
    acc = document["accounting"]
    print(f"policy {policy}, {len(document['layers'])} layers "
          f"(selection: {document['selection']['method']}), budget {format_bytes(document['budget_bytes'])}, "
          f"channel pool {format_bytes(acc['channel_pool_bytes'])}, epoch 0 uses "
          f"{format_bytes(acc['epoch0_schedule_cost_bytes'])} for {acc['epoch0_channels']} channels"
          f"{' (' + compress + ' rank ' + str(rank) + ' activations)' if compress else ''}; wrote {output}")
