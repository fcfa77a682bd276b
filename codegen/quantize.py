"""Post-training quantization of the frozen backbone (``--frozen int8``).

The int8 region is the prefix of the graph below the deepest trainable layer: the nodes
before the first one whose output needs a gradient (and before the first op without an
int8 kernel). `quantize_graph` calibrates the float graph on sample data (per-tensor
min/max of every activation of the region), then rewrites the region into the int8 ops
of codegen/ops/qint8.py:

* weights: symmetric int8 per output channel, bias int32 at in_scale * w_scale[o];
* activations: asymmetric int8, one (scale, zero point) per tensor from the calibrated
  range (always containing 0); max/avg/global pools, reshapes and standalone clamps
  keep their input's parameters;
* requantization: Q31 multiplier + shift per output channel (int8_math.quantize_multiplier);
  a Gemm of 4..12 inputs keeps bias and requantization as one prepared table instead
  (int8_math.gemm_rq_table, mdy_gemm_s8_rq), unless a channel is off its range;
  residual adds rescale both sides as TFLite's int8 Add (left shift 20);
* the network input is quantized on entry; every region tensor read by the float part
  (the first trainable layer's input, a skip branch, ...) is dequantized under its float
  name, so the float part of the graph, the plan and the TrainLayers are unchanged.

The same rewritten Graph drives the reference executor, the C emitter and so every
target: reference == host == device on int8 builds, bit-exact inside the region.
`frozen_weight_bytes` is the flash formula of the frozen weights (for the planner).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np

from .errors import MedyateError
from .int8_math import (clamp_range, gemm_rq_table, quantize_act_range, quantize_f32,
                        quantize_multiplier, quantize_weights_per_channel, takes_rq_table)
from .ir import Graph, Node, Tensor
from .ops.registry import IR_OPS, load_all

FROZEN_CHOICES = ("fp32", "int8")
#: ops with an int8 kernel; the region stops at the first other op
INT8_OPS = ("conv", "gemm", "add", "maxpool", "avgpool", "gap", "clamp", "reshape")
#: mdy_conv2d_s8 keeps one int32 accumulator row on the stack
MAX_CONV_ROW = 512
ADD_LEFT_SHIFT = 20
CALIBRATION_SAMPLES = 256


class QuantizationError(MedyateError):
    """The model cannot be quantized as asked (e.g. no calibration data)."""


@dataclass
class _Rewrite:
    src: Graph
    tensors: dict[str, Tensor]
    nodes: list[Node] = field(default_factory=list)
    qparams: dict[str, tuple[float, int]] = field(default_factory=dict)   # float name ->
    qname: dict[str, str] = field(default_factory=dict)                   # int8 tensor

    def int8_tensor(self, name: str, scale: float, zp: int) -> str:
        q = f"{name}@q8"
        self.tensors[q] = Tensor(q, self.src.tensors[name].shape, dtype="int8")
        self.qparams[name] = (scale, zp)
        self.qname[name] = q
        return q

    def const(self, name: str, data: np.ndarray, dtype: str) -> str:
        self.tensors[name] = Tensor(name, tuple(data.shape), data=data, dtype=dtype)
        return name


def requires_grad(graph: Graph, layer_outputs: Iterable[str]) -> set[str]:
    """Tensors that need a gradient: the plan layers' outputs and everything after them."""
    needed = set(layer_outputs)
    for node in graph.nodes:
        if node.outputs[0] in needed or any(i in needed for i in node.inputs):
            needed.add(node.outputs[0])
    return needed


def int8_region(graph: Graph, layer_outputs: Iterable[str]) -> list[Node]:
    """The frozen prefix that runs in int8 (empty when it holds no conv/gemm)."""
    load_all()
    needs = requires_grad(graph, layer_outputs)
    region: list[Node] = []
    for node in graph.nodes:
        if node.outputs[0] in needs or node.op not in INT8_OPS or not _has_kernel(graph, node):
            break
        region.append(node)
    return region if any(n.op in ("conv", "gemm") for n in region) else []


