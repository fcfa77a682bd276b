"""`medyate rank MODEL.onnx --data D -o ranking.json`."""
from __future__ import annotations

import json
from pathlib import Path

from medyate.codegen.errors import MedyateError
from medyate.host_tools.selection.budget import parse_budget
from medyate.host_tools.selection.ranking import plot_ranking, rank_model


def run_rank(model: Path, data: str, output: Path, *, batches: int, batch_size: int, seed: int,
             target: str, lr: float, lara_budget: str, png: bool, budget: str | None = None) -> None:
    if not model.exists():
        raise MedyateError(f"model file not found: {model}")
    if budget is not None:
        parse_budget(budget)       # a bad budget fails before the ranking pass
    document = rank_model(model, data, batches=batches, batch_size=batch_size, seed=seed,
                          target=target, lr=lr, lara_budget=lara_budget)
    try:
        output.write_text(json.dumps(document, indent=1))
    except OSError as exc:
        raise MedyateError(f"cannot write {output}: {exc}") from None
    for entry in sorted(document["layers"], key=lambda e: e["rgn_rank"]):
        print(f"{entry['rgn_rank']:3d}  {entry['weight']:<32} RGN {entry['rgn']:.3e}  "
              f"LaRa rank {entry['lara_rank']:3d}  channel {entry['channel_cost_bytes']} B")
    print(f"Spearman(RGN, LaRa) = {document['spearman_rgn_lara']:.3f}; wrote {output}")
    if png:
        print(f"plot: {plot_ranking(document, output.with_suffix('.png'))}")
    if budget is not None:
        print_method_choices(model, output, budget, seed)


def print_method_choices(model: Path, ranking: Path, budget: str, seed: int) -> None:
    """One line per layer method: the layers it gives the medyate policy under BUDGET."""
    from medyate.host_tools.commands.plan import plan_document
    from medyate.host_tools.selection.layer_selection import LAYER_METHODS
    for method in LAYER_METHODS:
        document = plan_document(model, budget, ranking=ranking, policy="medyate",
                                 method=method, seed=seed)
        layers = ", ".join(entry["weight"] for entry in document["layers"])
        print(f"{method:>10} @ {budget}: {layers}")
