"""Python values as C literals in the generated model.c: floats (inf/nan spelled as
math.h macros), float initializer lists, and float32 blobs as byte strings."""
from __future__ import annotations

import math

import numpy as np


def c_float(v: float) -> str:
    if math.isinf(v):
        return "INFINITY" if v > 0 else "-INFINITY"
    return f"{float(np.float32(v))!r}f" if v == v else "NAN"


def c_array(values: np.ndarray) -> str:
    flat = np.asarray(values, dtype=np.float32).reshape(-1)
    return ", ".join(f"{float(v)!r}f" for v in flat) if flat.size else "0.0f"


def c_bytes(values: np.ndarray) -> str:
    """The float32 values as a C string literal of their little-endian bytes (adjacent
    literals, 64 bytes a line). GCC parses this several times faster than a list of
    float initializers; the template stores it in a union with the float array."""
    raw = np.asarray(values, dtype="<f4").reshape(-1).tobytes() or bytes(4)
    hexed = raw.hex()
    lines = ("".join("\\x" + hexed[i + k:i + k + 2] for k in range(0, min(128, len(hexed) - i), 2))
             for i in range(0, len(hexed), 128))
    return "\n    ".join(f'"{line}"' for line in lines)
