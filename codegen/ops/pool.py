"""MaxPool, AveragePool, GlobalAveragePool and ReduceMean over H,W: importers and
numpy reference.

IR ops ``maxpool`` / ``avgpool`` (attrs kernel, strides, pads (t, l, b, r), dilations,
count_include_pad; ceil_mode resolved into the output shape) and ``gap`` (global
average over H, W; output (C, 1, 1) or (C,)).
Backward keeps: maxpool the argmax inside each window (1 byte per output), the others
nothing. C kernels: mdy_maxpool2d_f32(+_grad), mdy_avgpool2d_f32(+_grad),
mdy_global_avgpool_f32(+_grad).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Node
from .conv import resolve_auto_pad
from .registry import CEmit, OpDef, c_emit, ir_op, onnx_op


def _out(size: int, k: int, s: int, p0: int, p1: int, d: int, ceil: bool) -> int:
    span = size + p0 + p1 - d * (k - 1) - 1
    out = (-(-span // s) if ceil else span // s) + 1
    if ceil and (out - 1) * s >= size + p0:   # last window must start inside the input
        out -= 1
    return out


def _pool_attrs(ctx: Any, x: str) -> dict[str, Any]:
    shape = ctx.shape(x)
    if len(shape) != 3:
        raise ctx.fail(f"pooling over a per-sample shape {shape}", "only 2-D pooling is supported")
    k = tuple(ctx.attr("kernel_shape", ()))
    if len(k) != 2:
        raise ctx.fail(f"{len(k)}-D pooling", "only 2-D pooling is supported")
    strides = tuple(ctx.attr("strides", [1, 1]))
    dils = tuple(ctx.attr("dilations", [1, 1]))
    auto_pad = ctx.attrs_str("auto_pad", "NOTSET")
    if auto_pad in ("SAME_UPPER", "SAME_LOWER", "VALID"):
        pads = resolve_auto_pad(auto_pad, shape[1:], k, strides, dils)
    else:
        pads = list(ctx.attr("pads", [0, 0, 0, 0]))
    for name, value, size in (("strides", strides, 2), ("dilations", dils, 2), ("pads", pads, 4),
                              ("kernel_shape", k, 2)):
        if len(value) != size or min(value) < (0 if name == "pads" else 1):
            raise ctx.fail(f"{name}={list(value)} for 2-D pooling",
                           f"give {size} {'non-negative' if name == 'pads' else 'positive'} values")
    ceil = bool(ctx.attr("ceil_mode", 0))
    oh = _out(shape[1], k[0], strides[0], pads[0], pads[2], dils[0], ceil)
    ow = _out(shape[2], k[1], strides[1], pads[1], pads[3], dils[1], ceil)
    if oh < 1 or ow < 1:
        raise ctx.fail(f"the window ({k[0]}x{k[1]}, dilations {list(dils)}) is larger than the "
                       f"padded input {shape[1]}x{shape[2]}", "use a smaller window or pad")
    return {"kernel": k, "strides": strides, "pads": tuple(pads), "dilations": dils,
            "out_hw": (oh, ow), "count_include_pad": int(ctx.attr("count_include_pad", 0))}


@onnx_op("MaxPool", checked_opset=28)
def import_maxpool(node: Any, ctx: Any) -> None:
    if len(node.output) > 1 and node.output[1]:
        raise ctx.fail("the Indices output is used", "only the pooled values are supported")
    x = ctx.act(node.input[0])
    ctx.emit("maxpool", [x], node.output[0], _pool_attrs(ctx, x))


@onnx_op("AveragePool", checked_opset=28)
def import_avgpool(node: Any, ctx: Any) -> None:
    x = ctx.act(node.input[0])
    attrs = _pool_attrs(ctx, x)
    if attrs["dilations"] != (1, 1):
        raise ctx.fail("dilated average pooling", "export without dilation")
    ctx.emit("avgpool", [x], node.output[0], attrs)


@onnx_op("GlobalAveragePool", checked_opset=28)
def import_gap(node: Any, ctx: Any) -> None:
    x = ctx.act(node.input[0])
    if len(ctx.shape(x)) != 3:
        raise ctx.fail(f"global pooling over {ctx.shape(x)}", "only 2-D inputs are supported")
    ctx.emit("gap", [x], node.output[0], {"keepdims": True})


@onnx_op("ReduceMean", checked_opset=28)
def import_reduce_mean(node: Any, ctx: Any) -> None:
    x = ctx.act(node.input[0])
    axes = ctx.attr("axes", None)
    if len(node.input) > 1 and node.input[1]:
        value = ctx.const(node.input[1])
        if value is None:
            raise ctx.fail("axes is not a constant", "export with constant axes")
        axes = [int(a) for a in value.reshape(-1)]
    rank = len(ctx.shape(x)) + 1
    normalized = sorted(a % rank for a in axes) if axes is not None else None
    if rank != 4 or normalized != [2, 3]:
        raise ctx.fail(f"ReduceMean over axes {axes} of a rank-{rank} tensor",
                       "only the mean over the spatial axes (2, 3) of an NCHW tensor is supported")
    ctx.emit("gap", [x], node.output[0], {"keepdims": bool(ctx.attr("keepdims", 1))})


def _windows(x: np.ndarray, a: dict[str, Any], fill: float) -> np.ndarray:
    (kh, kw), (sh, sw), (dh, dw) = a["kernel"], a["strides"], a["dilations"]
    t, l, b, r = a["pads"]
    oh, ow = a["out_hw"]
    # pad enough for ceil_mode windows that run past the end
    extra_h = max(0, (oh - 1) * sh + dh * (kh - 1) + 1 - (x.shape[1] + t + b))
    extra_w = max(0, (ow - 1) * sw + dw * (kw - 1) + 1 - (x.shape[2] + l + r))
    xp = np.pad(x, ((0, 0), (t, b + extra_h), (l, r + extra_w)), constant_values=fill)
    cols = np.empty((x.shape[0], kh * kw, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, i * kw + j] = xp[:, i * dh: i * dh + sh * (oh - 1) + 1: sh,
                                     j * dw: j * dw + sw * (ow - 1) + 1: sw]
    return cols


def _scatter(cols_grad: np.ndarray, x_shape: tuple[int, ...], a: dict[str, Any]) -> np.ndarray:
    (kh, kw), (sh, sw), (dh, dw) = a["kernel"], a["strides"], a["dilations"]
    t, l, b, r = a["pads"]
    oh, ow = a["out_hw"]
    c, h, w = x_shape
    hp = max(h + t + b, (oh - 1) * sh + dh * (kh - 1) + 1)
    wp = max(w + l + r, (ow - 1) * sw + dw * (kw - 1) + 1)
    dxp = np.zeros((c, hp, wp), dtype=cols_grad.dtype)
    for i in range(kh):
        for j in range(kw):
            dxp[:, i * dh: i * dh + sh * (oh - 1) + 1: sh,
                j * dw: j * dw + sw * (ow - 1) + 1: sw] += cols_grad[:, i * kw + j]
    return dxp[:, t: t + h, l: l + w]


def _maxpool_forward(node: Node, xs: list[np.ndarray], params: list[np.ndarray]) -> tuple[np.ndarray, Any]:
    cols = _windows(xs[0], node.attrs, -np.inf)
    argmax = np.argmax(cols, axis=1)
    return np.take_along_axis(cols, argmax[:, None], axis=1)[:, 0], argmax


def _maxpool_backward(node: Node, dy: np.ndarray, aux: Any, x_shapes: list[tuple[int, ...]],
                      params: list[np.ndarray]) -> list[np.ndarray | None]:
    k = node.attrs["kernel"][0] * node.attrs["kernel"][1]
    cols = np.zeros((dy.shape[0], k) + dy.shape[1:], dtype=dy.dtype)
    np.put_along_axis(cols, aux[:, None], dy[:, None], axis=1)
    return [_scatter(cols, x_shapes[0], node.attrs)]


def _avg_counts(node: Node, x_shape: tuple[int, ...]) -> np.ndarray:
    a = node.attrs
    if a["count_include_pad"]:
        # windows count padding but not the ceil_mode overhang
        t, l, b, r = a["pads"]
        ones = np.ones((1, x_shape[1] + t + b, x_shape[2] + l + r))
        inner = dict(a, pads=(0, 0, 0, 0))
        return _windows(ones, inner, 0.0).sum(axis=1)[0]
    return _windows(np.ones((1,) + x_shape[1:]), a, 0.0).sum(axis=1)[0]


def _avgpool_forward(node: Node, xs: list[np.ndarray], params: list[np.ndarray]) -> tuple[np.ndarray, Any]:
    cols = _windows(xs[0], node.attrs, 0.0)
    return cols.sum(axis=1) / _avg_counts(node, xs[0].shape), None


def _avgpool_backward(node: Node, dy: np.ndarray, aux: Any, x_shapes: list[tuple[int, ...]],
                      params: list[np.ndarray]) -> list[np.ndarray | None]:
    k = node.attrs["kernel"][0] * node.attrs["kernel"][1]
    per = dy / _avg_counts(node, x_shapes[0])
    cols = np.broadcast_to(per[:, None], (dy.shape[0], k) + dy.shape[1:])
    return [_scatter(np.ascontiguousarray(cols), x_shapes[0], node.attrs)]


def _pool_shape(node: Node, s: list[tuple[int, ...]]) -> tuple[int, ...]:
    return (s[0][0],) + tuple(node.attrs["out_hw"])


ir_op(OpDef("maxpool", _pool_shape, _maxpool_forward, _maxpool_backward,
            backward_keeps="argmax inside each window (1 byte per output)",
            aux_bytes=lambda node, shape: int(np.prod(shape)),
            macs=lambda n, i, o: int(np.prod(o)) * n.attrs["kernel"][0] * n.attrs["kernel"][1]))
ir_op(OpDef("avgpool", _pool_shape, _avgpool_forward, _avgpool_backward,
            macs=lambda n, i, o: int(np.prod(o)) * n.attrs["kernel"][0] * n.attrs["kernel"][1]))
ir_op(OpDef("gap",
            lambda node, s: (s[0][0], 1, 1) if node.attrs["keepdims"] else (s[0][0],),
            lambda node, xs, p: (xs[0].mean(axis=(1, 2)).reshape(
                (-1, 1, 1) if node.attrs["keepdims"] else (-1,)), None),
            lambda node, dy, aux, shapes, p: [np.broadcast_to(
                dy.reshape(-1, 1, 1) / (shapes[0][1] * shapes[0][2]), shapes[0]).copy()],
            macs=lambda n, i, o: int(np.prod(i[0]))))

c_emit("maxpool", CEmit(
    forward="mdy_maxpool2d_f32({{x}}, &{{p}}, {{y}}, {{aux or 'NULL'}});",
    input_grad="mdy_maxpool2d_grad_f32({{dy}}, {{aux}}, &{{p}}, {{dx}});", params="pool"))
c_emit("avgpool", CEmit(
    forward="mdy_avgpool2d_f32({{x}}, &{{p}}, {{y}});",
    input_grad="mdy_avgpool2d_grad_f32({{dy}}, &{{p}}, {{dx}});", params="pool"))
c_emit("gap", CEmit(
    forward="mdy_global_avgpool_f32({{x}}, {{c}}, {{hw}}, {{y}});",
    input_grad="mdy_global_avgpool_grad_f32({{dy}}, {{c}}, {{hw}}, {{dx}});"))
