"""Lower a training program to C (model.c / model.h behind model_api.h) through Jinja2
templates: frozen weights const (flash), plan-layer weights in RAM, one planned arena
with the channel pool at its start, one kernel call per step.

Step lowering is a registry keyed by step kind; op-specific calls come from the op
modules' CEmit entries (ops/*.py), so adding an op touches its own module only.
"""
from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import jinja2
import numpy as np

from .compression import CompressionConfig
from .compression_c import (EPS_METHODS, JACOBI_SWEEPS, CompressedLayer, compressed_layers,
                            full_pool_bytes)
from .c_names import c_ident, c_text
from .errors import UnsupportedModelError
from .int8_emit import const_row_fields, storage_ctype
from .ir import Graph, Node
from .memory_planner import ArenaPlan, plan_arena
from .ops.registry import C_EMIT, load_all
from .plan import TrainLayer
from .quantize import input_quantizer
from .training import Step, TrainingProgram, build_program

_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                          trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
                          keep_trailing_newline=True)
_LINE_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined)


def c_float(v: float) -> str:
    if math.isinf(v):
        return "INFINITY" if v > 0 else "-INFINITY"
    return f"{float(np.float32(v))!r}f" if v == v else "NAN"


def c_array(values: np.ndarray) -> str:
    flat = np.asarray(values, dtype=np.float32).reshape(-1)
    return ", ".join(f"{float(v)!r}f" for v in flat) if flat.size else "0.0f"


def c_bytes(values: np.ndarray) -> str:
    """The float32 values as a C string literal of their little-endian bytes (adjacent
    literals, 64 bytes a line). GCC parses this several times faster than a list of
    float initializers; the template stores it in a union with the float array."""
    raw = np.asarray(values, dtype="<f4").reshape(-1).tobytes() or bytes(4)
    hexed = raw.hex()
    lines = ("".join("\\x" + hexed[i + k:i + k + 2] for k in range(0, min(128, len(hexed) - i), 2))
             for i in range(0, len(hexed), 128))
    return "\n    ".join(f'"{line}"' for line in lines)


def _ident(name: str) -> str:
    return c_ident(name)


@dataclass
class GeneratedModel:
    model_c: str
    model_h: str
    arena: ArenaPlan
    memory: dict[str, Any]
    program: TrainingProgram


@dataclass
class _Ctx:
    graph: Graph
    program: TrainingProgram
    arena: ArenaPlan
    layers: list[TrainLayer]
    macros: dict[str, str] = field(default_factory=dict)      # storage -> macro
    arrays: dict[str, str] = field(default_factory=dict)      # const tensor -> C array
    params: dict[int, str] = field(default_factory=dict)      # id(node) -> struct name
    layer_of: dict[int, TrainLayer] = field(default_factory=dict)
    compressed: dict[int, CompressedLayer] = field(default_factory=dict)   # layer index ->
    iterations: int = 0                                                    # asi block
    node_pos: dict[int, int] = field(default_factory=dict)    # id(node) -> graph position
    #: quantize.input_quantizer(graph): its step is the model entry's (model.c.j2), not
    #: the body's, so model_*_s8 can take an already quantized sample
    input_quant: Node | None = None

    def act_macro(self, tensor: str) -> str:
        return self.macros[self.program.act_storage[tensor]]


StepEmitter = Callable[[_Ctx, Step, bool], list[str]]
STEP_EMITTERS: dict[str, StepEmitter] = {}


def _emits(kind: str) -> Callable[[StepEmitter], StepEmitter]:
    def register(fn: StepEmitter) -> StepEmitter:
        STEP_EMITTERS[kind] = fn
        return fn
    return register


