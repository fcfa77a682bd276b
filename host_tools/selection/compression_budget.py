"""Compressed saved activations on the command line, in the plan and in a run's memory.json.

    config = compression_config(method, eps, rank, plan)     # --compress/--eps/--rank or plan.json
    specs = compressed_specs(graph, layers, layer_specs(...), config)   # what the policies charge
    plan_compression_entry(config)                            # plan.json "compression"
    run_compression_record(...)                               # RUNDIR/memory.json entry

Budget accounting of a compressed layer (asi, fixed ranks R1, R2, R3; the generated C
caps them at the block: K1 = min(R1, C_in), k2 = min(R2, H), k3 = min(R3, W)). A schedule
of n >= 1 channels of the layer costs, in floats,

    n * (slice + K1)  +  (K1*k2*k3 + H*k2 + W*k3)

i.e. per channel its dW slice and its row of the channel factor U1, and once per used
layer the core and the spatial factors U2, U3. The C lays out
min(K1, n)*k2*k3 + n*min(K1, n) + H*k2 + W*k3 floats (+ the slices), which is never more
(equal with every channel, or n >= K1), so a schedule the policies accept always passes
the pool check of `model_set_schedule`, which stays the authority. svd/hosvd choose their
ranks per sample from the data (eps), so no plan can charge them in advance: they are run
on the reference target under the raw accounting and their bytes are measured per sample.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping, Sequence

import numpy as np

from medyate.codegen.compression import CompressionConfig
from medyate.codegen.compression_c import (EPS_METHODS, block_ranks,
                                           compressed_layers,
                                           device_compression_stats)
from medyate.codegen.errors import MedyateError
from medyate.codegen.ir import Graph
from medyate.codegen.plan import Plan, Schedule, TrainLayer
from medyate.host_tools.selection.policies.base import LayerSpec

#: methods whose bytes are fixed offline, so a plan's budget can charge them
PLANNABLE_METHODS = ("asi",)


def compression_config(method: str | None, eps: float = 0.9, rank: int | None = None,
                       plan: Plan | None = None) -> CompressionConfig | None:
    """The run's compression: the command-line options, else the plan's "compression"
    entry, else None. Options that disagree with the plan's entry are refused (the plan's
    budget was charged for its own compression)."""
    entry = (plan.extra.get("compression") if plan is not None else None) or None
    from_plan = None
    if entry is not None:
        try:
            from_plan = CompressionConfig(str(entry["method"]), float(entry.get("eps", 0.9)),
                                          entry.get("rank"), iterations=int(entry.get("iterations", 2)))
        except (KeyError, TypeError, ValueError) as exc:
            raise MedyateError(f"plan.json 'compression' entry {entry!r} is malformed: {exc}") from None
    if method is None:
        return from_plan
    config = CompressionConfig(method, eps, rank)
    if from_plan is not None and plan_compression_entry(config) != plan_compression_entry(from_plan):
        raise MedyateError(f"the plan was made for compression {plan_compression_entry(from_plan)} "
                           f"but the options ask for {plan_compression_entry(config)}; re-plan "
                           f"with `medyate plan --compress ...` or drop the options")
    return config


def plan_compression_entry(config: CompressionConfig) -> dict[str, Any]:
    """The plan.json "compression" entry (the keys compression_config reads back)."""
    if config.method == "asi":
        return {"method": "asi", "rank": config.rank, "iterations": config.iterations}
    return {"method": config.method, "eps": config.eps}


def compressed_specs(graph: Graph, layers: list[TrainLayer], specs: Sequence[LayerSpec],
                     config: CompressionConfig | None, target: str = "reference") -> list[LayerSpec]:
    """``specs`` with the compressed layers charged as the module docstring says; raw
    layers (gemm inputs stay raw in the C) keep the raw accounting. svd/hosvd: raw
    accounting on the reference target; on a compiled target the pool reserves their
    full-rank worst case, charged as n*(slice + C_in + H*W) + H*H + W*W floats (an upper
    bound of the C's n*n + n*H*W + H*H + W*W, as n <= C_in)."""
    if config is not None and config.method in EPS_METHODS and target != "reference":
        return _worst_case_specs(graph, layers, specs, config)
    if config is None or config.method not in PLANNABLE_METHODS:
        return list(specs)
    blocks = {block.layer.onnx_weight: block
              for block in compressed_layers(graph, layers, config).values()}
    out = []
    for spec in specs:
        block = blocks.get(spec.weight)
        if block is None:
            out.append(spec)
            continue
        k1, k2, k3 = block_ranks(block.ranks, spec.in_channels, block.h, block.w)
        out.append(replace(spec, compressed_plane_elems=k1,
                           compressed_fixed_elems=k1 * k2 * k3 + block.h * k2 + block.w * k3))
    return out


def _worst_case_specs(graph: Graph, layers: list[TrainLayer], specs: Sequence[LayerSpec],
                      config: CompressionConfig) -> list[LayerSpec]:
    blocks = {block.layer.onnx_weight: block
              for block in compressed_layers(graph, layers, config).values()}
    out = []
    for spec in specs:
        block = blocks.get(spec.weight)
        out.append(spec if block is None else replace(
            spec, compressed_plane_elems=spec.in_channels + block.h * block.w,
            compressed_fixed_elems=block.h * block.h + block.w * block.w))
    return out


def _summed(per_layer: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    rows = list(per_layer.values())
    return {"raw_bytes": int(sum(int(r["raw_bytes"]) for r in rows)),
            "peak_bytes": int(sum(int(r["peak_bytes"]) for r in rows)),
            "mean_bytes": float(sum(float(r["mean_bytes"]) for r in rows)),
            "work_bytes": int(max((int(r["peak_work_bytes"]) for r in rows), default=0))}


def device_run_stats(graph: Graph, layers: list[TrainLayer], schedules: Sequence[Schedule],
                     config: CompressionConfig) -> dict[str, dict[str, Any]]:
    """Per compressed layer over a run's epoch schedules: the bytes the generated C lays
    out (fixed ranks, so they vary only with the scheduled channel count): raw bytes
    replaced (at the peak), peak and mean compressed bytes over the epochs, peak work."""
    per_epoch = [device_compression_stats(graph, layers, s, config) for s in schedules]
    out: dict[str, dict[str, Any]] = {}
    for layer in layers:
        rows = [epoch[layer.onnx_weight] for epoch in per_epoch if layer.onnx_weight in epoch]
        if not rows:
            continue
        out[layer.onnx_weight] = {
            "method": config.method, "epochs": len(rows),
            "raw_bytes": max(int(r["raw_bytes"]) for r in rows),
            "reserved_bytes": max(int(r["reserved_bytes"]) for r in rows),
            "bytes_source": rows[0]["bytes_source"],
            "peak_bytes": max(int(r["peak_bytes"]) for r in rows),
            "mean_bytes": float(np.mean([float(r["mean_bytes"]) for r in rows])),
            "peak_work_bytes": max(int(r["peak_work_bytes"]) for r in rows),
            "peak_ranks": [max(int(r["peak_ranks"][m]) for r in rows) for m in range(3)]}
    return out


def run_compression_record(config: CompressionConfig, per_layer: Mapping[str, Mapping[str, Any]],
                           source: str, compiled: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """RUNDIR/memory.json "activation_compression": per layer and summed over layers
    (raw_bytes: the raw planes replaced; peak_bytes: sum of per-layer peaks; mean_bytes:
    sum of per-layer means; work_bytes: the largest single layer's work buffers, as the
    blocks are processed one at a time)."""
    record: dict[str, Any] = {"method": config.method, **plan_compression_entry(config),
                              "source": source, "layers": {k: dict(v) for k, v in per_layer.items()},
                              **_summed(per_layer)}
    if compiled is not None:
        record["compiled_every_channel"] = dict(compiled)
    return record
