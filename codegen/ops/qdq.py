"""QDQ models (QuantizeLinear/DequantizeLinear around Conv/Gemm, as onnxruntime's
quantize_static writes them in QuantFormat.QDQ): their quantization is taken as given.

* a QuantizeLinear -> DequantizeLinear pair on an activation lowers to nothing (the IR
  keeps the float tensor) and records the tensor's (scale, zero point); uint8 is mapped
  to int8 (q - 128, zp - 128: the same real values);
* a DequantizeLinear of a constant (an int8 weight, an int32 bias) is folded to float
  here (FOLD_HOOKS), recording an int8 weight with its scale(s), which
  codegen/quantize.py uses instead of quantizing that weight again.

With `--frozen int8` the int8 region then runs with the file's scales (pools and
reshapes keep their input's, as everywhere in medyate). Quantized Conv/Gemm weights are
frozen (not initializers of float weights): train layers left in float (quantize_static
nodes_to_exclude). Without --frozen int8 the model runs in float32 on the dequantized
weights.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..onnx_import import FOLD_HOOKS
from .registry import onnx_op


def _zero_point(ctx: Any, node: Any) -> tuple[int, bool]:
    """(int8 zero point, input was uint8)."""
    zp = ctx.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    if zp is None:
        return -128, True          # ONNX default: uint8 zero point 0
    if zp.size != 1:
        raise ctx.fail("per-axis activation zero points", "quantize activations per tensor")
    unsigned = zp.dtype == np.uint8
    return int(zp.reshape(-1)[0]) - (128 if unsigned else 0), unsigned


def _check_qdq_attrs(ctx: Any) -> None:
    if ctx.attr("block_size", 0):
        raise ctx.fail("blocked quantization (block_size)", "quantize per tensor or per axis")


@onnx_op("QuantizeLinear")
def import_quantize_linear(node: Any, ctx: Any) -> None:
    _check_qdq_attrs(ctx)
    consumers = [n for n in ctx.model.graph.node if node.output[0] in n.input]
    if (not consumers or node.output[0] == ctx.graph_output
            or any(n.op_type != "DequantizeLinear" for n in consumers)):
        raise ctx.fail("a QuantizeLinear whose output is not only dequantized",
                       "medyate reads QuantizeLinear -> DequantizeLinear pairs (QDQ format); "
                       "its tensors are float32 or int8 inside the frozen backbone")
    ctx.qdq_outputs.add(node.output[0])
    x = ctx.act(node.input[0])
    scale = ctx.const(node.input[1])
    if scale is None or scale.size != 1:
        raise ctx.fail("the activation scale is not one constant", "quantize activations per tensor")
    zp, _ = _zero_point(ctx, node)
    if not -128 <= zp <= 127:
        raise ctx.fail(f"zero point {zp}", "use int8 or uint8 activations")
    ctx.quant_given[x] = (float(np.float32(scale.reshape(-1)[0])), zp)
    ctx.alias(node.output[0], x)


@onnx_op("DequantizeLinear")
def import_dequantize_linear(node: Any, ctx: Any) -> None:
    _check_qdq_attrs(ctx)
    if node.input[0] not in ctx.qdq_outputs:
        raise ctx.fail("a DequantizeLinear of an activation that no QuantizeLinear made",
                       "medyate reads QuantizeLinear -> DequantizeLinear pairs (QDQ format)")
    ctx.alias(node.output[0], ctx.act(node.input[0]))   # the float tensor it came from


def _fold_constant(node: Any, ctx: Any) -> None:
    """DequantizeLinear of constants: (q - zp) * scale (per tensor or along `axis`),
    and remember an int8 weight with its scales."""
    _check_qdq_attrs(ctx)
    values = ctx.consts[node.input[0]]
    scale = ctx.consts[node.input[1]].astype(np.float64).reshape(-1)
    zp = ctx.consts.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    zp = np.zeros(1, np.int64) if zp is None else zp.astype(np.int64).reshape(-1)
    axis = int(ctx.attr("axis", 1)) % max(values.ndim, 1) if scale.size > 1 else 0
    shape = [1] * values.ndim
    if scale.size > 1:
        shape[axis] = scale.size
    real = (values.astype(np.int64) - zp.reshape(shape if zp.size > 1 else [1] * values.ndim)) \
        * scale.reshape(shape if scale.size > 1 else [1] * values.ndim)
    ctx.consts[node.output[0]] = real.astype(np.float32)
    if values.dtype in (np.int8, np.uint8):
        ctx.weight_given[node.output[0]] = (values.astype(np.int64), scale, zp, axis)


FOLD_HOOKS["DequantizeLinear"] = _fold_constant