def _has_kernel(graph: Graph, node: Node) -> bool:
    if node.op == "conv":
        return graph.tensors[node.outputs[0]].shape[2] <= MAX_CONV_ROW
    if node.op == "maxpool":
        return tuple(node.attrs["dilations"]) == (1, 1)
    if node.op == "add":
        acts = [i for i in node.inputs if not graph.tensors[i].is_const]
        return len(acts) == 2 and graph.tensors[acts[0]].shape == graph.tensors[acts[1]].shape
    return True


def calibrate(graph: Graph, region: list[Node], xs: np.ndarray) -> dict[str, tuple[float, float]]:
    """Per-tensor (min, max) over the samples of the float forward through the region."""
    shape = graph.tensors[graph.input].shape
    xs = np.asarray(xs, np.float32).reshape((-1,) + tuple(shape))
    if len(xs) > CALIBRATION_SAMPLES:     # evenly spread: DATA may be sorted by class
        xs = xs[np.linspace(0, len(xs) - 1, CALIBRATION_SAMPLES).astype(np.int64)]
    if not len(xs):
        raise QuantizationError("int8 calibration needs at least one sample")
    ranges: dict[str, tuple[float, float]] = {}

    def note(name: str, v: np.ndarray) -> None:
        lo, hi = float(v.min()), float(v.max())
        old = ranges.get(name)
        ranges[name] = (lo, hi) if old is None else (min(lo, old[0]), max(hi, old[1]))

    for x in xs:
        env = {graph.input: x.astype(np.float64)}
        note(graph.input, env[graph.input])
        for node in region:
            ins = [env[i] for i in node.inputs if not graph.tensors[i].is_const]
            params = [graph.tensors[i].data.astype(np.float64) for i in node.inputs
                      if graph.tensors[i].is_const]
            y, _ = IR_OPS[node.op].forward(node, ins, params)
            env[node.outputs[0]] = y
            note(node.outputs[0], y)
    return ranges


# ------------------------------------------------------------------ per-op rewrites
Quantizer = Callable[[_Rewrite, Node, dict[str, tuple[float, float]]], None]
QUANTIZERS: dict[str, Quantizer] = {}


def _quantizes(*ops: str) -> Callable[[Quantizer], Quantizer]:
    def register(fn: Quantizer) -> Quantizer:
        for op in ops:
            QUANTIZERS[op] = fn
        return fn
    return register


def _acts(rw: _Rewrite, node: Node) -> list[str]:
    return [i for i in node.inputs if not rw.src.tensors[i].is_const]


def act_params(graph: Graph, name: str, ranges: dict[str, tuple[float, float]]) -> tuple[float, int]:
    """A QDQ model's own (scale, zero point) for the tensor, else the calibrated range's."""
    given = graph.quant_given.get(name)
    if given is not None:
        return given
    if name not in ranges:
        raise QuantizationError(f"no quantization for '{name}': --frozen int8 needs "
                                "calibration data (--data or --inputs)")
    return quantize_act_range(*ranges[name])


def _out_params(rw: _Rewrite, node: Node, ranges: dict[str, tuple[float, float]]) -> tuple[float, int]:
    return act_params(rw.src, node.outputs[0], ranges)


