"""The small public Python API: ``medyate.load_model(path).forward(x)``.

For those who script rather than use the CLI: the model is imported and optimized as
``medyate compile`` would, and ``forward`` runs the ``reference`` target (the numpy
executor of the training IR, float64 inside) one sample at a time.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx

from .codegen.errors import DataError
from .codegen.frontend import load_graph
from .codegen.ir import Graph
from .codegen.reference import ReferenceExecutor


class Model:
    """An imported ONNX model. ``graph`` is the optimized IR (per-sample shapes)."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._executor = ReferenceExecutor(graph, [])

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Per-sample input shape (without the batch axis)."""
        return tuple(self.graph.tensors[self.graph.input].shape)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return tuple(self.graph.tensors[self.graph.output].shape)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Run the reference forward on a float32 batch (N, *input_shape): returns the
        model's output as a float32 array (N, *output_shape), a trailing Softmax or
        LogSoftmax applied as in the ONNX graph."""
        x = np.asarray(x)
        if x.dtype != np.float32:
            raise DataError(f"input has dtype {x.dtype}; the model takes float32")
        if x.ndim != len(self.input_shape) + 1 or tuple(x.shape[1:]) != self.input_shape:
            raise DataError(f"input has shape {tuple(x.shape)}; the model takes a batch "
                            f"(N, {', '.join(map(str, self.input_shape))})")
        out = [self._executor.forward(sample, apply_tail=True) for sample in x]
        return np.stack(out).astype(np.float32).reshape((len(x),) + self.output_shape)

    __call__ = forward


def load_model(path: str | Path | onnx.ModelProto) -> Model:
    """Import an ONNX model (a path or a ModelProto) for the reference forward. Raises
    medyate.codegen.errors.MedyateError, one line naming the node, for what medyate
    cannot lower."""
    return Model(load_graph(path))
