"""User-facing errors: one clear line each, mapped to exit code 2 by the CLI."""
from __future__ import annotations


class MedyateError(Exception):
    """An error in the user's input (model, plan, schedule, data): no traceback."""

    exit_code = 2


class UnsupportedModelError(MedyateError):
    """The ONNX model uses something the compiler cannot lower."""

    def __init__(self, node: str, op: str, problem: str, hint: str) -> None:
        self.node, self.op = node, op
        super().__init__(f"node '{node}' (op {op}): {problem}; {hint}")


class PlanError(MedyateError):
    """A plan or schedule that does not match the model."""


class DataError(MedyateError):
    """Inputs or labels that do not match the model."""
