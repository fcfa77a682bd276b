"""Targets by name: where a training step runs. `reference` is the numpy oracle;
`host` runs the generated C natively; `qemu-*` run it on an emulated Cortex-M.
Each registers a grad function with the same signature and the same result contract
(the GRADS.npz dictionary)."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from medyate.codegen.errors import MedyateError
from medyate.codegen.gradients import reference_grads

GradFunction = Callable[..., dict[str, np.ndarray]]
GRAD_TARGETS: dict[str, GradFunction] = {}


def register_grad_target(name: str) -> Callable[[GradFunction], GradFunction]:
    def register(fn: GradFunction) -> GradFunction:
        GRAD_TARGETS[name] = fn
        return fn
    return register


@register_grad_target("reference")
def _reference(*, graph: Any, layers: Any, schedule: Any, x: np.ndarray, y: np.ndarray,
               **_: Any) -> dict[str, np.ndarray]:
    return reference_grads(graph, layers, schedule, x, y)


def grad_target(name: str) -> GradFunction:
    _load_device_targets()
    fn = GRAD_TARGETS.get(name)
    if fn is None:
        raise MedyateError(f"unknown target '{name}' (known: {', '.join(sorted(GRAD_TARGETS))})")
    return fn


def _load_device_targets() -> None:
    """Device targets live in their own modules (they pull in the compiler and firmware
    tooling); importing them registers them. An import error there is a bug: let it show."""
    from medyate.host_tools.device import device_targets, qemu_targets  # noqa: F401
