"""One call from an ONNX file to the optimized IR."""
from __future__ import annotations

from pathlib import Path

import onnx

from .ir import Graph
from .onnx_import import import_model
from .passes import optimize


def load_graph(model: str | Path | onnx.ModelProto, *, optimized: bool = True) -> Graph:
    graph = import_model(model)
    return optimize(graph) if optimized else graph
