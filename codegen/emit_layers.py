"""The trainable-layer side of model.c and memory.json: one template row per plan layer
(sizes, C names, SGD gains, Tucker block shape) and the memory report of the program."""
from __future__ import annotations

from typing import Any

from .c_literals import c_bytes
from .c_names import c_text
from .compression import CompressionConfig
from .compression_c import CompressedLayer
from .emit_steps import EmitContext
from .memory_planner import ArenaPlan
from .plan import TrainLayer
from .training import TrainingProgram


def layer_rows(ctx: EmitContext, layers: list[TrainLayer]
               ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(layers, gains): the template row of each plan layer, and the flash arrays of the
    per-output-channel SGD gains its weight or bias binding asks for (G<i>_...)."""
    graph, compressed = ctx.graph, ctx.compressed
    gains: list[dict[str, Any]] = []
    rows = []
    for l in layers:
        row = {"index": l.index, "pos": graph.nodes.index(l.node),
               "onnx_weight": c_text(l.onnx_weight), "onnx_bias": c_text(l.onnx_bias or ""),
               "in_channels": l.in_channels, "out_channels": l.out_channels,
               "weight_elems": graph.tensors[l.weight].size, "slice_elems": l.slice_elems,
               "plane_elems": l.plane_elems, "cost": l.channel_cost_bytes,
               "input_elems": l.input_elems,
               "row_elems": graph.tensors[l.weight].size // l.out_channels,
               "trains_bias": l.train_bias and l.bias is not None,
               "w": ctx.arrays[l.weight], "b": ctx.arrays[l.bias] if l.train_bias and l.bias else None,
               "conv": ctx.params[id(l.node)] if l.kind == "conv" else None,
               "w_gain": None, "b_gain": None,
               "tucker": tucker_row(compressed.get(l.index))}
        for key, tensor in (("w_gain", l.weight), ("b_gain", l.bias if row["b"] else None)):
            binding = graph.tensors[tensor].binding if tensor else None
            gain = binding.sgd_gain((l.out_channels,)) if binding else None
            if gain is not None:
                name = f"G{len(gains)}_{key}_{l.index}"
                gains.append({"name": name, "size": l.out_channels, "bytes": c_bytes(gain)})
                row[key] = name
        rows.append(row)
    return rows, gains


def tucker_row(block: CompressedLayer | None) -> dict[str, int] | None:
    if block is None:
        return None
    return {"k1": block.ranks[0], "k2": block.ranks[1], "k3": block.ranks[2],
            "h": block.h, "w": block.w}


def memory_report(arena: ArenaPlan, program: TrainingProgram, layers: list[TrainLayer],
                  frozen: str, const_bytes: int, ram_weight_bytes: int,
                  compress: CompressionConfig | None,
                  compressed: dict[int, CompressedLayer]) -> dict[str, Any]:
    """memory.json (without the model hash and budget, which compile_model adds)."""
    memory = {
        "arena_bytes": arena.arena_bytes, "arena_lower_bound_bytes": arena.lower_bound_bytes,
        "arena_ratio": round(arena.arena_bytes / max(arena.lower_bound_bytes, 1), 4),
        "channel_pool_bytes": arena.pool_bytes, "planner": arena.strategy,
        "const_weight_bytes": const_bytes, "ram_weight_bytes": ram_weight_bytes,
        "ram_weight_init_bytes_in_flash": ram_weight_bytes,
        "bias_grad_bytes": sum(4 * l.out_channels for l in layers if l.train_bias),
        "schedule_bytes": sum(6 * l.in_channels + 4 * l.out_channels for l in layers),
        "layers": [{"weight": l.onnx_weight, "in_channels": l.in_channels,
                    "channel_cost_bytes": l.channel_cost_bytes,
                    "all_channels_bytes": l.in_channels * l.channel_cost_bytes} for l in layers],
        "placements": [{"storage": p.storage, "kind": p.kind, "offset": p.offset,
                        "bytes": p.nbytes, "born": p.born, "dies": p.dies}
                       for p in arena.placements],
        "backward_keeps": program.keeps(),
    }
    memory["frozen"] = frozen                 # "int8": the frozen prefix runs in int8
    if compressed:
        memory["activation_compression"] = compression_memory(compress, compressed, layers)  # type: ignore[arg-type]
        for row in memory["layers"]:
            summary = next((c.summary() for c in compressed.values()
                            if c.layer.onnx_weight == row["weight"]), None)
            if summary:
                row.update({k: summary[k] for k in ("compressed_bytes", "raw_bytes_replaced",
                                                    "work_bytes", "ranks")})
    return memory


def compression_memory(config: CompressionConfig, compressed: dict[int, CompressedLayer],
                       layers: list[TrainLayer]) -> dict[str, Any]:
    """memory.json figures of the compressed layers, every channel scheduled (compile
    time: the factors are laid out in the pool by model_set_schedule at run time)."""
    rows = [compressed[l.index].summary() for l in layers if l.index in compressed]
    return {"method": config.method, "iterations": config.iterations, "layers": rows,
            "raw_bytes_replaced": sum(int(r["raw_bytes_replaced"]) for r in rows),  # type: ignore[call-overload]
            "compressed_bytes": sum(int(r["compressed_bytes"]) for r in rows),  # type: ignore[call-overload]
            "work_bytes": max(int(r["work_bytes"]) for r in rows),  # type: ignore[call-overload]
            "note": "work buffers are arena storages alive during one save/weight_grad step"}
