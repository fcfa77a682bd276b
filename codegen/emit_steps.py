"""Step lowering of emit_c: one registry entry per training-program step kind turns a
step into C lines of model.c's forward/train bodies. Op-specific calls come from the op
modules' CEmit entries (ops/*.py), so adding an op touches its own module only.

EmitContext is what the emitters read: the graph and program, the arena macros, the C
names of constants and op parameter structs, and the compressed layers.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import jinja2
import numpy as np

from .c_literals import c_float
from .compression_c import EPS_METHODS, JACOBI_SWEEPS, CompressedLayer
from .errors import UnsupportedModelError
from .ir import Graph, Node
from .memory_planner import ArenaPlan
from .ops.registry import C_EMIT
from .plan import TrainLayer
from .training import Step, TrainingProgram

_LINE_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined)


@dataclass
class EmitContext:
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


StepEmitter = Callable[[EmitContext, Step, bool], list[str]]
STEP_EMITTERS: dict[str, StepEmitter] = {}


def _emits(kind: str) -> Callable[[StepEmitter], StepEmitter]:
    def register(fn: StepEmitter) -> StepEmitter:
        STEP_EMITTERS[kind] = fn
        return fn
    return register


def _node_context(ctx: EmitContext, node: Node) -> dict[str, Any]:
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
def _forward(ctx: EmitContext, step: Step, training: bool) -> list[str]:
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
        # only a backward that reaches this node reads the mask (see train_code)
        lines.append(f"if (train_cut <= {ctx.node_pos[id(node)]}) {{ "
                     f"mdy_clamp_mask_f32({context['y']}, {context['n']}, {context['lo']}, "
                     f"{context['hi']}, {aux}); }}")
    return lines


@_emits("save")
def _save(ctx: EmitContext, step: Step, training: bool) -> list[str]:
    if not training:
        return []
    l = step.layer
    # output-channel slots (NEq neurons) read the whole input: a copy into the pool
    whole = [f"if (out_count[{l.index}]) {{ memcpy(full_ptr[{l.index}], {ctx.macros[step.reads[0]]}, "
             f"sizeof(float) * {l.input_elems}u); }}"]
    return whole + _save_channels(ctx, step)


def _save_channels(ctx: EmitContext, step: Step) -> list[str]:
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
def _loss(ctx: EmitContext, step: Step, training: bool) -> list[str]:
    logits, dlogits = ctx.macros[step.reads[0]], ctx.macros[step.writes[0]]
    n = ctx.graph.tensors[ctx.graph.output].size
    return [f"if (logits) {{ memcpy(logits, {logits}, sizeof(float) * {n}u); }}",
            f"sample_loss = mdy_softmax_xent_f32({logits}, {n}u, label, 1.0f, {dlogits});"]


@_emits("mask")
def _mask(ctx: EmitContext, step: Step, training: bool) -> list[str]:
    aux, dy = step.reads
    n = ctx.graph.tensors[step.node.outputs[0]].size
    return [f"mdy_mask_apply_f32({ctx.macros[dy]}, {ctx.macros[aux]}, {n}u);"]


@_emits("weight_grad")
def _weight_grad(ctx: EmitContext, step: Step, training: bool) -> list[str]:
    l = step.layer
    dy = ctx.macros[step.reads[0]]
    if l.kind == "conv":
        rows = (f"mdy_conv2d_weight_grad_rows_f32(full_ptr[{l.index}], outs_{l.index}, "
                f"out_count[{l.index}], {dy}, &{ctx.params[id(l.node)]}, rows_ptr[{l.index}]);")
    else:
        rows = (f"mdy_gemm_weight_grad_rows_f32(full_ptr[{l.index}], {l.in_channels}u, "
                f"outs_{l.index}, out_count[{l.index}], {dy}, rows_ptr[{l.index}]);")
    return _weight_grad_slices(ctx, step) + [f"if (out_count[{l.index}]) {{ {rows} }}"]


def _weight_grad_slices(ctx: EmitContext, step: Step) -> list[str]:
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
def _bias_grad(ctx: EmitContext, step: Step, training: bool) -> list[str]:
    l = step.layer
    y_shape = ctx.graph.tensors[l.node.outputs[0]].shape
    hw = int(np.prod(y_shape[1:])) if len(y_shape) > 1 else 1
    return [f"mdy_bias_grad_f32({ctx.macros[step.reads[0]]}, {l.out_channels}u, {hw}u, "
            f"bgrad_{l.index});"]


@_emits("input_grad")
def _input_grad(ctx: EmitContext, step: Step, training: bool) -> list[str]:
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
def _copy(ctx: EmitContext, step: Step, training: bool) -> list[str]:
    nbytes = ctx.program.storages[step.writes[0]].nbytes
    return [f"memcpy({ctx.macros[step.writes[0]]}, {ctx.macros[step.reads[0]]}, {nbytes}u);"]


@_emits("accumulate")
def _accumulate(ctx: EmitContext, step: Step, training: bool) -> list[str]:
    src, dst = step.reads
    n = ctx.program.storages[dst].nbytes // 4
    return [f"mdy_add_f32({ctx.macros[dst]}, {ctx.macros[src]}, {ctx.macros[dst]}, {n}u);"]


_BACKWARD_KINDS = {"mask", "weight_grad", "bias_grad", "input_grad", "copy", "accumulate"}


def train_code(ctx: EmitContext, program: TrainingProgram) -> list[str]:
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
