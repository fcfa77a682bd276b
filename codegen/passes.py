"""Graph passes over the IR, separate from the graph object and from the emitters.

Each pass takes a Graph and rewrites it in place; ``optimize`` runs them in order.
Every pass keeps the ParamBinding of trainable parameters exact, so gradients and SGD
steps still refer to the ONNX initializers as stored in the file.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .ir import Graph, Node, ParamBinding, Tensor


def _single_consumer(graph: Graph, tensor: str) -> Node | None:
    consumers = graph.consumers(tensor)
    if len(consumers) != 1 or tensor == graph.output:
        return None
    return consumers[0]


def _remove_node(graph: Graph, node: Node, replacement: str) -> None:
    """Drop `node` (one output) and make its readers read `replacement` instead."""
    out = node.outputs[0]
    graph.nodes.remove(node)
    for other in graph.nodes:
        other.inputs = [replacement if i == out else i for i in other.inputs]
    if graph.output == out:
        graph.output = replacement


def fuse_gemm_bias(graph: Graph) -> None:
    """gemm without bias -> add_const of a per-output vector: the constant becomes the
    gemm's bias (MatMul + Add exported from a Linear layer). Its binding follows."""
    for node in list(graph.nodes):
        if node.op != "gemm" or len(node.inputs) != 2:
            continue
        nxt = _single_consumer(graph, node.outputs[0])
        if nxt is None or nxt.op != "add_const":
            continue
        const = graph.tensors[nxt.inputs[1]]
        node.inputs.append(const.name)
        node.origin += nxt.origin
        _remove_node(graph, nxt, node.outputs[0])
        node.outputs[0], old = nxt.outputs[0], node.outputs[0]
        _rename(graph, old, node.outputs[0], keep=node)


def _rename(graph: Graph, old: str, new: str, keep: Node) -> None:
    for other in graph.nodes:
        if other is not keep:
            other.inputs = [new if i == old else i for i in other.inputs]
    if graph.output == old:
        graph.output = new


def fold_batchnorm(graph: Graph) -> None:
    """conv/gemm -> affine (a frozen BatchNorm): scale the weight and bias per output
    channel. The weight binding records the scale (gradients w.r.t. the stored weight are
    scale * IR gradient); a layer without a bias gets one bound to the BN's beta."""
    for node in list(graph.nodes):
        if node.op not in ("conv", "gemm"):
            continue
        bn = _single_consumer(graph, node.outputs[0])
        if bn is None or bn.op != "affine" or node.attrs.get("act") is not None:
            continue
        scale = bn.attrs["scale64"]
        shift = bn.attrs["shift64"]
        w = graph.tensors[node.inputs[1]]
        w.data = (w.data.astype(np.float64) * scale.reshape((-1,) + (1,) * (w.data.ndim - 1))
                  ).astype(np.float32)
        if w.binding is not None:
            w.binding.out_scale = scale if w.binding.out_scale is None else w.binding.out_scale * scale
        if len(node.inputs) > 2:
            b = graph.tensors[node.inputs[2]]
            b.data = (b.data.astype(np.float64) * scale + shift).astype(np.float32)
            if b.binding is not None:
                b.binding.out_scale = (scale if b.binding.out_scale is None
                                       else b.binding.out_scale * scale)
        else:
            # a BatchNorm's beta becomes the layer's trainable bias (d b' / d beta = 1); a
            # constant scale (Mul/Div) leaves a frozen zero bias
            beta_name = bn.attrs["bn_beta"]
            name = f"{beta_name or node.outputs[0]}.folded_bias"
            binding = ParamBinding(beta_name, (len(shift),)) if beta_name else None
            graph.tensors[name] = Tensor(name, (len(shift),), shift.astype(np.float32), binding)
            node.inputs.append(name)
        node.origin += bn.origin
        out = bn.outputs[0]
        graph.nodes.remove(bn)
        _rename(graph, node.outputs[0], out, keep=node)
        node.outputs[0] = out
        graph.tensors[out] = Tensor(out, graph.tensors[out].shape)


def fuse_activations(graph: Graph) -> None:
    """conv/gemm -> clamp becomes one conv/gemm with a fused clamp (the mask is then
    taken from the fused output)."""
    for node in list(graph.nodes):
        if node.op not in ("conv", "gemm") or node.attrs.get("act") is not None:
            continue
        act = _single_consumer(graph, node.outputs[0])
        if act is None or act.op != "clamp":
            continue
        node.attrs["act"] = (act.attrs["lo"], act.attrs["hi"])
        node.origin += act.origin
        out = act.outputs[0]
        graph.nodes.remove(act)
        _rename(graph, node.outputs[0], out, keep=node)
        node.outputs[0] = out


def drop_dead_nodes(graph: Graph) -> None:
    """Remove nodes whose outputs never reach the graph output."""
    needed = {graph.output}
    for node in reversed(list(graph.nodes)):
        if any(o in needed for o in node.outputs):
            needed.update(node.inputs)
        else:
            graph.nodes.remove(node)


PASSES: list[Callable[[Graph], None]] = [drop_dead_nodes, fuse_gemm_bias, fold_batchnorm,
                                         fuse_activations]


def optimize(graph: Graph) -> Graph:
    for apply in PASSES:
        apply(graph)
    graph.prune_unused_tensors()
    return graph
