"""The constant side of model.c: flash constants and RAM weights (with their initial
values), the conv/pool parameter structs, and the compile-time size checks that tie each
constant array to the element count its kernel reads."""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from .c_literals import c_array, c_bytes, c_float
from .c_names import c_ident, c_text
from .emit_steps import EmitContext
from .errors import UnsupportedModelError
from .int8_emit import const_row_fields
from .ir import Graph, Node
from .ops.registry import C_EMIT
from .plan import TrainLayer


def const_rows(ctx: EmitContext, layers: list[TrainLayer]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(consts, trainables): one row per constant tensor, named in ctx.arrays; the plan
    layers' weights (and trained biases) are RAM trainables, everything else flash."""
    graph = ctx.graph
    trained = {l.weight for l in layers} | {l.bias for l in layers if l.train_bias and l.bias}
    consts: list[dict[str, Any]] = []
    trainables: list[dict[str, Any]] = []
    for name, t in graph.tensors.items():
        if not t.is_const:
            continue
        ident = f"{'T' if name in trained else 'K'}{len(consts) + len(trainables)}_{c_ident(name)[:40]}"
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
    return consts, trainables


def op_param_rows(ctx: EmitContext) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(conv_params, pool_params): the parameter struct of each conv (P<i>) and pool (Q<i>)
    node, named in ctx.params."""
    graph = ctx.graph
    for node in graph.nodes:
        if C_EMIT[node.op].params == "conv":
            ctx.params[id(node)] = f"P{len(ctx.params)}"
        elif C_EMIT[node.op].params == "pool":
            ctx.params[id(node)] = f"Q{len(ctx.params)}"
    conv_params = [{"name": ctx.params[id(n)], "init": _conv_init(graph, n)}
                   for n in graph.nodes if C_EMIT[n.op].params == "conv"]
    pool_params = [{"name": ctx.params[id(n)], "init": _pool_init(graph, n)}
                   for n in graph.nodes if C_EMIT[n.op].params == "pool"]
    return conv_params, pool_params


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


def size_checks(graph: Graph, arrays: dict[str, str]) -> list[dict[str, Any]]:
    """Static assertions: each constant array holds exactly what its kernel reads (a
    second line behind the importer's checks: a mismatch never reaches a device)."""
    rows = []
    for node in graph.nodes:
        for pos, length in CONST_LENGTHS.get(node.op, {}).items():
            if pos < len(node.inputs) and node.inputs[pos] in arrays:
                rows.append({"array": arrays[node.inputs[pos]], "expected": length(graph, node),
                             "tag": f"{len(rows)}", "what": c_text(f"{node.op} {node.name}", 60)})
    return rows
