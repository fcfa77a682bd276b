"""`grad` on the compiled targets. The host library and the device give their
gradients in IR layout; the ParamBindings map them onto the ONNX initializers."""
from __future__ import annotations

import ctypes
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from medyate.codegen.compiler import compile_model
from medyate.codegen.compression import CompressionConfig
from medyate.codegen.compression_c import compressed_layers, schedule_pool_bytes
from medyate.codegen.emit_c import pool_bytes_for
from medyate.codegen.gradients import check_batch
from medyate.codegen.ir import Graph
from medyate.codegen.plan import Plan, Schedule, TrainLayer
from medyate.host_tools.device.host_model import build_host_library, load_private
from medyate.host_tools.device.targets import register_grad_target


def onnx_grads_from_ir(graph: Graph, layers: list[TrainLayer], weight_grads: list[np.ndarray],
                       bias_grads: list[np.ndarray | None]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for layer, dw, db in zip(layers, weight_grads, bias_grads):
        w = graph.tensors[layer.weight]
        out[layer.onnx_weight] = w.binding.grad_to_onnx(dw.reshape(w.shape)).astype(np.float32)  # type: ignore[union-attr]
        if db is not None and layer.bias is not None:
            b = graph.tensors[layer.bias]
            out[layer.onnx_bias] = b.binding.grad_to_onnx(db).astype(np.float32)  # type: ignore[union-attr,index]
    return out


def grad_pool_bytes(layers: list[TrainLayer], plan: Plan, schedule: Schedule,
                    graph: Graph | None = None, compress: CompressionConfig | None = None) -> int:
    """A checking tool: the pool holds the requested schedule even above the budget
    (at its compressed size when the saved activations are compressed)."""
    if compress is None or graph is None:
        return max(pool_bytes_for(layers, plan.budget_bytes), schedule.cost_bytes(layers))
    compressed = compressed_layers(graph, layers, compress)
    counts = [len(c) for c in schedule.for_layers(layers)]
    return max(pool_bytes_for(layers, plan.budget_bytes, compressed),
               schedule_pool_bytes(layers, counts, compressed) + schedule.output_cost_bytes(layers))


@register_grad_target("host")
def host_grads(*, model: Path, graph: Graph, plan: Plan, layers: list[TrainLayer],
               schedule: Schedule, x: np.ndarray, y: np.ndarray,
               compress: CompressionConfig | None = None,
               usage: dict[int, tuple[int, int, int]] | None = None,
               **_: Any) -> dict[str, np.ndarray]:
    """usage: if given, filled with layer index -> (samples, peak floats, sum of floats)
    of the compressed blocks as the C counted them (model_tucker_usage)."""
    x, y = check_batch(graph, x, y)
    with tempfile.TemporaryDirectory(prefix="medyate-host-") as tmp:
        compile_model(model, plan, Path(tmp), graph=graph, compress=compress,
                      pool_bytes=grad_pool_bytes(layers, plan, schedule, graph, compress))
        lib = build_host_library(Path(tmp))
    runner = load_private(lib, "grad")
    runner.set_schedule(schedule.for_layers(layers), schedule.outputs_for_layers(layers))
    classes = graph.tensors[graph.output].size
    losses, logits = [], []
    for xi, yi in zip(x, y):
        loss, lg = runner.train_sample(xi, int(yi), classes)
        losses.append(loss)
        logits.append(lg)
    if usage is not None and compress is not None:
        usage.update(tucker_usage(runner, graph, layers, compress))
    n = len(x)
    weight_grads = [runner.weight_grad(l.index, graph.tensors[l.weight].size) / n for l in layers]
    bias_grads = [runner.bias_grad(l.index, l.out_channels) / n if l.train_bias else None
                  for l in layers]
    out = {"loss": np.float32(np.mean(losses)), "logits": np.asarray(logits, np.float32)}
    out.update(onnx_grads_from_ir(graph, layers, weight_grads, bias_grads))
    return out


def tucker_usage(runner: Any, graph: Graph, layers: list[TrainLayer],
                 compress: CompressionConfig) -> dict[int, tuple[int, int, int]]:
    """Per compressed layer: (samples, peak floats, sum of floats) the generated C held,
    read through its model_tucker_usage (outside model_api.h; the host library only)."""
    fn = runner._lib.model_tucker_usage
    fn.restype = ctypes.c_uint32
    fn.argtypes = [ctypes.c_uint32, ctypes.POINTER(ctypes.c_uint32), ctypes.POINTER(ctypes.c_uint64)]
    out: dict[int, tuple[int, int, int]] = {}
    for index in compressed_layers(graph, layers, compress):
        peak, total = ctypes.c_uint32(0), ctypes.c_uint64(0)
        samples = int(fn(index, ctypes.byref(peak), ctypes.byref(total)))
        out[index] = (samples, int(peak.value), int(total.value))
    return out
