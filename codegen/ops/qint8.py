"""The int8 ops of the frozen backbone (made by codegen/quantize.py, never imported from
ONNX directly): bit-exact numpy forwards (codegen/int8_math.py) and their C calls
(runtime_c/src/mdy_*_s8.c, declared in medyate/kernels_s8.h).

Layouts are the float ones: activations int8 [C][H][W], conv weights int8
[O][C/g][KH][KW], gemm weights int8 [O][F], per-output-channel int32 bias (in units of
in_scale * w_scale[o]), Q31 multipliers and shifts. None of them has a backward: the
int8 region is the frozen prefix below the deepest trainable layer.

IR ops (inputs after the activation(s) are constants):
  ``quantize``   [x f32] -> int8; attrs scale, inv_scale, zp
  ``dequantize`` [q int8] -> f32; attrs scale, zp
  ``qconv``      [x, w, bias, mult, shift]; conv attrs + in_zp, out_zp, act_min, act_max
  ``qgemm``      [x, w, bias, mult, shift]; in_zp, out_zp, act_min, act_max; or, when
                 attrs["rq"], [x, w, rq] with bias and requantization prepared as one table
                 (int8_math.gemm_rq_table: mdy_gemm_s8_rq, the small classifiers)
  ``qadd``       [a, b]; zp_a, zp_b, zp_out, mult/shift a, b, out, left_shift, act range
  ``qmaxpool`` / ``qavgpool`` (pool attrs + zp), ``qgap`` (keepdims, zp),
  ``qclamp`` (qlo, qhi)
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..int8_math import dequantize_f32, quantize_f32, requantize, rounding_divide, rq_table_parts
from ..ir import Node
from .conv import conv_shape, windows
from .registry import CEmit, OpDef, c_emit, ir_op


def _i64(a: np.ndarray) -> np.ndarray:
    return np.asarray(a).astype(np.int64)


def _finish(acc: np.ndarray, mult: np.ndarray, shift: np.ndarray, attrs: dict[str, Any]
            ) -> np.ndarray:
    y = requantize(acc, mult, shift) + attrs["out_zp"]
    return np.clip(y, attrs["act_min"], attrs["act_max"]).astype(np.int8)


def qconv_forward(node: Node, xs: list[np.ndarray], params: list[np.ndarray]) -> tuple[np.ndarray, Any]:
    x = _i64(xs[0]) - node.attrs["in_zp"]          # zero padding here is padding by in_zp
    w, bias, mult, shift = (_i64(p) for p in params)
    g = node.attrs["group"]
    o, cg, kh, kw = w.shape
    out_shape = conv_shape(node, [x.shape, w.shape])
    cols = windows(x, node.attrs, (kh, kw), out_shape[1:]).reshape(g, cg, kh, kw, *out_shape[1:])
    acc = np.einsum("gcklhw,gockl->gohw", cols, w.reshape(g, o // g, cg, kh, kw)).reshape(out_shape)
    acc = acc + bias[:, None, None]
    return _finish(acc, mult[:, None, None], shift[:, None, None], node.attrs), None


def qgemm_forward(node: Node, xs: list[np.ndarray], params: list[np.ndarray]) -> tuple[np.ndarray, Any]:
    x = _i64(xs[0]).reshape(-1) - node.attrs["in_zp"]
    if node.attrs.get("rq"):
        w = _i64(params[0])
        bias, mult, shift = rq_table_parts(params[1])
    else:
        w, bias, mult, shift = (_i64(p) for p in params)
    return _finish(w @ x + bias, mult, shift, node.attrs), None


def qadd_forward(node: Node, xs: list[np.ndarray], params: list[np.ndarray]) -> tuple[np.ndarray, Any]:
    a = node.attrs
    ls = a["left_shift"]
    sa = requantize((_i64(xs[0]) - a["zp_a"]) << ls, a["mult_a"], a["shift_a"])
    sb = requantize((_i64(xs[1]).reshape(xs[0].shape) - a["zp_b"]) << ls, a["mult_b"], a["shift_b"])
    y = requantize(sa + sb, a["mult_out"], a["shift_out"]) + a["zp_out"]
    return np.clip(y, a["act_min"], a["act_max"]).astype(np.int8), None


def _pool_windows(x: np.ndarray, attrs: dict[str, Any], fill: int) -> np.ndarray:
    """(C, KH, KW, OH, OW) windows with pads (and the implied bottom/right) = fill."""
    t, l = attrs["pads"][0], attrs["pads"][1]
    kh, kw = attrs["kernel"]
    sh, sw = attrs["strides"]
    oh, ow = attrs["out_hw"]
    b = max(0, (oh - 1) * sh + kh - t - x.shape[1])
    r = max(0, (ow - 1) * sw + kw - l - x.shape[2])
    xp = np.pad(x, ((0, 0), (t, b), (l, r)), constant_values=fill)
    cols = np.empty((x.shape[0], kh, kw, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = xp[:, i: i + sh * (oh - 1) + 1: sh, j: j + sw * (ow - 1) + 1: sw]
    return cols


def qmaxpool_forward(node: Node, xs: list[np.ndarray], params: list[np.ndarray]) -> tuple[np.ndarray, Any]:
    cols = _pool_windows(_i64(xs[0]), node.attrs, -1 << 20)     # padding never wins
    y = cols.max(axis=(1, 2))
    return np.where(y < -128, node.attrs["zp"], y).astype(np.int8), None   # no real tap: zp


def qavgpool_forward(node: Node, xs: list[np.ndarray], params: list[np.ndarray]) -> tuple[np.ndarray, Any]:
    a = node.attrs
    x = _i64(xs[0])
    total = _pool_windows(x - a["zp"], a, 0).sum(axis=(1, 2))
    if a.get("count_include_pad", 0):
        count = np.full(total.shape, a["kernel"][0] * a["kernel"][1], np.int64)
    else:
        count = _pool_windows(np.ones_like(x), a, 0).sum(axis=(1, 2))
    y = rounding_divide(total, count) + a["zp"]
    return np.clip(y, -128, 127).astype(np.int8), None


def qgap_forward(node: Node, xs: list[np.ndarray], params: list[np.ndarray]) -> tuple[np.ndarray, Any]:
    x = _i64(xs[0])
    total = (x - node.attrs["zp"]).reshape(x.shape[0], -1).sum(axis=1)
    y = np.clip(rounding_divide(total, np.int64(x[0].size)) + node.attrs["zp"], -128, 127)
    return y.astype(np.int8).reshape((-1, 1, 1) if node.attrs["keepdims"] else (-1,)), None


def _same(node: Node, s: list[tuple[int, ...]]) -> tuple[int, ...]:
    return s[0]


def _pool_shape(node: Node, s: list[tuple[int, ...]]) -> tuple[int, ...]:
    return (s[0][0], *node.attrs["out_hw"])


def _kmacs(n: Node, i: list[tuple[int, ...]], o: tuple[int, ...]) -> int:
    return int(np.prod(o)) * n.attrs["kernel"][0] * n.attrs["kernel"][1]


ir_op(OpDef("quantize", _same, lambda n, xs, p: (quantize_f32(xs[0], n.attrs["scale"], n.attrs["zp"]), None), None))
ir_op(OpDef("dequantize", _same,
            lambda n, xs, p: (dequantize_f32(xs[0], n.attrs["scale"], n.attrs["zp"]).astype(np.float64), None),
            None))
ir_op(OpDef("qconv", conv_shape, qconv_forward, None,
            macs=lambda n, i, o: int(np.prod(o)) * i[1][1] * i[1][2] * i[1][3]))
ir_op(OpDef("qgemm", lambda n, s: (s[1][0],), qgemm_forward, None, macs=lambda n, i, o: i[1][0] * i[1][1]))
ir_op(OpDef("qadd", _same, qadd_forward, None))
ir_op(OpDef("qmaxpool", _pool_shape, qmaxpool_forward, None, macs=_kmacs))
ir_op(OpDef("qavgpool", _pool_shape, qavgpool_forward, None, macs=_kmacs))
ir_op(OpDef("qgap", lambda n, s: (s[0][0], 1, 1) if n.attrs["keepdims"] else (s[0][0],), qgap_forward, None))
ir_op(OpDef("qclamp", _same, lambda n, xs, p: (np.clip(_i64(xs[0]), n.attrs["qlo"], n.attrs["qhi"]).astype(np.int8), None), None))

# requantization parameters as a C99 compound literal: no template change needed
_REQ = ("&(const mdy_s8_requant_t){ {{a.in_zp}}, {{a.out_zp}}, {{a.act_min}}, {{a.act_max}}, "
        "{{k2}}, {{k3}} }")
c_emit("quantize", CEmit(forward="mdy_quantize_s8({{x}}, {{n}}, {{a.inv_c}}, {{a.zp}}, {{y}});"))
c_emit("dequantize", CEmit(forward="mdy_dequantize_s8({{x}}, {{n}}, {{a.scale_c}}, {{a.zp}}, {{y}});"))
c_emit("qconv", CEmit(forward="mdy_conv2d_s8({{x}}, &{{p}}, " + _REQ + ", {{k0}}, {{k1}}, {{y}});",
                      params="conv"))
_REQ_RQ = ("&(const mdy_s8_requant_t){ {{a.in_zp}}, {{a.out_zp}}, {{a.act_min}}, {{a.act_max}}, "
           "NULL, NULL }")
c_emit("qgemm", CEmit(forward=(
    "{% if a.rq %}mdy_gemm_s8_rq({{x}}, {{in_f}}, {{out_f}}, {{k0}}, {{k1}}, " + _REQ_RQ + ", {{y}});"
    "{% else %}mdy_gemm_s8({{x}}, {{in_f}}, {{out_f}}, {{k0}}, {{k1}}, " + _REQ + ", {{y}});{% endif %}")))
c_emit("qadd", CEmit(forward=(
    "mdy_add_s8({{x}}, {{x2}}, {{n}}, &(const mdy_add_s8_params_t){ {{a.zp_a}}, {{a.zp_b}}, "
    "{{a.zp_out}}, {{a.mult_a}}, {{a.shift_a}}, {{a.mult_b}}, {{a.shift_b}}, {{a.mult_out}}, "
    "{{a.shift_out}}, {{a.left_shift}}, {{a.act_min}}, {{a.act_max}} }, {{y}});")))
c_emit("qmaxpool", CEmit(forward="mdy_maxpool2d_s8({{x}}, &{{p}}, {{a.zp}}, {{y}});", params="pool"))
c_emit("qavgpool", CEmit(forward="mdy_avgpool2d_s8({{x}}, &{{p}}, {{a.zp}}, {{y}});", params="pool"))
c_emit("qgap", CEmit(forward="mdy_global_avgpool_s8({{x}}, {{c}}, {{hw}}, {{a.zp}}, {{y}});"))
c_emit("qclamp", CEmit(forward="mdy_clamp_s8({{x}}, {{n}}, {{a.qlo}}, {{a.qhi}}, {{y}});"))
