"""C-emitter hooks of the int8 frozen backbone: element types of arena storages and
constant arrays (int8 activations, int8 weights, int32 bias/multipliers/shifts)."""
from __future__ import annotations

import numpy as np

from .ir import Graph, Tensor

_CTYPE = {"float32": "float", "int8": "int8_t", "int32": "int32_t"}


def storage_ctype(graph: Graph, kind: str, tensors: list[str]) -> str:
    """C element type of an arena storage: aux masks are bytes, int8 activations int8."""
    if kind == "aux":
        return "uint8_t"
    first = tensors[0] if tensors else None
    t = graph.tensors.get(first) if first else None
    return _CTYPE[t.dtype] if t is not None and t.dtype != "float32" else "float"


def const_row_fields(t: Tensor) -> tuple[str, str, int] | None:
    """(ctype, C initializer, bytes) of an integer constant; None for float32 ones."""
    if t.dtype == "float32":
        return None
    flat = np.asarray(t.data).astype(np.int64).reshape(-1)
    data = ", ".join(str(int(v)) for v in flat) if flat.size else "0"
    return _CTYPE[t.dtype], data, t.itemsize * max(t.size, 1)
