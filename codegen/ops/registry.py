"""Registries that dispatch by op name (no if-chains).

* ``ONNX_IMPORTERS``: ONNX op_type -> function lowering one ONNX node into IR nodes.
* ``IR_OPS``: canonical IR op name -> :class:`OpDef` (shape rule, numpy forward and
  backward used by the reference executor).

Each op module in this package registers itself on import; ``load_all()`` imports them.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Protocol

import numpy as np

if TYPE_CHECKING:
    from ..ir import Node
    from ..onnx_import import ImportContext

OnnxImporter = Callable[[Any, "ImportContext"], None]
ONNX_IMPORTERS: dict[str, OnnxImporter] = {}
#: ONNX op_type -> the newest opset whose schema of that op the importer was checked
#: against. A model whose opset selects a later schema version is refused for that op.
CHECKED_OPSET: dict[str, int] = {}
#: What an importer declares when it says nothing: the opsets medyate accepted at first.
DEFAULT_CHECKED_OPSET = 21


def onnx_op(*op_types: str, checked_opset: int = DEFAULT_CHECKED_OPSET
            ) -> Callable[[OnnxImporter], OnnxImporter]:
    """Register an importer; checked_opset: the newest opset whose schema of these ops it
    implements (later schema versions of the op are refused, naming op and version)."""
    def register(fn: OnnxImporter) -> OnnxImporter:
        for op_type in op_types:
            ONNX_IMPORTERS[op_type] = fn
            CHECKED_OPSET[op_type] = checked_opset
        return fn
    return register


def checked_opset(op_type: str) -> int:
    return CHECKED_OPSET.get(op_type, DEFAULT_CHECKED_OPSET)


class Saved(Protocol):
    """What a forward pass leaves for the backward pass (mask, argmax, ...)."""


@dataclass
class OpDef:
    """One canonical IR op.

    shape(node, in_shapes) -> out shape (per sample).
    forward(node, xs, params) -> (y, aux): aux is what the backward pass needs beyond
        the weights (a clamp mask, a max-pool argmax), or None.
    backward(node, dy, aux, xs_shapes, params) -> list of input gradients for the
        activation inputs (None where not needed).
    backward_keeps: a short human description of `aux` for the IR report.
    """

    name: str
    shape: Callable[["Node", list[tuple[int, ...]]], tuple[int, ...]]
    forward: Callable[..., tuple[np.ndarray, Any]]
    backward: Callable[..., list[np.ndarray | None]] | None
    backward_keeps: str = "nothing"
    #: aux bytes for a given output size (for the memory accounting).
    aux_bytes: Callable[["Node", tuple[int, ...]], int] = lambda node, shape: 0
    #: multiply-accumulates per sample (for the summary).
    macs: Callable[["Node", list[tuple[int, ...]], tuple[int, ...]], int] = lambda n, i, o: 0
    #: forward tensors the backward reads ("x0", "x1", ... activation inputs, "y" the
    #: output): the training program keeps them alive to the input_grad step, and the
    #: reference passes them as `aux` (a list, in this order).
    grad_reads: tuple[str, ...] = ()


IR_OPS: dict[str, OpDef] = {}


def ir_op(opdef: OpDef) -> OpDef:
    IR_OPS[opdef.name] = opdef
    return opdef


_loaded = False


def load_all() -> None:
    """Import every op module so that it registers its importers and IR ops."""
    global _loaded
    if _loaded:
        return
    from . import __path__ as pkg_path, __name__ as pkg_name
    for info in pkgutil.iter_modules(pkg_path):
        if info.name != "registry":
            importlib.import_module(f"{pkg_name}.{info.name}")
    _loaded = True


@dataclass
class CEmit:
    """How the C emitter lowers one IR op: Jinja2 one-liners rendered with the step
    context of emit_steps.py (x, x2, y, aux, dy, dx, w, b, p, n, c, hw, lo, hi, in_f, out_f,
    k0 = first constant input)."""

    forward: str
    input_grad: str | None = None
    #: C struct the op needs ("conv" -> mdy_conv_params_t, "pool" -> mdy_pool_params_t)
    params: str | None = None


C_EMIT: dict[str, CEmit] = {}


def c_emit(op: str, emit: CEmit) -> None:
    C_EMIT[op] = emit
