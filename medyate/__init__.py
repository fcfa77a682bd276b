"""medyate: on-device fine-tuning of ONNX networks with dynamic sparse-channel backprop.

Sub-packages: ``medyate.codegen`` (ONNX import, training IR, reference executor, C
emission) lives in ``codegen/``; ``medyate.host_tools`` (CLI helpers, serial protocol,
targets, schedulers, datasets) lives in ``host_tools/``.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import Model

__version__ = "0.1.0"

#: Root of the source checkout (runtime_c/, firmware/ live here).
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def load_model(path: Any) -> "Model":
    """Import an ONNX model; ``.forward(x)`` runs the reference on a float32 batch (N, ...)
    and returns the output as numpy. Imported lazily so that ``import medyate`` stays
    light (no onnx/numpy import until a model is loaded)."""
    from .api import load_model as _load
    return _load(path)
