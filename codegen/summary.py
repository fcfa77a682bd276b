"""What `medyate import` prints: per layer shapes, parameters, MACs and trainability."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .ir import Graph
from .ops.registry import IR_OPS
from .plan import Plan, resolve_layers


@dataclass
class LayerRow:
    name: str
    op: str
    out_shape: tuple[int, ...]
    params: int
    macs: int
    trainable: str          # ONNX weight name, or ""
    channels: int           # schedulable input channels
    channel_cost: int       # bytes per channel (saved plane + dW slice)


def summarize(graph: Graph) -> list[LayerRow]:
    layers = {l.node.outputs[0]: l for l in resolve_layers(graph, Plan.all_layers(graph))}
    rows = []
    for node in graph.nodes:
        in_shapes = [graph.tensors[i].shape for i in node.inputs]
        out_shape = graph.tensors[node.outputs[0]].shape
        params = sum(graph.tensors[i].size for i in node.inputs if graph.tensors[i].is_const)
        layer = layers.get(node.outputs[0])
        op = node.op + (f"+clamp{tuple(node.attrs['act'])}" if node.attrs.get("act") else "")
        if node.op == "conv" and node.attrs["group"] > 1:
            op += f" g={node.attrs['group']}"
        rows.append(LayerRow(node.name, op, out_shape, params,
                             IR_OPS[node.op].macs(node, in_shapes, out_shape),
                             layer.onnx_weight if layer else "",
                             layer.in_channels if layer else 0,
                             layer.channel_cost_bytes if layer else 0))
    return rows


def totals(rows: list[LayerRow]) -> dict[str, int]:
    return {"params": int(np.sum([r.params for r in rows])),
            "macs": int(np.sum([r.macs for r in rows])),
            "trainable_layers": sum(1 for r in rows if r.trainable)}
