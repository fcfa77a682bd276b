"""Concat on the channel axis (the first per-sample axis: channels of an image, features
of a vector), as in Inception, SqueezeNet's fire modules, DenseNet and ShuffleNetV2.
Per sample the inputs are contiguous blocks of the output, so the forward is one memcpy
per input and the gradient of input i is the block of dy at its offset.

IR op ``concat``: attrs offsets, sizes (elements per input). A layer scheduled after a
Concat saves planes of the concatenated tensor, which are the producers' planes.
In place: an input whose storage holds it alone becomes a view inside the output buffer
(training.py), so its producer writes straight there and the Concat copies nothing for it.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Node
from .common import per_sample_axis
from .registry import CEmit, OpDef, c_emit, ir_op, onnx_op


@onnx_op("Concat", checked_opset=28)
def import_concat(node: Any, ctx: Any) -> None:
    names = [n for n in node.input if n]
    if any(ctx.const(n) is not None for n in names):
        raise ctx.fail("a constant input", "only activations can be concatenated")
    xs = [ctx.act(n) for n in names]
    shapes = [ctx.shape(x) for x in xs]
    axis = per_sample_axis(ctx, int(ctx.attr("axis", 1)), len(shapes[0]) + 1)
    if axis != 0 or any(s[1:] != shapes[0][1:] or len(s) != len(shapes[0]) for s in shapes):
        raise ctx.fail(f"Concat of {shapes} on axis {axis + 1}",
                       "only the channel axis (1) of same-size tensors is supported")
    if len(xs) == 1:
        ctx.alias(node.output[0], xs[0])
        return
    sizes = [int(np.prod(s)) for s in shapes]
    offsets = [int(v) for v in np.cumsum([0] + sizes[:-1])]
    ctx.emit("concat", xs, node.output[0], {"offsets": tuple(offsets), "sizes": tuple(sizes)})


def _shape(node: Node, s: list[tuple[int, ...]]) -> tuple[int, ...]:
    return (sum(x[0] for x in s),) + tuple(s[0][1:])


def _backward(node: Node, dy: np.ndarray, aux: Any, shapes: list[tuple[int, ...]],
              params: list[np.ndarray]) -> list[np.ndarray | None]:
    flat = dy.reshape(-1)
    return [flat[o:o + n].reshape(s) for o, n, s in
            zip(node.attrs["offsets"], node.attrs["sizes"], shapes)]


ir_op(OpDef("concat", _shape, lambda node, xs, p: (np.concatenate(xs, axis=0), None), _backward))
c_emit("concat", CEmit(
    forward="{% for x in xs %}{% if not in_place[loop.index0] %}memcpy({{y}} + "
            "{{node.attrs.offsets[loop.index0]}}u, {{x}}, {{node.attrs.sizes[loop.index0]}}u "
            "* sizeof(float)); {% endif %}{% endfor %}",
    input_grad="memcpy({{dx}}, {{dy}} + {{node.attrs.offsets[index]}}u, "
               "{{node.attrs.sizes[index]}}u * sizeof(float));"))
