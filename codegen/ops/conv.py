"""Conv (2-D, any groups/stride/padding/dilation): importer, shape rule, numpy reference.

IR op ``conv``: inputs [x (C,H,W), w (O, C/g, KH, KW), bias (O,) optional]; attrs
strides, pads (top, left, bottom, right), dilations, group, act (lo, hi) or None
(a fused clamp, set by passes.fuse_activations).
C kernels: mdy_conv2d_f32 (forward), mdy_conv2d_input_grad_f32,
mdy_conv2d_weight_grad_f32 (sparse input channels).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Node
from .registry import CEmit, OpDef, c_emit, ir_op, onnx_op
from .common import apply_act, act_mask, mask_bytes


def _out_size(size: int, k: int, stride: int, pad0: int, pad1: int, dil: int) -> int:
    return (size + pad0 + pad1 - dil * (k - 1) - 1) // stride + 1


def resolve_auto_pad(auto_pad: str, in_hw: tuple[int, int], k: tuple[int, int],
                     strides: tuple[int, int], dils: tuple[int, int]) -> list[int]:
    """ONNX auto_pad -> explicit [top, left, bottom, right]."""
    if auto_pad == "VALID":
        return [0, 0, 0, 0]
    begins, ends = [], []
    for size, kk, s, d in zip(in_hw, k, strides, dils):
        out = -(-size // s)
        total = max(0, (out - 1) * s + d * (kk - 1) + 1 - size)
        small, big = total // 2, total - total // 2
        begins.append(small if auto_pad == "SAME_UPPER" else big)
        ends.append(big if auto_pad == "SAME_UPPER" else small)
    return [begins[0], begins[1], ends[0], ends[1]]


@onnx_op("Conv", checked_opset=28)
def import_conv(node: Any, ctx: Any) -> None:
    x = ctx.act(node.input[0])
    w = ctx.const(node.input[1])
    if w is None:
        raise ctx.fail("the weight is not a constant", "export with the weights as initializers")
    if w.ndim != 4 or len(ctx.shape(x)) != 3:
        raise ctx.fail(f"{w.ndim - 2}-D convolution", "only 2-D convolutions are supported")
    k = (w.shape[2], w.shape[3])
    declared = ctx.attr("kernel_shape", None)
    if declared is not None and tuple(declared) != k:
        raise ctx.fail(f"kernel_shape={list(declared)} but the weight has {k[0]}x{k[1]} taps",
                       "check the weight initializer's shape")
    strides = tuple(ctx.attr("strides", [1, 1]))
    dils = tuple(ctx.attr("dilations", [1, 1]))
    group = int(ctx.attr("group", 1))
    auto_pad = ctx.attrs_str("auto_pad", "NOTSET")
    if auto_pad in ("SAME_UPPER", "SAME_LOWER", "VALID"):
        pads = resolve_auto_pad(auto_pad, ctx.shape(x)[1:], k, strides, dils)
    else:
        pads = list(ctx.attr("pads", [0, 0, 0, 0]))
    c_in = ctx.shape(x)[0]
    if group < 1 or c_in % group or w.shape[0] % group or w.shape[1] * group != c_in:
        raise ctx.fail(f"weight {tuple(w.shape)} does not match {c_in} input channels in "
                       f"{group} groups", "check the weight initializer's shape and 'group'")
    for name, value, size in (("strides", strides, 2), ("dilations", dils, 2), ("pads", pads, 4)):
        if len(value) != size or min(value) < (0 if name == "pads" else 1):
            raise ctx.fail(f"{name}={list(value)} for a 2-D convolution",
                           f"give {size} {'non-negative' if name == 'pads' else 'positive'} values")
    inputs = [x, ctx.param(node.input[1], w)]
    if len(node.input) > 2 and node.input[2]:
        b = ctx.const(node.input[2])
        if b is None:
            raise ctx.fail("the bias is not a constant", "export with the bias as an initializer")
        if b.shape != (w.shape[0],):
            raise ctx.fail(f"bias '{node.input[2]}' has shape {tuple(b.shape)}, the weight has "
                           f"{w.shape[0]} output channels",
                           f"the bias must hold one value per output channel ({w.shape[0]},)")
        inputs.append(ctx.param(node.input[2], b))
    ctx.emit("conv", inputs, node.output[0], {
        "strides": strides, "pads": tuple(pads), "dilations": dils, "group": group,
        "act": None})


def conv_shape(node: Node, in_shapes: list[tuple[int, ...]]) -> tuple[int, ...]:
    (_, h, w), wshape = in_shapes[0], in_shapes[1]
    a = node.attrs
    oh = _out_size(h, wshape[2], a["strides"][0], a["pads"][0], a["pads"][2], a["dilations"][0])
    ow = _out_size(w, wshape[3], a["strides"][1], a["pads"][1], a["pads"][3], a["dilations"][1])
    return (wshape[0], oh, ow)


def windows(x: np.ndarray, attrs: dict[str, Any], k: tuple[int, int],
            out_hw: tuple[int, int]) -> np.ndarray:
    """(C, H, W) -> (C, KH, KW, OH, OW) patches of the padded input."""
    t, l, b, r = attrs["pads"]
    xp = np.pad(x, ((0, 0), (t, b), (l, r)))
    sh, sw = attrs["strides"]
    dh, dw = attrs["dilations"]
    oh, ow = out_hw
    cols = np.empty((x.shape[0], k[0], k[1], oh, ow), dtype=x.dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            cols[:, i, j] = xp[:, i * dh: i * dh + sh * (oh - 1) + 1: sh,
                               j * dw: j * dw + sw * (ow - 1) + 1: sw]
    return cols


def conv_forward(node: Node, xs: list[np.ndarray], params: list[np.ndarray]) -> tuple[np.ndarray, Any]:
    x = xs[0]
    w = params[0]
    g = node.attrs["group"]
    o, cg, kh, kw = w.shape
    out_shape = conv_shape(node, [x.shape, w.shape])
    cols = windows(x, node.attrs, (kh, kw), out_shape[1:])
    cols = cols.reshape(g, cg, kh, kw, *out_shape[1:])
    wg = w.reshape(g, o // g, cg, kh, kw)
    y = np.einsum("gcklhw,gockl->gohw", cols, wg, optimize=True).reshape(out_shape)
    if len(params) > 1:
        y = y + params[1][:, None, None]
    return apply_act(node, y)


def conv_input_grad(node: Node, dy: np.ndarray, x_shape: tuple[int, ...],
                    w: np.ndarray) -> np.ndarray:
    """conv_transpose(dy, w): d loss / d x (dy already masked by the fused clamp)."""
    g = node.attrs["group"]
    o, cg, kh, kw = w.shape
    t, l, b, r = node.attrs["pads"]
    sh, sw = node.attrs["strides"]
    dh, dw = node.attrs["dilations"]
    c, h, wd = x_shape
    oh, ow = dy.shape[1:]
    dxp = np.zeros((c, h + t + b, wd + l + r), dtype=dy.dtype)
    wg = w.reshape(g, o // g, cg, kh, kw)
    dyg = dy.reshape(g, o // g, oh, ow)
    contrib = np.einsum("gockl,gohw->gcklhw", wg, dyg, optimize=True).reshape(c, kh, kw, oh, ow)
    for i in range(kh):
        for j in range(kw):
            dxp[:, i * dh: i * dh + sh * (oh - 1) + 1: sh,
                j * dw: j * dw + sw * (ow - 1) + 1: sw] += contrib[:, i, j]
    return dxp[:, t: t + h, l: l + wd]


def conv_weight_grad_slices(node: Node, saved: np.ndarray, channels: np.ndarray,
                            dy: np.ndarray, w_shape: tuple[int, ...]) -> np.ndarray:
    """Slices (n_sel, O/g, KH, KW) of dW for the listed input channels, from their saved
    planes alone (n_sel, H, W) — the sparse weight gradient."""
    g = node.attrs["group"]
    o, cg, kh, kw = w_shape
    og = o // g
    if len(channels) == 0:
        return np.zeros((0, og, kh, kw), dtype=dy.dtype)
    cols = windows(saved, node.attrs, (kh, kw), dy.shape[1:])      # (n, KH, KW, OH, OW)
    groups = np.asarray(channels) // cg
    dy_sel = dy.reshape(g, og, *dy.shape[1:])[groups]                # (n, og, OH, OW)
    return np.einsum("nklhw,nohw->nokl", cols, dy_sel, optimize=True)


def conv_slices_to_dense(node: Node, slices: np.ndarray, channels: np.ndarray,
                         w_shape: tuple[int, ...]) -> np.ndarray:
    o, cg, kh, kw = w_shape
    og = o // node.attrs["group"]
    dense = np.zeros(w_shape, dtype=slices.dtype)
    for j, c in enumerate(channels):
        grp = c // cg
        dense[grp * og:(grp + 1) * og, c % cg] = slices[j]
    return dense


def conv_macs(node: Node, in_shapes: list[tuple[int, ...]], out: tuple[int, ...]) -> int:
    wshape = in_shapes[1]
    return int(np.prod(out)) * wshape[1] * wshape[2] * wshape[3]


def _conv_backward(node: Node, dy: np.ndarray, aux: Any, x_shapes: list[tuple[int, ...]],
                   params: list[np.ndarray]) -> list[np.ndarray | None]:
    return [conv_input_grad(node, dy, x_shapes[0], params[0])]


ir_op(OpDef("conv", conv_shape, conv_forward, _conv_backward,
            backward_keeps="1-bit mask of the fused clamp (if any); the weight",
            aux_bytes=lambda node, shape: mask_bytes(node, shape), macs=conv_macs))

__all__ = ["conv_input_grad", "conv_weight_grad_slices", "conv_slices_to_dense", "windows",
           "act_mask"]

c_emit("conv", CEmit(
    forward="mdy_conv2d_f32({{x}}, &{{p}}, {{w}}, {{b}}, {{y}});",
    input_grad="mdy_conv2d_input_grad_f32({{dy}}, &{{p}}, {{w}}, {{dx}});",
    params="conv"))