def _node_context(ctx: _Ctx, node: Node) -> dict[str, Any]:
    g = ctx.graph
    acts = [i for i in node.inputs if not g.tensors[i].is_const]
    consts = [i for i in node.inputs if g.tensors[i].is_const]
    x_shape = g.tensors[acts[0]].shape
    y_shape = g.tensors[node.outputs[0]].shape
    lo, hi = node.attrs.get("act") or (node.attrs.get("lo", -math.inf), node.attrs.get("hi", math.inf))
    context: dict[str, Any] = {
        "x": ctx.act_macro(acts[0]), "x2": ctx.act_macro(acts[1]) if len(acts) > 1 else "NULL",
        "y": ctx.act_macro(node.outputs[0]), "n": f"{g.tensors[node.outputs[0]].size}u",
        "c": f"{x_shape[0]}u", "hw": f"{int(np.prod(x_shape[1:]))}u",
        "lo": c_float(lo), "hi": c_float(hi), "p": ctx.params.get(id(node), ""),
        "in_f": f"{int(np.prod(x_shape))}u", "out_f": f"{int(np.prod(y_shape))}u",
        "w": "NULL", "b": "NULL", "aux": None, "a": node.attrs,
        # multi-input ops and attribute-driven templates (ops/*.py CEmit) read these
        "node": node, "cf": c_float, "xs": [ctx.act_macro(a) for a in acts],
        "shapes": [g.tensors[a].shape for a in acts], "y_shape": y_shape,
    }
    for i, name in enumerate(consts):
        context[f"k{i}"] = ctx.arrays[name]
    if node.op in ("conv", "gemm"):
        context["w"] = ctx.arrays[node.inputs[1]]
        context["b"] = ctx.arrays[node.inputs[2]] if len(node.inputs) > 2 else "NULL"
    return context


@functools.lru_cache(maxsize=None)
def _line_template(template: str) -> jinja2.Template:
    return _LINE_ENV.from_string(template)


def _render(template: str, context: dict[str, Any]) -> str:
    return _line_template(template).render(**context)


@_emits("forward")
def _forward(ctx: _Ctx, step: Step, training: bool) -> list[str]:
    node = step.node
    emit = C_EMIT[node.op]
    if not emit.forward or node is ctx.input_quant:
        return []
    context = _node_context(ctx, node)
    aux = ctx.macros[step.writes[1]] if training and len(step.writes) > 1 else None
    context["aux"] = aux
    context["in_place"] = step.attrs.get("in_place", [])   # Concat inputs already in y
    lines = [_render(emit.forward, context)]
    if aux and node.op != "maxpool":
        # only a backward that reaches this node reads the mask (see _depth_cut)
        lines.append(f"if (train_cut <= {ctx.node_pos[id(node)]}) {{ "
                     f"mdy_clamp_mask_f32({context['y']}, {context['n']}, {context['lo']}, "
                     f"{context['hi']}, {aux}); }}")
    return lines


@_emits("save")
def _save(ctx: _Ctx, step: Step, training: bool) -> list[str]:
    if not training:
        return []
    l = step.layer
    # output-channel slots (NEq neurons) read the whole input: a copy into the pool
    whole = [f"if (out_count[{l.index}]) {{ memcpy(full_ptr[{l.index}], {ctx.macros[step.reads[0]]}, "
             f"sizeof(float) * {l.input_elems}u); }}"]
    return whole + _save_channels(ctx, step)