def given_weights(graph: Graph, name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """A QDQ model's int8 weight (oriented as the IR's) and per-output scales, if it
    dequantizes to exactly the IR weight with zero points 0 (else None: re-quantize)."""
    given = graph.weight_given.get(name)
    if given is None:
        return None
    values, scale, zp, axis = given
    w = graph.tensors[name].data.astype(np.float64)
    if np.any(zp != 0) or values.min() < -128 or values.max() > 127:
        return None
    candidates = [(values, axis)]
    if values.ndim == 2:
        candidates.append((values.T, 1 - axis))
    for v, ax in candidates:
        if v.shape != w.shape or (scale.size > 1 and (ax != 0 or scale.size != w.shape[0])):
            continue
        ws = np.broadcast_to(scale, (w.shape[0],)).astype(np.float64)
        deq = v * ws.reshape((-1,) + (1,) * (w.ndim - 1))
        if np.allclose(deq, w, rtol=1e-5, atol=1e-6 * max(np.abs(w).max(), 1e-12)):
            return v.astype(np.int8), ws.astype(np.float32)
    return None


@_quantizes("conv", "gemm")
def _q_linear(rw: _Rewrite, node: Node, ranges: dict[str, tuple[float, float]]) -> None:
    x = _acts(rw, node)[0]
    s_in, zp_in = rw.qparams[x]
    w = rw.src.tensors[node.inputs[1]].data.astype(np.float64)
    b = (rw.src.tensors[node.inputs[2]].data.astype(np.float64) if len(node.inputs) > 2
         else np.zeros(w.shape[0]))
    s_out, zp_out = _out_params(rw, node, ranges)
    given = given_weights(rw.src, node.inputs[1])      # a QDQ model's own int8 weights
    wq, ws = given if given is not None else quantize_weights_per_channel(w)
    bias_scale = s_in * ws.astype(np.float64)
    bq = np.clip(np.floor(np.abs(b / bias_scale) + 0.5) * np.sign(b), -(2 ** 31), 2 ** 31 - 1)
    mults = [quantize_multiplier(float(m)) for m in bias_scale / s_out]
    act_min, act_max = clamp_range(node.attrs.get("act"), s_out, zp_out)
    base = f"{node.name}@"
    mult = np.array([m for m, _ in mults], np.int32)
    shift = np.array([s for _, s in mults], np.int32)
    table = gemm_rq_table(bq, mult, shift, zp_out) if takes_rq_table(node.op, w.shape[1]) else None
    if table is not None:     # a small classifier: bias and requantization in one table
        inputs = [rw.qname[x], rw.const(base + "w8", wq, "int8"), rw.const(base + "rq", table, "int32")]
    else:
        inputs = [rw.qname[x],
                  rw.const(base + "w8", wq, "int8"),
                  rw.const(base + "b32", bq.astype(np.int32), "int32"),
                  rw.const(base + "mult", mult, "int32"),
                  rw.const(base + "shift", shift, "int32")]
    y = rw.int8_tensor(node.outputs[0], s_out, zp_out)
    attrs = dict(node.attrs, act=None, in_zp=zp_in, out_zp=zp_out, act_min=act_min,
                 act_max=act_max, w_scale=ws, rq=table is not None)
    rw.nodes.append(Node(node.name, "q" + node.op, inputs, [y], attrs, list(node.origin)))


@_quantizes("add")
def _q_add(rw: _Rewrite, node: Node, ranges: dict[str, tuple[float, float]]) -> None:
    a, b = _acts(rw, node)
    (sa, za), (sb, zb) = rw.qparams[a], rw.qparams[b]
    s_out, zp_out = _out_params(rw, node, ranges)
    twice_max = 2.0 * max(sa, sb)
    ma, sha = quantize_multiplier(sa / twice_max)
    mb, shb = quantize_multiplier(sb / twice_max)
    mo, sho = quantize_multiplier(twice_max / ((1 << ADD_LEFT_SHIFT) * s_out))
    act_min, act_max = clamp_range(node.attrs.get("act"), s_out, zp_out)
    y = rw.int8_tensor(node.outputs[0], s_out, zp_out)
    rw.nodes.append(Node(node.name, "qadd", [rw.qname[a], rw.qname[b]], [y], {
        "zp_a": za, "zp_b": zb, "zp_out": zp_out, "mult_a": ma, "shift_a": sha,
        "mult_b": mb, "shift_b": shb, "mult_out": mo, "shift_out": sho,
        "left_shift": ADD_LEFT_SHIFT, "act_min": act_min, "act_max": act_max},
        list(node.origin)))


@_quantizes("maxpool", "avgpool", "gap", "clamp", "reshape")
def _q_same_scale(rw: _Rewrite, node: Node, ranges: dict[str, tuple[float, float]]) -> None:
    x = _acts(rw, node)[0]
    scale, zp = rw.qparams[x]
    y = rw.int8_tensor(node.outputs[0], scale, zp)
    attrs = dict(node.attrs, zp=zp)
    op = {"maxpool": "qmaxpool", "avgpool": "qavgpool", "gap": "qgap", "clamp": "qclamp",
          "reshape": "reshape"}[node.op]
    if node.op == "clamp":
        attrs["qlo"], attrs["qhi"] = clamp_range((node.attrs["lo"], node.attrs["hi"]), scale, zp)
    rw.nodes.append(Node(node.name, op, [rw.qname[x]], [y], attrs, list(node.origin)))


def _c_float(v: float) -> str:
    return f"{float(np.float32(v))!r}f"


class _LayoutRanges(dict):
    """Every activation in [-1, 1]: for layout_only rewrites, whose sizes and steps do not
    depend on the quantization parameters."""

    def __contains__(self, name: object) -> bool:
        return True

    def __missing__(self, name: str) -> tuple[float, float]:
        return (-1.0, 1.0)


def quantize_graph(graph: Graph, layer_outputs: Iterable[str], calibration: np.ndarray | None,
                   *, layout_only: bool = False) -> Graph:
    """The graph with its frozen prefix in int8 (the graph itself if that prefix is
    empty). layer_outputs: the plan layers' output tensors (TrainLayer.node.outputs[0]).
    layout_only: no calibration, placeholder scales: the graph codegen would emit, exact
    in every tensor size, constant size and step (host_tools/selection/device_memory.py
    predicts the arena on it), but not to be run."""
    region = int8_region(graph, layer_outputs)
    if not region:
        return graph
    # a QDQ model brings its own scales; calibration fills in whatever it leaves open
    if layout_only:
        ranges: dict[str, tuple[float, float]] = _LayoutRanges()
    else:
        ranges = calibrate(graph, region, calibration) if calibration is not None else {}
    rw = _Rewrite(graph, dict(graph.tensors))
    s_in, zp_in = act_params(graph, graph.input, ranges)
    q_in = rw.int8_tensor(graph.input, s_in, zp_in)
    rw.nodes.append(Node("quantize_input", "quantize", [graph.input], [q_in], {
        "scale": s_in, "zp": zp_in, "inv_c": _c_float(np.float32(1.0) / np.float32(s_in))}))
    for node in region:
        QUANTIZERS[node.op](rw, node, ranges)
    produced = {graph.input} | {n.outputs[0] for n in region}
    rest = graph.nodes[len(region):]
    read_after = {i for n in rest for i in n.inputs} | {graph.output}
    for name in sorted(produced & read_after, key=lambda t: list(rw.qname).index(t)):
        scale, zp = rw.qparams[name]
        if name == graph.input:
            raise QuantizationError(f"the network input '{name}' is read by the float part "
                                    "directly: nothing to quantize in front of it")
        rw.nodes.append(Node(f"dequantize_{name}", "dequantize", [rw.qname[name]], [name],
                             {"scale": scale, "zp": zp, "scale_c": _c_float(scale)}))
    out = copy.copy(graph)
    out.tensors = rw.tensors
    out.nodes = rw.nodes + list(rest)
    out.frozen = "int8"
    out.quant = {name: {"scale": s, "zero_point": z} for name, (s, z) in rw.qparams.items()}
    out.prune_unused_tensors()
    return out


def frozen_choice(option: str | None, plan: Any) -> str:
    """--frozen if given, else the plan's "frozen" entry, else fp32."""
    choice = option or (plan.extra.get("frozen") if plan is not None else None) or "fp32"
    if choice not in FROZEN_CHOICES:
        raise QuantizationError(f"frozen layers '{choice}': choose {' or '.join(FROZEN_CHOICES)}")
    return str(choice)


def apply_frozen(graph: Graph, plan: Any, frozen: str, calibration: np.ndarray | None,
                 *, layout_only: bool = False) -> Graph:
    """The graph every target compiles for `frozen`: itself (fp32) or with its frozen
    prefix quantized, calibrated on `calibration` (N samples of the model's input);
    layout_only: see quantize_graph."""
    if frozen == "fp32":
        return graph
    from .plan import resolve_layers
    layers = resolve_layers(graph, plan)
    return quantize_graph(graph, [l.node.outputs[0] for l in layers], calibration,
                          layout_only=layout_only)


def input_quantizer(graph: Graph) -> Node | None:
    """The node that quantizes the network input when it is the graph's first node and
    the input's only reader (every int8 build: quantize_graph puts it there and refuses a
    float part that reads the input). Such a model takes its input as int8: the device
    keeps the sample at 1 byte per element (model_*_s8, docs/protocol.md encoding 2) and
    the arena holds no float copy of it."""
    if not graph.nodes:
        return None
    first = graph.nodes[0]
    if first.op != "quantize" or first.inputs[0] != graph.input:
        return None
    if any(graph.input in n.inputs for n in graph.nodes[1:]) or graph.output == graph.input:
        return None
    return first


def quantize_input_samples(graph: Graph, x: np.ndarray) -> np.ndarray:
    """Samples of the float input quantized exactly as the graph's quantize node does
    (the reference executor's op, == mdy_quantize_s8): (N, *input shape) int8."""
    node = input_quantizer(graph)
    if node is None:
        raise QuantizationError("the model does not take int8 input (no int8 backbone at its input)")
    shape = tuple(graph.tensors[graph.input].shape)
    xs = np.asarray(x, np.float32).reshape((-1,) + shape)
    return quantize_f32(xs, node.attrs["scale"], node.attrs["zp"])


def quant_key(graph: Graph) -> str:
    """What an int8 build adds to the model hash (empty for fp32 builds)."""
    if graph.frozen == "fp32":
        return ""
    return "|int8:" + ",".join(f"{k}={v['scale']!r}/{v['zero_point']}"
                               for k, v in sorted(graph.quant.items()))


def frozen_weight_bytes(graph: Graph, layer_weights: Iterable[str], frozen: str) -> int:
    """Flash bytes of the frozen (non-plan) weights of a FLOAT graph, as compiled with
    `frozen` ("fp32" or "int8"). layer_weights: the plan's ONNX weight names.

    int8: each int8-region conv/gemm stores its weights as int8 plus 12 bytes per output
    channel (int32 bias, multiplier, shift), 16 for a gemm of 4..12 inputs (its prepared
    table; 12 if a channel is off the table's range, which only calibration tells); frozen conv/gemm outside the region (above
    the deepest plan layer) and every other constant stay float32 (4 bytes/element). The
    plan layers' own weights are not counted (they live in RAM and their initial values
    in flash, counted with the trainable weights)."""
    if frozen not in FROZEN_CHOICES:
        raise QuantizationError(f"unknown --frozen '{frozen}' (choose {', '.join(FROZEN_CHOICES)})")
    names = set(layer_weights)
    trained_nodes = [n for n in graph.trainable_layers()
                     if graph.tensors[n.inputs[1]].binding.onnx_name in names]  # type: ignore[union-attr]
    trained = {i for n in trained_nodes for i in n.inputs[1:]}
    region = int8_region(graph, [n.outputs[0] for n in trained_nodes]) if frozen == "int8" else []
    int8_consts: dict[str, int] = {}
    for node in region:
        if node.op in ("conv", "gemm"):
            out_c = graph.tensors[node.inputs[1]].shape[0]
            int8_consts[node.inputs[1]] = graph.tensors[node.inputs[1]].size
            per_channel = 16 if takes_rq_table(node.op, graph.tensors[node.inputs[1]].shape[1]) else 12
            int8_consts[node.inputs[2] if len(node.inputs) > 2 else f"{node.name}@b"] = per_channel * out_c
    total = sum(int8_consts.values())
    for name, t in graph.tensors.items():
        if t.is_const and name not in trained and name not in int8_consts:
            total += 4 * t.size
    return int(total)


__all__ = ["FROZEN_CHOICES", "QuantizationError", "apply_frozen", "calibrate",
           "frozen_choice", "frozen_weight_bytes", "input_quantizer", "int8_region", "quant_key",
           "quantize_graph", "quantize_input_samples", "requires_grad"]
