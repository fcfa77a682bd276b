"""ONNX files: what onnx.load lets through but the compiler cannot take. Names that are
not UTF-8 come back from protobuf as bytes (ONNX is proto2, which does not check
strings): refuse them with one line, naming where the name is."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import onnx

from ..errors import MedyateError


def _names(graph: onnx.GraphProto, where: str) -> Iterator[tuple[str, object]]:
    yield f"{where} name", graph.name
    for kind, items in (("input", graph.input), ("output", graph.output),
                        ("value_info", graph.value_info), ("initializer", graph.initializer)):
        for index, item in enumerate(items):
            yield f"{where} {kind} #{index}", item.name
    for index, node in enumerate(graph.node):
        here = f"{where} node #{index}"
        yield f"{here} name", node.name
        yield f"{here} op_type", node.op_type
        yield f"{here} domain", node.domain
        for i, name in enumerate(node.input):
            yield f"{here} input #{i}", name
        for i, name in enumerate(node.output):
            yield f"{here} output #{i}", name
        for attr in node.attribute:
            yield f"{here} attribute name", attr.name
            if attr.type == onnx.AttributeProto.GRAPH:
                yield from _names(attr.g, f"{here} subgraph")
            for sub in attr.graphs:
                yield from _names(sub, f"{here} subgraph")


def check_names(model: onnx.ModelProto, path: str | Path) -> None:
    """Every name in the graph is text (valid UTF-8), or a one-line MedyateError."""
    for where, name in _names(model.graph, "graph"):
        if not isinstance(name, str):
            raise MedyateError(f"{path}: {where} is not valid UTF-8 text ({bytes(name)[:24]!r}); "
                               "rename it in the exporter")