def _save_channels(ctx: _Ctx, step: Step) -> list[str]:
    l = step.layer
    if l.index in ctx.compressed:
        x, work, t = ctx.macros[step.reads[0]], ctx.macros[step.writes[0]], f"&tucker[{l.index}]"
        block = ctx.compressed[l.index]
        if block.method in EPS_METHODS:
            # svd/hosvd: each factor from its mode's Gram matrix, ranks by eps per sample
            # (svd: only the channel mode; height/width stay identity at full rank)
            modes = (0,) if block.method == "svd" else (0, 1, 2)
            return [f"if (tucker[{l.index}].n_sel) {{"] + [
                f"    tucker[{l.index}].k{m + 1} = mdy_eig_factor_f32({x}, sched_{l.index}, {t}, "
                f"{m}u, {block.eps!r}f, {JACOBI_SWEEPS}u, tucker[{l.index}].u{m + 1}, {work});"
                for m in modes] + [
                f"    mdy_tucker_core_f32({x}, sched_{l.index}, {t}, {work});",
                f"    tucker_note_usage({l.index}u);", "}"]
        # asi: refresh the three factors in place (warm start = the previous sample's),
        # then project; the raw planes are never copied
        return [f"if (tucker[{l.index}].k1) {{"] + [
            f"    mdy_subspace_iter_f32({x}, sched_{l.index}, {t}, {mode}u, {ctx.iterations}u, {work});"
            for mode in range(3)] + [
            f"    mdy_tucker_core_f32({x}, sched_{l.index}, {t}, {work});",
            f"    tucker_note_usage({l.index}u);", "}"]
    return [f"mdy_gather_planes_f32({ctx.macros[step.reads[0]]}, {l.plane_elems}u, sched_{l.index}, "
            f"sched_count[{l.index}], saved_ptr[{l.index}]);"]


@_emits("loss")
def _loss(ctx: _Ctx, step: Step, training: bool) -> list[str]:
    logits, dlogits = ctx.macros[step.reads[0]], ctx.macros[step.writes[0]]
    n = ctx.graph.tensors[ctx.graph.output].size
    return [f"if (logits) {{ memcpy(logits, {logits}, sizeof(float) * {n}u); }}",
            f"sample_loss = mdy_softmax_xent_f32({logits}, {n}u, label, 1.0f, {dlogits});"]


@_emits("mask")
def _mask(ctx: _Ctx, step: Step, training: bool) -> list[str]:
    aux, dy = step.reads
    n = ctx.graph.tensors[step.node.outputs[0]].size
    return [f"mdy_mask_apply_f32({ctx.macros[dy]}, {ctx.macros[aux]}, {n}u);"]


@_emits("weight_grad")
def _weight_grad(ctx: _Ctx, step: Step, training: bool) -> list[str]:
    l = step.layer
    dy = ctx.macros[step.reads[0]]
    if l.kind == "conv":
        rows = (f"mdy_conv2d_weight_grad_rows_f32(full_ptr[{l.index}], outs_{l.index}, "
                f"out_count[{l.index}], {dy}, &{ctx.params[id(l.node)]}, rows_ptr[{l.index}]);")
    else:
        rows = (f"mdy_gemm_weight_grad_rows_f32(full_ptr[{l.index}], {l.in_channels}u, "
                f"outs_{l.index}, out_count[{l.index}], {dy}, rows_ptr[{l.index}]);")
    return _weight_grad_slices(ctx, step) + [f"if (out_count[{l.index}]) {{ {rows} }}"]


def _weight_grad_slices(ctx: _Ctx, step: Step) -> list[str]:
    l = step.layer
    dy = ctx.macros[step.reads[0]]
    if l.index in ctx.compressed:
        if l.kind == "conv":
            return [f"mdy_conv2d_weight_grad_tucker_f32(&tucker[{l.index}], sched_{l.index}, {dy}, "
                    f"&{ctx.params[id(l.node)]}, slices_ptr[{l.index}], "
                    f"{ctx.macros[step.writes[0]]});"]
        return [f"mdy_gemm_weight_grad_tucker_f32(&tucker[{l.index}], {dy}, {l.out_channels}u, "
                f"slices_ptr[{l.index}]);"]
    if l.kind == "conv":
        return [f"mdy_conv2d_weight_grad_f32(saved_ptr[{l.index}], sched_{l.index}, "
                f"sched_count[{l.index}], {dy}, &{ctx.params[id(l.node)]}, slices_ptr[{l.index}]);"]
    return [f"mdy_gemm_weight_grad_f32(saved_ptr[{l.index}], sched_count[{l.index}], {dy}, "
            f"{l.out_channels}u, slices_ptr[{l.index}]);"]


