"""The plan (which layers may train) and the schedule (which channels train this epoch):
loading, validation against a graph, and the per-layer facts both need."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import PlanError
from .formats.jsonfile import read_json_file
from .formats.plan_doc import PLAN_FORMAT, check_plan
from .formats.schedule_doc import SCHEDULE_FORMAT, check_schedule
from .ir import Graph, Node

FLOAT_BYTES = 4


def read_json(path: str | Path, what: str) -> dict[str, Any]:
    """A JSON object from a file (strict UTF-8 JSON: formats/jsonfile.py), or a one-line
    error naming the file."""
    data = read_json_file(path, what)
    if not isinstance(data, dict):
        raise PlanError(f"{what} {path} must hold a JSON object")
    return data


@dataclass
class TrainLayer:
    """One plan layer, resolved against the IR."""

    index: int
    node: Node
    weight: str                 # IR tensor
    bias: str | None            # IR tensor (None: the layer has no bias)
    train_bias: bool
    input: str                  # IR tensor the layer reads
    onnx_weight: str
    onnx_bias: str | None
    in_channels: int
    out_channels: int
    slice_elems: int            # dW elements per input channel
    plane_elems: int            # saved activation elements per input channel
    input_elems: int            # the whole input activation

    @property
    def kind(self) -> str:
        return self.node.op

    @property
    def channel_cost_bytes(self) -> int:
        return FLOAT_BYTES * (self.slice_elems + self.plane_elems)


@dataclass
class Plan:
    budget_bytes: int
    layers: list[dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def load(path: str | Path) -> "Plan":
        return Plan.from_dict(read_json(path, "plan"), f"plan {path}")

    @staticmethod
    def from_dict(data: dict[str, Any], where: str = "plan") -> "Plan":
        """Checked against the plan schema (formats/plan_doc.py); the layer entries are
        kept as given (extra keys round-trip)."""
        doc = check_plan(data, where)
        extra = {k: v for k, v in data.items() if k not in ("format", "layers", "budget_bytes")}
        return Plan(doc.budget_bytes, [dict(l) for l in data["layers"]], extra)

    @staticmethod
    def all_layers(graph: Graph, budget_bytes: int = 0) -> "Plan":
        """Every Conv/Gemm of the graph, training its bias where it has one."""
        layers = []
        for node in graph.trainable_layers():
            has_bias = len(node.inputs) > 2 and graph.tensors[node.inputs[2]].binding is not None
            layers.append({"weight": graph.tensors[node.inputs[1]].binding.onnx_name,  # type: ignore[union-attr]
                           "bias": has_bias})
        return Plan(budget_bytes, layers)

    def to_dict(self) -> dict[str, Any]:
        return {"format": PLAN_FORMAT, "budget_bytes": self.budget_bytes,
                "layers": self.layers, **self.extra}


def resolve_layers(graph: Graph, plan: Plan) -> list[TrainLayer]:
    """Plan entries -> TrainLayers, with a clear error for anything that does not match."""
    available = {graph.tensors[n.inputs[1]].binding.onnx_name: n  # type: ignore[union-attr]
                 for n in graph.trainable_layers()}
    seen: set[str] = set()
    result: list[TrainLayer] = []
    for index, entry in enumerate(plan.layers):
        name = entry["weight"]
        if name in seen:
            raise PlanError(f"plan lists weight '{name}' twice")
        seen.add(name)
        node = available.get(name)
        if node is None:
            hint = ", ".join(sorted(available)[:8])
            raise PlanError(f"plan names weight '{name}', which is not the weight of a "
                            f"Conv/Gemm in the model (trainable weights: {hint}"
                            f"{', ...' if len(available) > 8 else ''})")
        result.append(_train_layer(graph, node, index, bool(entry.get("bias", False))))
    return result


def _train_layer(graph: Graph, node: Node, index: int, train_bias: bool) -> TrainLayer:
    w = graph.tensors[node.inputs[1]]
    bias = node.inputs[2] if len(node.inputs) > 2 else None
    bias_binding = graph.tensors[bias].binding if bias else None
    if train_bias and bias_binding is None:
        raise PlanError(f"plan trains the bias of '{w.binding.onnx_name}', but that layer "  # type: ignore[union-attr]
                        "has no bias initializer: set \"bias\": false")
    x_shape = graph.tensors[node.inputs[0]].shape
    if node.op == "conv":
        o, cg, kh, kw = w.shape
        slice_elems = (o // node.attrs["group"]) * kh * kw
        plane = x_shape[1] * x_shape[2]
    else:
        o = w.shape[0]
        slice_elems, plane = o, 1
    return TrainLayer(index, node, w.name, bias, train_bias, node.inputs[0],
                      w.binding.onnx_name, bias_binding.onnx_name if bias_binding else None,  # type: ignore[union-attr]
                      x_shape[0], o, slice_elems, plane, int(np.prod(x_shape)))


def _check_channels(chans: list[int], layer: TrainLayer, count: int, what: str) -> None:
    bad = [c for c in chans if not 0 <= c < count]
    if bad:
        raise PlanError(f"schedule: {what} {bad[0]} of '{layer.onnx_weight}' is out of range "
                        f"(the layer has {count} {what}s)")
    seen: set[int] = set()
    for c in chans:
        if c in seen:
            raise PlanError(f"schedule: '{layer.onnx_weight}' lists {what} {c} twice")
        seen.add(c)


@dataclass
class Schedule:
    channels: dict[str, list[int]]
    epoch: int = 0
    output_channels: dict[str, list[int]] = field(default_factory=dict)

    @staticmethod
    def load(path: str | Path) -> "Schedule":
        return Schedule.from_dict(read_json(path, "schedule"), f"schedule {path}")

    @staticmethod
    def from_dict(data: dict[str, Any], where: str = "schedule") -> "Schedule":
        """Checked against the schedule schema (formats/schedule_doc.py)."""
        doc = check_schedule(data, where)
        return Schedule({k: list(v) for k, v in doc.channels.items()}, doc.epoch,
                        {k: list(v) for k, v in doc.output_channels.items()})

    @staticmethod
    def full(layers: list[TrainLayer]) -> "Schedule":
        return Schedule({l.onnx_weight: list(range(l.in_channels)) for l in layers})

    def for_layers(self, layers: list[TrainLayer]) -> list[np.ndarray]:
        """Channel lists in plan order, validated (range, duplicates, unknown layers)."""
        by_name = {l.onnx_weight: l for l in layers}
        for name in list(self.channels) + list(self.output_channels):
            if name not in by_name:
                raise PlanError(f"schedule names weight '{name}', which is not a layer of the plan")
        result = []
        for layer in layers:
            _check_channels(self.output_channels.get(layer.onnx_weight, []), layer,
                            layer.out_channels, "output channel")
            chans = self.channels.get(layer.onnx_weight, [])
            _check_channels(chans, layer, layer.in_channels, "input channel")
            result.append(np.asarray(chans, dtype=np.int64))
        return result

    def outputs_for_layers(self, layers: list[TrainLayer]) -> list[np.ndarray]:
        """Output-channel (NEq neuron) lists in plan order, validated like for_layers."""
        self.for_layers(layers)
        return [np.asarray(self.output_channels.get(l.onnx_weight, []), dtype=np.int64)
                for l in layers]

    def output_cost_bytes(self, layers: list[TrainLayer]) -> int:
        """Pool bytes of the output-channel slots: a layer with any pays its whole input
        once plus one weight row per output channel (host_tools/selection/budget.py)."""
        total = 0
        for layer, outs in zip(layers, self.outputs_for_layers(layers)):
            if len(outs):
                row = layer.slice_elems * layer.in_channels // layer.out_channels
                total += FLOAT_BYTES * (layer.input_elems + len(outs) * row)
        return total

    def cost_bytes(self, layers: list[TrainLayer]) -> int:
        by_name = {l.onnx_weight: l for l in layers}
        return sum(len(v) * by_name[k].channel_cost_bytes for k, v in self.channels.items()
                   if k in by_name) + self.output_cost_bytes(layers)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"format": SCHEDULE_FORMAT, "epoch": self.epoch,
                               "channels": self.channels}
        if self.output_channels:
            out["output_channels"] = self.output_channels
        return out
