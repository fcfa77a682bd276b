"""`plan --board`: choose the layers and the channel budget so that the whole device fits.

Candidate layers, best first: by TraDy RGN when channel statistics exist (a ranking.json,
or a ranking pass run here on --data), else deepest first. The policy's own layer rule
(make_plan) starts from the first K of them, K = the policy's preselection on every layer
(with statistics) or the deepest third of the layers (without): never every layer.
K shrinks until the device fits; for that K the channel pool is the largest the board's
SRAM leaves (the arena is the pool plus a part that does not depend on it, so the
largest pool is `SRAM limit - predicted SRAM at pool 0`), capped at every channel of the
layers, or exactly --budget when given. Nothing fits: BoardDoesNotFit names each
region's shortfall for the smallest plan (one layer, one channel).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

from medyate.codegen.errors import MedyateError
from medyate.codegen.ir import Graph
from medyate.codegen.plan import Plan, resolve_layers
from medyate.host_tools.device.boards import Board
from medyate.host_tools.selection.budget import InfeasibleBudget, format_bytes
from medyate.host_tools.selection.device_memory import (FLASH_REGIONS, SRAM_REGIONS, Breakdown,
                                              frozen_weight_bytes, model_facts, predict)
from medyate.host_tools.selection.layer_selection import layer_rgn_scores, make_plan, mean_stats
from medyate.host_tools.selection.policies.base import LayerSpec

#: Whether `compile` builds an int8 frozen backbone. The int8 helper's compiler support
#: sets this when it lands; until then a plan may account int8 but the firmware is fp32.
POOL_ALIGN = 8
#: A plan's channel budget should cover at least this share of its layers' channels
#: (TraDy trains a few % of the channels per epoch); K shrinks until it does.
MIN_COVERAGE = 0.05
#: SRAM left free when the pool is sized to fill the board: the calibration was linked for
#: qemu-mps2-an386; a board's own firmware (startup, UART driver) may add a few statics.
SRAM_HEADROOM_BYTES = 1024


class BoardDoesNotFit(MedyateError):
    """Not even the smallest plan fits the board: the message names each shortfall."""


@dataclass
class BoardPlan:
    document: dict[str, Any]
    breakdown: Breakdown
    notes: list[str]


def candidate_order(specs: Sequence[LayerSpec], stats: dict | None,
                    batch_stats: list | None) -> tuple[list[LayerSpec], str]:
    """Every layer, best first: by RGN with statistics, else deepest first."""
    batches = batch_stats or ([stats] if stats is not None else [])
    if batches:
        scores = layer_rgn_scores(list(specs), mean_stats(batches, list(specs)))
        return sorted(specs, key=lambda s: -scores[s.weight]), "rgn"
    return sorted(specs, key=lambda s: -s.depth), "deepest"


def _breakdown(graph: Graph, document: dict[str, Any], pool: int, frozen: str) -> Breakdown:
    plan = Plan(document["budget_bytes"], document["layers"])
    return predict(model_facts(graph, resolve_layers(graph, plan), pool, frozen), frozen=frozen)


def _fits(b: Breakdown, board: Board) -> bool:
    return b.sram_bytes <= board.sram_bytes and b.flash_bytes <= board.flash_bytes


def _try(graph: Graph, specs: list[LayerSpec], board: Board, budget: int | None, frozen: str,
         make: dict[str, Any]) -> tuple[dict[str, Any] | None, Breakdown]:
    """The plan of `specs` with the largest pool that fits (or `budget`), and its
    breakdown; None when it does not fit."""
    from medyate.codegen.emit_c import pool_bytes_for

    full = sum(s.pool_bytes + s.bias_bytes for s in specs)       # every channel and bias
    # the policy picks its layers among specs; its document fixes the bias flags
    try:
        probe = make_plan(specs, budget or full, **make)
    except InfeasibleBudget:
        probe = None
    if probe is None:
        return None, _breakdown(graph, _single(specs), 0, frozen)
    at_zero = _breakdown(graph, probe, 0, frozen)
    layers = resolve_layers(graph, Plan(0, probe["layers"]))
    full = pool_bytes_for(layers, 1 << 40)
    room = (board.sram_bytes - SRAM_HEADROOM_BYTES - at_zero.sram_bytes) // POOL_ALIGN * POOL_ALIGN
    # the budget also pays for trained biases (budget.py); the pool holds channels only
    trains_bias = {entry["weight"] for entry in probe["layers"] if entry.get("bias")}
    cap = full + sum(spec.bias_bytes for spec in specs if spec.weight in trains_bias)
    chosen = budget if budget is not None else (cap if room >= full else room)
    if chosen <= 0:
        return None, _breakdown(graph, probe, min(s.first_channel_bytes for s in specs), frozen)
    try:
        document = make_plan(specs, chosen, **make)
    except InfeasibleBudget:
        return None, _breakdown(graph, probe, min(s.first_channel_bytes for s in specs), frozen)
    pool = pool_bytes_for(resolve_layers(graph, Plan(0, document["layers"])), chosen)
    breakdown = _breakdown(graph, document, pool, frozen)
    return (document if _fits(breakdown, board) else None), breakdown


def _single(specs: Sequence[LayerSpec]) -> dict[str, Any]:
    return {"budget_bytes": 0, "layers": [{"weight": specs[0].weight, "bias": False}]}


def plan_for_board(graph: Graph, specs: list[LayerSpec], board: Board, *, budget: int | None,
                   frozen: str, stats: dict | None, batch_stats: list | None, policy: str,
                   method: str, seed: int) -> BoardPlan:
    order, how = candidate_order(specs, stats, batch_stats)
    make = {"policy": policy, "stats": stats, "batch_stats": batch_stats, "method": method,
            "seed": seed}
    if how == "rgn":
        preselected = make_plan(specs, sum(s.pool_bytes for s in specs), **make)
        k0 = len(preselected["layers"])
    else:
        k0 = max(1, math.ceil(len(specs) / 3))
    start = min(k0, len(order))
    fitting: list[tuple[int, dict[str, Any], Breakdown]] = []
    for k in range(start, 0, -1):
        document, breakdown = _try(graph, order[:k], board, budget, frozen, make)
        if document is None:
            continue
        fitting.append((k, document, breakdown))
        pool = document["accounting"]["channel_pool_bytes"]
        if budget is not None or document["budget_bytes"] >= MIN_COVERAGE * pool:
            break
    if fitting:
        # the most layers whose channel budget still covers MIN_COVERAGE of their pool,
        # else the one with the best coverage (fewest layers that fit)
        k, document, breakdown = fitting[-1]
        notes = [f"layers: the {k} best by {'RGN' if how == 'rgn' else 'depth (no ranking)'} "
                 f"of {len(specs)}, {len(document['layers'])} kept by policy {policy}"]
        if k < start:
            notes.append(f"{start - k} fewer layers than the first choice ({start}): more did "
                         f"not fit the board with a channel budget of at least "
                         f"{MIN_COVERAGE:.0%} of their channels")
        return BoardPlan(document, breakdown, notes)
    for spec in order[1:]:        # no prefix fits: the best single layer that does
        document, breakdown = _try(graph, [spec], board, budget, frozen, make)
        if document is not None:
            return BoardPlan(document, breakdown, [
                f"layers: only '{spec.weight}' fits {board.name} (better-ranked layers do not)"])
    raise BoardDoesNotFit(_shortfall_message(graph, order, board, budget, frozen))


def _shortfall_message(graph: Graph, order: Sequence[LayerSpec], board: Board,
                       budget: int | None, frozen: str) -> str:
    """Each region's shortfall for the smallest plan: the single layer that needs least."""
    best: tuple[int, Breakdown, LayerSpec] | None = None
    for spec in order:
        pool = budget if budget is not None else spec.first_channel_bytes
        b = _breakdown(graph, {"budget_bytes": pool, "layers": [{"weight": spec.weight, "bias": False}]},
                       pool, frozen)
        over = max(b.sram_bytes - board.sram_bytes, 0) + max(b.flash_bytes - board.flash_bytes, 0)
        if best is None or over < best[0]:
            best = (over, b, spec)
    assert best is not None
    _, b, spec = best
    parts = []
    for memory, limit, regions in (("SRAM", board.sram_bytes, SRAM_REGIONS),
                                   ("flash", board.flash_bytes, FLASH_REGIONS)):
        total = b.total(memory.lower())
        biggest = sorted(regions, key=lambda r: -b.regions[r])[:3]
        state = (f"short by {total - limit} B" if total > limit else "fits on its own")
        parts.append(f"{memory} needs {total} B of {limit} B, {state} ("
                     + ", ".join(f"{r} {b.regions[r]} B" for r in biggest) + ")")
    hint = ""
    if frozen == "fp32" and b.flash_bytes > board.flash_bytes:
        int8 = b.flash_bytes - b.regions["frozen_weights"] + _int8_frozen(graph, spec)
        hint = (f"; frozen weights are fp32 ({b.regions['frozen_weights']} B): an int8 backbone "
                f"(--frozen int8) would need {int8} B of flash")
    return (f"nothing fits {board.name}: even the smallest plan (layer '{spec.weight}', channel "
            f"pool {format_bytes(budget or spec.first_channel_bytes)}) "
            f"does not fit: " + "; ".join(parts) + hint)


def _int8_frozen(graph: Graph, spec: LayerSpec) -> int:
    layers = resolve_layers(graph, Plan(0, [{"weight": spec.weight, "bias": False}]))
    return predict(model_facts(graph, layers, 0, "int8"), frozen="int8").regions["frozen_weights"]


__all__ = ["BoardDoesNotFit", "BoardPlan", "frozen_weight_bytes", "plan_for_board"]