@_emits("bias_grad")
def _bias_grad(ctx: _Ctx, step: Step, training: bool) -> list[str]:
    l = step.layer
    y_shape = ctx.graph.tensors[l.node.outputs[0]].shape
    hw = int(np.prod(y_shape[1:])) if len(y_shape) > 1 else 1
    return [f"mdy_bias_grad_f32({ctx.macros[step.reads[0]]}, {l.out_channels}u, {hw}u, "
            f"bgrad_{l.index});"]


@_emits("input_grad")
def _input_grad(ctx: _Ctx, step: Step, training: bool) -> list[str]:
    node = step.node
    context = _node_context(ctx, node)
    context.update(dy=ctx.macros[step.reads[0]], dx=ctx.macros[step.writes[0]],
                   aux=ctx.macros[step.reads[1]] if len(step.reads) > 1 else "NULL",
                   index=step.attrs["input"])
    template = C_EMIT[node.op].input_grad
    if template is None:
        raise UnsupportedModelError(node.name, node.op, "no C input-gradient kernel",
                                    "train only layers after this op")
    return [_render(template, context)]


@_emits("copy")
def _copy(ctx: _Ctx, step: Step, training: bool) -> list[str]:
    nbytes = ctx.program.storages[step.writes[0]].nbytes
    return [f"memcpy({ctx.macros[step.writes[0]]}, {ctx.macros[step.reads[0]]}, {nbytes}u);"]


@_emits("accumulate")
def _accumulate(ctx: _Ctx, step: Step, training: bool) -> list[str]:
    src, dst = step.reads
    n = ctx.program.storages[dst].nbytes // 4
    return [f"mdy_add_f32({ctx.macros[dst]}, {ctx.macros[src]}, {ctx.macros[dst]}, {n}u);"]


_BACKWARD_KINDS = {"mask", "weight_grad", "bias_grad", "input_grad", "copy", "accumulate"}


def _train_code(ctx: _Ctx, program: TrainingProgram) -> list[str]:
    """The training step with the run-time depth cut (issue #9, item 4).

    Backward steps come in reverse graph order, grouped by node, so the chain can stop at
    the first node before `train_cut` (the deepest layer the schedule needs, set by
    model_set_schedule); at the cut layer itself only its own mask, weight and bias
    gradients run, not the gradient of its input. Nothing a later step reads is skipped:
    every gradient a layer at or after the cut needs comes from nodes after it.
    """
    layer_nodes = {id(l.node) for l in program.layers}
    lines: list[str] = []
    current: Node | None = None
    guarded_input = False
    for step in program.steps:
        if step.kind in _BACKWARD_KINDS and step.node is not None:
            pos = ctx.node_pos[id(step.node)]
            if step.node is not current:
                current, guarded_input = step.node, False
                lines.append(f"if ({pos} < train_cut) {{ goto backward_done; }}")
            if (step.kind in ("input_grad", "copy", "accumulate") and not guarded_input
                    and id(step.node) in layer_nodes):
                lines.append(f"if ({pos} <= train_cut) {{ goto backward_done; }}")
                guarded_input = True
        lines += STEP_EMITTERS[step.kind](ctx, step, True)
    if any("goto backward_done" in line for line in lines):
        lines.append("backward_done:;")
    return lines


def _conv_init(g: Graph, node: Node) -> str:
    c, h, w = g.tensors[node.inputs[0]].shape
    o, oh, ow = g.tensors[node.outputs[0]].shape
    k = g.tensors[node.inputs[1]].shape
    a = node.attrs
    lo, hi = a.get("act") or (-math.inf, math.inf)
    values = [c, h, w, o, oh, ow, k[2], k[3], *a["strides"], a["pads"][0], a["pads"][1],
              *a["dilations"], a["group"]]
    return ", ".join(str(int(v)) for v in values) + f", {c_float(lo)}, {c_float(hi)}"


