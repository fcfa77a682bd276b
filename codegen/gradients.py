"""`medyate grad` on the reference target: one forward + backward over a batch, no
update, gradients keyed by ONNX initializer (the GRADS.npz contract)."""
from __future__ import annotations

import numpy as np

from .compression import CompressionConfig
from .errors import DataError
from .ir import Graph
from .plan import Schedule, TrainLayer
from .reference import ReferenceExecutor


def check_batch(graph: Graph, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    shape = graph.tensors[graph.input].shape
    if x.ndim != len(shape) + 1 or tuple(x.shape[1:]) != tuple(shape):
        raise DataError(f"inputs have shape {tuple(x.shape)}, expected (N, "
                        f"{', '.join(map(str, shape))})")
    y = np.asarray(y).reshape(-1)
    if y.shape[0] != x.shape[0]:
        raise DataError(f"{x.shape[0]} inputs but {y.shape[0]} labels")
    if y.dtype.kind not in "iu":
        if not np.all(np.equal(np.mod(y, 1), 0)):
            raise DataError("labels must be integers")
    classes = graph.tensors[graph.output].size
    bad = y[(y < 0) | (y >= classes)]
    if bad.size:
        raise DataError(f"label {int(bad[0])} is out of range (the model has {classes} classes)")
    return x.astype(np.float32), y.astype(np.int64)


def reference_grads(graph: Graph, layers: list[TrainLayer], schedule: Schedule,
                    x: np.ndarray, y: np.ndarray, *,
                    compress: CompressionConfig | None = None) -> dict[str, np.ndarray]:
    return run_reference_batch(graph, layers, schedule, x, y, compress=compress)[0]


def run_reference_batch(graph: Graph, layers: list[TrainLayer], schedule: Schedule,
                        x: np.ndarray, y: np.ndarray, *, compress: CompressionConfig | None = None
                        ) -> tuple[dict[str, np.ndarray], ReferenceExecutor]:
    """reference_grads, also returning the executor (for its compression_stats())."""
    x, y = check_batch(graph, x, y)
    ex = ReferenceExecutor(graph, layers, compress=compress)
    ex.set_schedule(schedule)
    n = x.shape[0]
    losses, logits = [], []
    for xi, yi in zip(x, y):
        loss, lg = ex.train_sample(xi, int(yi), scale=1.0 / n)
        losses.append(loss)
        logits.append(lg)
    out: dict[str, np.ndarray] = {"loss": np.float32(np.mean(losses)),
                                  "logits": np.asarray(logits, dtype=np.float32)}
    for name, g in ex.onnx_grads().items():
        out[name] = g.astype(np.float32)
    return out, ex
