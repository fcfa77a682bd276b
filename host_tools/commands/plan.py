"""`medyate plan MODEL.onnx --budget 96KiB [--ranking R] [--policy P] [--method M] -o plan.json`
and `medyate plan MODEL.onnx --board B [--data D | --ranking R] [--budget B] [--frozen int8|fp32]`
(the whole device must fit: host_tools/selection/board_plan.py; the breakdown goes to plan.json's
"board" and "memory" entries)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from medyate.codegen.errors import MedyateError
from medyate.codegen.frontend import load_graph
from medyate.codegen.compression import CompressionConfig
from medyate.host_tools.selection.budget import InfeasibleBudget, format_bytes, parse_budget
from medyate.host_tools.selection.compression_budget import (PLANNABLE_METHODS, compressed_specs,
                                                   plan_compression_entry)
from medyate.host_tools.selection.default_method import DEFAULT_LAYER_METHOD
from medyate.host_tools.selection.layer_selection import LAYER_METHODS, make_plan
from medyate.host_tools.selection.ranking import all_layers, layer_specs, load_ranking


class BudgetTooSmall(MedyateError):
    """The budget cannot hold the smallest thing the policy must train."""


def plan_document(model: Path, budget: str | int, *, ranking: Path | None = None,
                  policy: str = "medyate", method: str = DEFAULT_LAYER_METHOD, seed: int = 0,
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
    stats, batch_stats = _load_stats(ranking, specs, model)
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


def _load_stats(ranking: Path | None, specs: list, model: Path) -> tuple[Any, Any]:
    if ranking is None:
        return None, None
    document = load_ranking(ranking)
    known = {spec.weight for spec in specs}
    unknown = sorted(set(document["stats"]) - known)
    if unknown or set(document["stats"]) != known:
        raise MedyateError(f"ranking {ranking} does not match {model.name}: it names "
                           f"{unknown[:3] or 'fewer layers'}; rerun medyate rank on this model")
    return document["stats"], document.get("batch_stats") or None


def board_plan_document(model: Path, board_name: str, *, budget: str | None = None,
                        ranking: Path | None = None, data: str | None = None,
                        frozen: str | None = None, policy: str = "medyate", method: str = DEFAULT_LAYER_METHOD,
                        seed: int = 0, ranking_output: Path | None = None
                        ) -> tuple[dict[str, Any], list[str]]:
    """plan --board: the plan document (with "board" and "memory") and notes to print."""
    from medyate.host_tools.selection.board_plan import BoardDoesNotFit, plan_for_board
    from medyate.host_tools.device.boards import get_board
    from medyate.host_tools.selection.memory_report import memory_record

    board = get_board(board_name)
    if ranking is not None and data is not None:
        raise MedyateError("give --data (rank here) or --ranking (ranked already), not both")
    graph = load_graph(model)
    specs = layer_specs(graph, all_layers(graph))
    notes: list[str] = []
    if data is not None:
        from medyate.host_tools.selection.ranking import rank_model
        ranked = rank_model(model, data, seed=seed)
        stats, batch_stats = ranked["stats"], ranked.get("batch_stats") or None
        if ranking_output is not None:
            ranking_output.write_text(json.dumps(ranked, indent=1))
            notes.append(f"ranked on {data}: {ranking_output}")
    else:
        stats, batch_stats = _load_stats(ranking, specs, model)
    def plan_with(dtype: str) -> Any:
        try:
            return plan_for_board(graph, specs, board,
                                  budget=parse_budget(budget) if budget else None, frozen=dtype,
                                  stats=stats, batch_stats=batch_stats, policy=policy,
                                  method=method, seed=seed)
        except ValueError as exc:
            raise MedyateError(str(exc)) from None

    dtype = frozen or "fp32"
    try:
        result = plan_with(dtype)
    except BoardDoesNotFit as fp32_error:
        if frozen is not None:
            raise
        dtype = "int8"          # the default: int8 when fp32 would not fit
        result = plan_with(dtype)
        notes.append(f"frozen weights: int8 chosen because fp32 does not fit ({fp32_error})")
    document = result.document
    document["board"] = board.name
    document["frozen"] = dtype
    document["memory"] = memory_record(result.breakdown, None, board)
    notes += result.notes
    if frozen is None and dtype == "fp32":
        notes.append("frozen weights: fp32 (fits; --frozen int8 would shrink flash and SRAM)")
    return document, notes


def run_plan(model: Path, budget: str | None, output: Path, *, ranking: Path | None, policy: str,
             method: str, seed: int, compress: str | None = None, rank: int | None = None,
             board: str | None = None, data: str | None = None, frozen: str | None = None) -> None:
    if not model.exists():
        raise MedyateError(f"model file not found: {model}")
    if method not in LAYER_METHODS:
        raise MedyateError(f"unknown --method {method!r}; known: {', '.join(LAYER_METHODS)}")
    if board is not None:
        if compress is not None:
            raise MedyateError("--board plans raw saved activations; drop --compress")
        _run_board_plan(model, board, output, budget=budget, ranking=ranking, data=data,
                        frozen=frozen, policy=policy, method=method, seed=seed)
        return
    if budget is None:
        raise MedyateError("give --budget (channel pool) or --board (the whole device must fit)")
    if data is not None:
        raise MedyateError("--data needs --board (it ranks the layers for a whole-device plan)")
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
          f"{_outputs(acc.get('epoch0_output_channels', 0))}"
          f"{' (' + compress + ' rank ' + str(rank) + ' activations)' if compress else ''}; wrote {output}")


def _run_board_plan(model: Path, board: str, output: Path, **options: Any) -> None:
    from rich.console import Console

    from medyate.host_tools.selection.memory_report import print_breakdown

    document, notes = board_plan_document(
        model, board, ranking_output=output.with_name(output.stem + ".ranking.json"), **options)
    try:
        output.write_text(json.dumps(document, indent=1))
    except OSError as exc:
        raise MedyateError(f"cannot write {output}: {exc}") from None
    console = Console(width=120)
    print_breakdown(console, document["memory"], f"{model.name} on {board}: predicted memory")
    for note in notes:
        console.print(note)
    acc = document["accounting"]
    console.print(f"policy {document['policy']}, {len(document['layers'])} layers, channel budget "
                  f"{format_bytes(document['budget_bytes'])} (pool {format_bytes(acc['channel_pool_bytes'])} "
                  f"at every channel); wrote {output}")


def _outputs(count: int) -> str:
    """ + N output channels, for policies that schedule NEq neurons."""
    return f" + {count} output channels" if count else ""