def _pool_init(g: Graph, node: Node) -> str:
    c, h, w = g.tensors[node.inputs[0]].shape
    a = node.attrs
    if tuple(a["dilations"]) != (1, 1):
        raise UnsupportedModelError(node.name, node.op, "dilated pooling has no C kernel",
                                    "export without pooling dilation")
    values = [c, h, w, *a["out_hw"], *a["kernel"], *a["strides"], a["pads"][0], a["pads"][1],
              a.get("count_include_pad", 0)]
    return ", ".join(str(int(v)) for v in values)


def _conv_weight_len(g: Graph, n: Node) -> int:
    taps = int(np.prod(g.tensors[n.inputs[1]].shape[2:]))
    return g.tensors[n.outputs[0]].shape[0] * (g.tensors[n.inputs[0]].shape[0] // n.attrs["group"]) * taps


#: op -> {constant input position: the element count the kernel reads}, from the
#: activation shapes the kernel is called with (not from the constant itself).
CONST_LENGTHS: dict[str, dict[int, Callable[[Graph, Node], int]]] = {
    "conv": {1: _conv_weight_len, 2: lambda g, n: g.tensors[n.outputs[0]].shape[0]},
    "gemm": {1: lambda g, n: g.tensors[n.outputs[0]].shape[0] * g.tensors[n.inputs[0]].shape[0],
             2: lambda g, n: g.tensors[n.outputs[0]].shape[0]},
    "affine": {1: lambda g, n: g.tensors[n.inputs[0]].shape[0],
               2: lambda g, n: g.tensors[n.inputs[0]].shape[0]},
    "add_const": {1: lambda g, n: g.tensors[n.inputs[0]].size},
}


def _size_checks(graph: Graph, arrays: dict[str, str]) -> list[dict[str, Any]]:
    """Static assertions: each constant array holds exactly what its kernel reads (a
    second line behind the importer's checks: a mismatch never reaches a device)."""
    rows = []
    for node in graph.nodes:
        for pos, length in CONST_LENGTHS.get(node.op, {}).items():
            if pos < len(node.inputs) and node.inputs[pos] in arrays:
                rows.append({"array": arrays[node.inputs[pos]], "expected": length(graph, node),
                             "tag": f"{len(rows)}", "what": c_text(f"{node.op} {node.name}", 60)})
    return rows


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
    ctx = _Ctx(graph, program, arena, layers, compressed=compressed,
               iterations=compress.iterations if compress else 0,
               input_quant=input_quantizer(graph))
    storage_rows = []
    for i, s in enumerate(storages):
        macro = f"S{i}_{_ident(s.name)[:40]}"
        ctx.macros[s.name] = macro
        storage_rows.append({"macro": macro, "offset": arena.offset(s.name), "kind": s.kind,
                             "nbytes": s.nbytes, "born": s.born, "dies": s.dies,
                             "ctype": storage_ctype(graph, s.kind, s.tensors),
                             "label": c_text(", ".join(s.tensors), 60)})
    trained = {l.weight for l in layers} | {l.bias for l in layers if l.train_bias and l.bias}
    consts, trainables = [], []
    for name, t in graph.tensors.items():
        if not t.is_const:
            continue
        ident = f"{'T' if name in trained else 'K'}{len(consts) + len(trainables)}_{_ident(name)[:40]}"
        ctx.arrays[name] = ident
        row = {"name": ident, "size": max(t.size, 1), "data": None, "bytes": None,
               "ctype": "float", "nbytes": 4 * max(t.size, 1)}
        int_fields = const_row_fields(t)          # int8 backbone: int8/int32 constants
        if int_fields:
            row["ctype"], row["data"], row["nbytes"] = int_fields
        elif name in trained:
            # initial values of a RAM weight: a float list, because GCC folds the reset's
            # memcpy from a string-initialised blob into a second copy of the string
            row["data"] = c_array(t.data)
        else:                                     # float32: a byte-string blob (fast to compile)
            row["bytes"] = c_bytes(t.data)
        (trainables if name in trained else consts).append(row)
    gains = []
    for node in graph.nodes:
        if C_EMIT[node.op].params == "conv":
            ctx.params[id(node)] = f"P{len(ctx.params)}"
        elif C_EMIT[node.op].params == "pool":
            ctx.params[id(node)] = f"Q{len(ctx.params)}"
    conv_params = [{"name": ctx.params[id(n)], "init": _conv_init(graph, n)}
                   for n in graph.nodes if C_EMIT[n.op].params == "conv"]
    pool_params = [{"name": ctx.params[id(n)], "init": _pool_init(graph, n)}
                   for n in graph.nodes if C_EMIT[n.op].params == "pool"]
    layer_rows = []
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
               "tucker": _tucker_row(compressed.get(l.index))}
        for key, tensor in (("w_gain", l.weight), ("b_gain", l.bias if row["b"] else None)):
            binding = graph.tensors[tensor].binding if tensor else None
            gain = binding.sgd_gain((l.out_channels,)) if binding else None
            if gain is not None:
                name = f"G{len(gains)}_{key}_{l.index}"
                gains.append({"name": name, "size": l.out_channels, "bytes": c_bytes(gain)})
                row[key] = name
        layer_rows.append(row)
    ctx.node_pos = {id(n): i for i, n in enumerate(graph.nodes)}
    train_code = _train_code(ctx, program)
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
        "conv_params": conv_params, "pool_params": pool_params, "layers": layer_rows,
        "size_checks": _size_checks(graph, ctx.arrays),
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
        "train_code": train_code, "forward_code": forward_code,
        "compressed_any": bool(compressed),
        "tucker_method": compress.method if compress else "",
    }
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
    memory["frozen"] = graph.frozen           # "int8": the frozen prefix runs in int8
    if compressed:
        memory["activation_compression"] = _compression_memory(compress, compressed, layers)  # type: ignore[arg-type]
        for row in memory["layers"]:
            summary = next((c.summary() for c in compressed.values()
                            if c.layer.onnx_weight == row["weight"]), None)
            if summary:
                row.update({k: summary[k] for k in ("compressed_bytes", "raw_bytes_replaced",
                                                    "work_bytes", "ranks")})
    return GeneratedModel(_ENV.get_template("model.c.j2").render(**context),
                          _ENV.get_template("model.h.j2").render(**context), arena, memory, program)


def _input_s8(ctx: _Ctx) -> dict[str, Any] | None:
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


def _tucker_row(block: CompressedLayer | None) -> dict[str, int] | None:
    if block is None:
        return None
    return {"k1": block.ranks[0], "k2": block.ranks[1], "k3": block.ranks[2],
            "h": block.h, "w": block.w}


def _compression_memory(config: CompressionConfig, compressed: dict[int, CompressedLayer],
                        layers: list[TrainLayer]) -> dict[str, Any]:
    """memory.json figures of the compressed layers, every channel scheduled (compile
    time: the factors are laid out in the pool by model_set_schedule at run time)."""
    rows = [compressed[l.index].summary() for l in layers if l.index in compressed]
    return {"method": config.method, "iterations": config.iterations, "layers": rows,
            "raw_bytes_replaced": sum(int(r["raw_bytes_replaced"]) for r in rows),  # type: ignore[call-overload]
            "compressed_bytes": sum(int(r["compressed_bytes"]) for r in rows),  # type: ignore[call-overload]
            "work_bytes": max(int(r["work_bytes"]) for r in rows),  # type: ignore[call-overload]
            "note": "work buffers are arena storages alive during one save/weight_grad step"}
