"""Whole-device memory: what a compiled model + plan needs of a board's SRAM and flash.

One breakdown, used by `plan --board` (prediction), `compile` (prediction beside the
linked ELF) and `train` (prediction, linked ELF and the device's measured stack):

    SRAM  arena              activation arena incl. the channel pool (the real arena planner)
          trainable_weights  float weights/biases of the plan's layers (.bss, updated by SGD)
          gradient_buffers   bias gradients, per-layer schedule/slot/channel-norm arrays
          app_buffers        the firmware app's protocol frames and sample/readback buffer
          runtime_static     everything else in .data + .bss (libc, board, session state)
          stack              the reserved stack (painted and measured on the device)
    flash code               .text/.rodata other than weights (kernels, generated C, app)
          frozen_weights     constant weights (per dtype: `frozen_weight_bytes`) + SGD gains
          trainable_init     the initial values of the RAM weights (copied at start-up)

Predicted regions come from the compiler's own numbers (arena planner, tensor sizes)
plus formulas for the buffers whose sizes the generated C and the app derive from the
model (`model.h` capacities). The parts no formula gives (code size, the app's fixed
frames, runtime statics) are calibrated on real firmware builds: `calibrate()`
(memory_calibration.py) links firmware for several models/plans, reads each region from
the ELF symbol table (`linked_breakdown`, memory_report.py) and stores the worst residuals
in device_memory_calibration.json (code: a line in the number of generated steps plus a
term per conv gradient kernel the program calls, since each links its strip-buffered fast
paths, ~14 KB) (rerun: ``python -m medyate.host_tools.selection.device_memory``, or
``... .memory_calibration``). The linked breakdown of the same ELF is what compile/train
report beside the prediction (memory_report.py: the rows and the table).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from medyate.codegen.int8_math import takes_rq_table
from medyate.codegen.ir import Graph
from medyate.codegen.plan import Plan, TrainLayer, resolve_layers

CALIBRATION_FILE = Path(__file__).with_name("device_memory_calibration.json")
FLOAT_BYTES = 4
FROZEN_DTYPES = ("fp32", "int8")
DEFAULT_STACK_BYTES = 16384       # firmware/CMakeLists.txt STACK_SIZE default


@dataclass(frozen=True)
class Region:
    name: str
    memory: str                   # "sram" or "flash"
    what: str
    #: ELF symbol names (regex, full match) this region owns in the linked image; None:
    #: the residual of its memory (what no other region claims).
    symbols: tuple[str, ...] | None = None


REGIONS: tuple[Region, ...] = (
    Region("arena", "sram", "activation arena incl. channel pool", (r"arena",)),
    Region("trainable_weights", "sram", "trainable weights/biases (float, RAM)",
           (r"T\d+_\w*",)),
    Region("gradient_buffers", "sram", "bias gradients + schedule/slot/norm arrays",
           (r"(bgrad|sched|slot|norms|outs|out_slot)_\d+", r"sched_count", r"out_count",
            r"(saved|slices|full|rows)_ptr",
            r"seen(\.\d+)?", r"norm_tmp(\.\d+)?", r"tucker\w*")),
    Region("app_buffers", "sram", "protocol frames + sample buffer",
           (r"scratch(\.\d+)?", r"logits", r"affine_(scale|offset)", r"schedule_staging",
            r"rx_frame", r"reply_(raw|encoded)", r"notice_(raw|encoded)")),
    Region("runtime_static", "sram", "runtime/app statics (.data+.bss rest)"),
    Region("stack", "sram", "stack reserve"),
    Region("code", "flash", "code + read-only tables"),
    Region("frozen_weights", "flash", "frozen (const) weights + SGD gains",
           (r"[KG]\d+_\w*",)),
    Region("trainable_init", "flash", "initial values of the RAM weights",
           (r"T\d+_\w*_init",)),
)
REGION_BY_NAME = {region.name: region for region in REGIONS}
SRAM_REGIONS = tuple(r.name for r in REGIONS if r.memory == "sram")
FLASH_REGIONS = tuple(r.name for r in REGIONS if r.memory == "flash")


@dataclass
class Breakdown:
    """Bytes per region (REGIONS order) and how they were obtained."""

    regions: dict[str, int]
    source: str                             # "predicted" or "linked"
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def sram_bytes(self) -> int:
        return sum(self.regions[name] for name in SRAM_REGIONS)

    @property
    def flash_bytes(self) -> int:
        return sum(self.regions[name] for name in FLASH_REGIONS)

    def total(self, memory: str) -> int:
        return self.sram_bytes if memory == "sram" else self.flash_bytes

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "regions": dict(self.regions),
                "sram_bytes": self.sram_bytes, "flash_bytes": self.flash_bytes,
                **({"details": self.details} if self.details else {})}


# ------------------------------------------------------------------ frozen weights
def _fp32_bytes(elems: int, out_channels: int, has_bias: bool, rq_table: bool = False) -> int:
    return FLOAT_BYTES * (elems + (out_channels if has_bias else 0))


def _int8_bytes(elems: int, out_channels: int, has_bias: bool, rq_table: bool = False) -> int:
    """Per-output-channel symmetric int8 as codegen/quantize.py lays it out: one byte per
    weight (padded to a word) and 12 bytes per output channel (Q31 multiplier, shift and
    the int32 bias, which is always stored: the zero-point correction folds into it); 16
    for a Gemm of 4..12 inputs (rq_table: mdy_gemm_s8_rq's table; 12 if calibration puts
    a channel off its range, so this is the upper bound)."""
    return 4 * math.ceil(elems / 4) + (16 if rq_table else 12) * out_channels


#: dtype -> bytes of one frozen Conv/Gemm layer (weight elems, output channels, has bias,
#: a Gemm with the int8 prepared table). The int8 backbone's compiler registers its exact
#: layout here if it differs.
FROZEN_WEIGHT_FORMULAS: dict[str, Callable[[int, int, bool, bool], int]] = {
    "fp32": _fp32_bytes, "int8": _int8_bytes}


def frozen_weight_bytes(elems: int, out_channels: int, has_bias: bool, dtype: str = "fp32",
                        rq_table: bool = False) -> int:
    """Flash bytes of one frozen Conv/Gemm layer's weight (+ bias) stored as `dtype`
    (rq_table: a Gemm of 4..12 inputs, which int8 stores with a prepared table)."""
    try:
        formula = FROZEN_WEIGHT_FORMULAS[dtype]
    except KeyError:
        raise ValueError(f"frozen dtype must be one of {sorted(FROZEN_WEIGHT_FORMULAS)}, "
                         f"got {dtype!r}") from None
    return formula(elems, out_channels, has_bias, rq_table)


# ---------------------------------------------------------------------- prediction
@dataclass(frozen=True)
class Calibration:
    """Fixed parts measured on real builds (see module docstring)."""

    runtime_static_bytes: int
    app_fixed_bytes: int
    code_base_bytes: int
    code_per_step_bytes: float
    padding_per_layer_bytes: int = 8
    stack_bytes: int = DEFAULT_STACK_BYTES
    #: code of an int8 backbone beyond the line in steps: the s8 kernels and entries
    code_int8_bytes: int = 0
    #: the line's base when no float conv runs (an int8 backbone under float gemm layers
    #: links none of the float conv kernels, most of code_base); None: code_base_bytes
    code_base_no_float_conv_bytes: int | None = None
    builds: tuple[dict[str, Any], ...] = ()
    #: code of one conv gradient kernel (input grad or weight grad) with its fast paths:
    #: linked only when the program calls it
    code_per_kxk_grad_bytes: float = 0.0

    @staticmethod
    def load(path: Path = CALIBRATION_FILE) -> "Calibration":
        data = json.loads(path.read_text())
        data["builds"] = tuple(data.get("builds", ()))
        return Calibration(**data)


@dataclass(frozen=True)
class ModelFacts:
    """What the prediction needs of a model + plan, from the IR and the real planner."""

    arena_bytes: int
    pool_bytes: int
    trainable_elems: int
    #: (weight elems, out channels, has bias, below the first trainable layer, a Gemm
    #: of 4..12 inputs: int8 stores it with a prepared requantization table)
    frozen_layers: tuple[tuple[int, int, bool, bool, bool], ...]
    other_const_elems: int                              # consts outside Conv/Gemm layers
    gain_elems: int
    layers: int
    in_channels: tuple[int, ...]
    bias_grad_elems: int
    input_elems: int
    input_c: int
    classes: int
    steps: int
    #: output channels per layer (the output-channel slot arrays, NEq neurons)
    out_channels: tuple[int, ...] = ()
    #: bytes per element of the app's staged sample: 1 when the model takes int8 input
    input_item_bytes: int = FLOAT_BYTES
    #: the compiled graph has an int8 region (its kernels are linked)
    int8: bool = False
    #: a float conv runs (forward at least): the float conv kernels are linked
    float_conv: bool = True
    #: conv gradient kernels the program calls (input grad, weight grad): 0..2
    kxk_grad_kinds: int = 0


def model_facts(graph: Graph, layers: list[TrainLayer], pool_bytes: int,
                frozen: str = "fp32") -> ModelFacts:
    """Sizes of MODEL + plan layers with `pool_bytes` of channel pool, from the arena
    planner and the IR exactly as codegen/emit_c.py lays them out. The arena, the steps
    and the sample buffer come from the graph codegen emits for `frozen` (int8: the
    frozen prefix quantized, 1 byte per activation; its scales do not change a size)."""
    from medyate.codegen.memory_planner import plan_arena
    from medyate.codegen.quantize import input_quantizer
    from medyate.codegen.training import build_program

    emitted = emitted_graph(graph, layers, frozen)
    program = build_program(emitted, layers)
    arena = plan_arena(list(program.storages.values()), pool_bytes)
    forward = build_program(emitted, layers, forward_only=True)
    trained = {l.weight for l in layers} | {l.bias for l in layers if l.train_bias and l.bias}
    # Only the layers below the first trainable one can run quantized (int8 backbone):
    # from there on activations are float32 for the backward pass.
    nodes = graph.trainable_layers()
    first = min((i for i, n in enumerate(nodes) if n.inputs[1] in trained), default=len(nodes))
    layer_tensors: set[str] = set()
    frozen = []
    for depth, node in enumerate(nodes):
        weight = graph.tensors[node.inputs[1]]
        bias = node.inputs[2] if len(node.inputs) > 2 and graph.tensors[node.inputs[2]].is_const else None
        if weight.name in trained:
            continue
        layer_tensors.update({weight.name, bias} - {None})
        frozen.append((int(weight.size), _out_channels(graph, node), bias is not None, depth < first,
                       takes_rq_table(node.op, int(weight.shape[1]))))
    other = sum(max(int(t.size), 1) for name, t in graph.tensors.items()
                if t.is_const and name not in trained and name not in layer_tensors)
    trainable = sum(max(int(graph.tensors[name].size), 1) for name in trained if name)
    gains = 0
    for l in layers:
        for tensor in (l.weight, l.bias if l.train_bias and l.bias else None):
            binding = graph.tensors[tensor].binding if tensor else None
            if binding is not None and binding.sgd_gain((l.out_channels,)) is not None:
                gains += l.out_channels
    in_shape = graph.tensors[graph.input].shape
    return ModelFacts(
        arena_bytes=arena.arena_bytes, pool_bytes=arena.pool_bytes, trainable_elems=trainable,
        frozen_layers=tuple(frozen), other_const_elems=other, gain_elems=gains,
        layers=len(layers), in_channels=tuple(l.in_channels for l in layers),
        bias_grad_elems=sum(l.out_channels for l in layers if l.train_bias and l.bias),
        input_elems=int(math.prod(in_shape)), input_c=int(in_shape[0]) if in_shape else 1,
        classes=int(graph.tensors[graph.output].size),
        steps=len(program.steps) + len(forward.steps),
        out_channels=tuple(l.out_channels for l in layers),
        input_item_bytes=1 if input_quantizer(emitted) is not None else FLOAT_BYTES,
        int8=emitted.frozen == "int8", float_conv=any(n.op == "conv" for n in emitted.nodes),
        # mdy_conv2d_input_grad_f32 / _weight_grad_f32 link all their fast paths
        # (pointwise, KxK, depthwise) as soon as the program calls them at all
        kxk_grad_kinds=len({s.kind for s in program.steps
                            if s.kind in ("input_grad", "weight_grad") and s.node is not None
                            and s.node.op == "conv"}))


_EMITTED: dict[tuple[int, str, tuple[str, ...]], tuple[Graph, Graph]] = {}


def emitted_graph(graph: Graph, layers: list[TrainLayer], frozen: str) -> Graph:
    """The graph codegen compiles for `frozen` (quantize.quantize_graph, layout only),
    cached per graph and layers: a board plan predicts many candidate plans."""
    if frozen == "fp32":
        return graph
    from medyate.codegen.quantize import quantize_graph

    outputs = tuple(l.node.outputs[0] for l in layers)
    key = (id(graph), frozen, outputs)
    hit = _EMITTED.get(key)
    if hit is None or hit[0] is not graph:
        if len(_EMITTED) > 32:
            _EMITTED.clear()
        hit = (graph, quantize_graph(graph, outputs, None, layout_only=True))
        _EMITTED[key] = hit
    return hit[1]


def _out_channels(graph: Graph, node: Any) -> int:
    weight = graph.tensors[node.inputs[1]]
    return int(weight.shape[0])


def formula_regions(facts: ModelFacts, frozen: str = "fp32") -> dict[str, int]:
    """The model-dependent parts of every region (no calibrated constants)."""
    total_channels = max(sum(facts.in_channels), 1)
    max_in = max(facts.in_channels + (1,))
    layers_alloc = max(facts.layers, 1)
    max_out = max(facts.out_channels + (1,))
    gradient = (FLOAT_BYTES * facts.bias_grad_elems
                + sum(8 * c for c in facts.in_channels)      # sched u16 + slot i16 + norms f32
                + sum(4 * c for c in facts.out_channels)     # outs u16 + out_slot i16
                + 20 * layers_alloc                          # sched/out_count u16 + 4 pointers
                + 4 * max_in + max(max_in, max_out))         # norm_tmp f32 + seen u8
    app = (max(facts.input_item_bytes * facts.input_elems,        # sample / readback union
               FLOAT_BYTES * total_channels)
           + FLOAT_BYTES * facts.classes + 8 * facts.input_c
           + 2 * (2 * facts.layers + total_channels + sum(facts.out_channels)))
    frozen_bytes = sum(frozen_weight_bytes(e, o, b, frozen if below else "fp32", rq)
                       for e, o, b, below, rq in facts.frozen_layers)
    frozen_bytes += FLOAT_BYTES * (facts.other_const_elems + facts.gain_elems)
    return {"arena": facts.arena_bytes, "trainable_weights": FLOAT_BYTES * facts.trainable_elems,
            "gradient_buffers": gradient, "app_buffers": app, "runtime_static": 0, "stack": 0,
            "code": 0, "frozen_weights": frozen_bytes,
            "trainable_init": FLOAT_BYTES * facts.trainable_elems}


def predict(facts: ModelFacts, *, frozen: str = "fp32",
            calibration: Calibration | None = None,
            stack_bytes: int | None = None) -> Breakdown:
    """Predicted bytes per region: formulas + calibrated fixed parts (upper bounds)."""
    cal = calibration or Calibration.load()
    regions = formula_regions(facts, frozen)
    # five per-layer arrays (sched, slot, norms, outs, out_slot), each padded
    regions["gradient_buffers"] += cal.padding_per_layer_bytes * 5 * max(facts.layers, 1)
    regions["app_buffers"] += cal.app_fixed_bytes
    regions["runtime_static"] = cal.runtime_static_bytes
    regions["stack"] = cal.stack_bytes if stack_bytes is None else stack_bytes
    base = cal.code_base_bytes
    if not facts.float_conv and cal.code_base_no_float_conv_bytes is not None:
        base = cal.code_base_no_float_conv_bytes
    regions["code"] = int(math.ceil(base + cal.code_per_step_bytes * facts.steps
                                    + cal.code_per_kxk_grad_bytes * facts.kxk_grad_kinds
                                    + (cal.code_int8_bytes if facts.int8 else 0)))
    return Breakdown(regions, "predicted", {"frozen": frozen, "steps": facts.steps})


def predict_plan(graph: Graph, plan: Plan, *, frozen: str = "fp32", pool_bytes: int | None = None,
                 calibration: Calibration | None = None) -> Breakdown:
    """predict() for a plan document, with the channel pool compile gives it."""
    from medyate.codegen.emit_c import pool_bytes_for

    layers = resolve_layers(graph, plan)
    pool = pool_bytes if pool_bytes is not None else pool_bytes_for(layers, plan.budget_bytes)
    return predict(model_facts(graph, layers, pool, frozen), frozen=frozen, calibration=calibration)


if __name__ == "__main__":       # python -m medyate.host_tools.selection.device_memory
    from medyate.host_tools.selection.memory_calibration import main
    main()
