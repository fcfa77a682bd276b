"""Lower a training program to C (model.c / model.h behind model_api.h) through Jinja2
templates: frozen weights const (flash), plan-layer weights in RAM, one planned arena
with the channel pool at its start, one kernel call per step.

generate() is the entry point: it plans the arena and fills the template context from
emit_steps (step lowering, a registry keyed by step kind), emit_consts (constants, op
parameters, size checks) and emit_layers (the plan layers' rows, memory.json).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import numpy as np

from .c_literals import c_array, c_bytes, c_float  # noqa: F401  (re-exported)
from .c_names import c_ident, c_text
from .compression import CompressionConfig
from .compression_c import CompressedLayer, compressed_layers, full_pool_bytes
from .emit_consts import CONST_LENGTHS, const_rows, op_param_rows, size_checks  # noqa: F401
from .emit_layers import layer_rows, memory_report
from .emit_steps import STEP_EMITTERS, EmitContext, StepEmitter, train_code  # noqa: F401
from .int8_emit import storage_ctype
from .ir import Graph
from .memory_planner import ArenaPlan, plan_arena
from .ops.registry import load_all
from .plan import TrainLayer
from .quantize import input_quantizer
from .training import TrainingProgram, build_program

_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                          trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
                          keep_trailing_newline=True)


@dataclass
class GeneratedModel:
    model_c: str
    model_h: str
    arena: ArenaPlan
    memory: dict[str, Any]
    program: TrainingProgram


def model_hash(model_bytes: bytes, plan_json: str, pool_bytes: int) -> str:
    h = hashlib.sha256(model_bytes)
    h.update(plan_json.encode())
    h.update(str(pool_bytes).encode())
    return h.hexdigest()[:16]


def generate(graph: Graph, layers: list[TrainLayer], *, pool_bytes: int, model_name: str,
             model_hash_hex: str, compress: CompressionConfig | None = None) -> GeneratedModel:
    """compress: store the saved activations of the config's layers as Tucker blocks in
    the channel pool (asi: fixed ranks; svd/hosvd: ranks per sample, worst case reserved)."""
    load_all()
    compressed = compressed_layers(graph, layers, compress)
    work = {i: (4 * c.save_work_floats(c.layer.in_channels), 4 * c.grad_work_floats(c.layer.in_channels))
            for i, c in compressed.items()}
    # Concat inputs in place (no copies) or copied (shorter lives): the smaller arena
    layouts = []
    for in_place in (True, False):
        program = build_program(graph, layers, work_bytes=work, concat_in_place=in_place)
        layouts.append((plan_arena(list(program.storages.values()), pool_bytes).arena_bytes,
                        not in_place, program))
        if not any(n.op == "concat" for n in graph.nodes):
            break
    program = min(layouts, key=lambda t: t[:2])[2]
    storages = list(program.storages.values())
    arena = plan_arena(storages, pool_bytes)
    arena.check_no_overlap()
    ctx = EmitContext(graph, program, arena, layers, compressed=compressed,
                      iterations=compress.iterations if compress else 0,
                      input_quant=input_quantizer(graph))
    storage_rows = []
    for i, s in enumerate(storages):
        macro = f"S{i}_{c_ident(s.name)[:40]}"
        ctx.macros[s.name] = macro
        storage_rows.append({"macro": macro, "offset": arena.offset(s.name), "kind": s.kind,
                             "nbytes": s.nbytes, "born": s.born, "dies": s.dies,
                             "ctype": storage_ctype(graph, s.kind, s.tensors),
                             "label": c_text(", ".join(s.tensors), 60)})
    # order matters: constants, then op parameters, then layer rows (which name both)
    consts, trainables = const_rows(ctx, layers)
    conv_params, pool_params = op_param_rows(ctx)
    rows, gains = layer_rows(ctx, layers)
    ctx.node_pos = {id(n): i for i, n in enumerate(graph.nodes)}
    train_lines = train_code(ctx, program)
    forward_code = [line for step in program.steps if step.kind in ("forward", "save")
                    for line in STEP_EMITTERS[step.kind](ctx, step, False)]
    in_shape = graph.tensors[graph.input].shape
    in_chw = tuple(in_shape) + (1,) * (3 - len(in_shape))
    const_bytes = sum(r["nbytes"] for r in consts) + sum(4 * g["size"] for g in gains)
    ram_weight_bytes = sum(4 * r["size"] for r in trainables)
    context = {
        "version": "0.1.0", "model_name": c_text(model_name), "model_hash": model_hash_hex,
        "arena_bytes": arena.arena_bytes, "arena_floats": max(arena.arena_bytes // 4, 1),
        "pool_bytes": arena.pool_bytes, "strategy": arena.strategy,
        "lower_bound_bytes": arena.lower_bound_bytes, "storages": storage_rows,
        "consts": consts, "trainables": trainables, "gains": gains,
        "conv_params": conv_params, "pool_params": pool_params, "layers": rows,
        "size_checks": size_checks(graph, ctx.arrays),
        "num_layers": len(layers), "num_layers_alloc": max(len(layers), 1),
        "max_in_channels": max([l.in_channels for l in layers] + [1]),
        "max_weight_elems": max([graph.tensors[l.weight].size for l in layers] + [1]),
        "max_out_channels": max([l.out_channels for l in layers] + [1]),
        "total_channels": max(sum(l.in_channels for l in layers), 1),
        "total_out_channels": max(sum(l.out_channels for l in layers), 1),
        "max_channels": max([l.in_channels for l in layers] + [l.out_channels for l in layers] + [1]),
        "input_c": in_chw[0], "input_h": in_chw[1], "input_w": in_chw[2],
        "input_elems": int(np.prod(in_shape)), "num_classes": graph.tensors[graph.output].size,
        "input_macro": ctx.act_macro(graph.input), "logits_macro": ctx.act_macro(graph.output),
        "input_s8": _input_s8(ctx),
        "train_code": train_lines, "forward_code": forward_code,
        "compressed_any": bool(compressed),
        "tucker_method": compress.method if compress else "",
    }
    memory = memory_report(arena, program, layers, graph.frozen, const_bytes, ram_weight_bytes,
                           compress, compressed)
    return GeneratedModel(_ENV.get_template("model.c.j2").render(**context),
                          _ENV.get_template("model.h.j2").render(**context), arena, memory, program)


def _input_s8(ctx: EmitContext) -> dict[str, Any] | None:
    """The int8 input of model.c.j2's entries: its storage and quantization constants."""
    node = ctx.input_quant
    if node is None:
        return None
    return {"macro": ctx.act_macro(node.outputs[0]), "inv_c": node.attrs["inv_c"],
            "zp": node.attrs["zp"]}


def pool_bytes_for(layers: list[TrainLayer], budget_bytes: int,
                   compressed: dict[int, CompressedLayer] | None = None) -> int:
    """The channel pool: the plan's budget, capped at the cost of every channel (with
    the compressed layers' blocks at their compressed size)."""
    full = full_pool_bytes(layers, compressed or {})
    return full if budget_bytes <= 0 else min(budget_bytes, full)
