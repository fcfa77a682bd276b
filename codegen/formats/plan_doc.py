"""plan.json, format medyate-plan/1 (architecture.md):

    {"format": "medyate-plan/1", "budget_bytes": 131072,
     "layers": [{"weight": "<initializer of a Conv/Gemm weight>", "bias": true}, ...]}

Other keys (policy, selection, accounting, compression, ...) are kept as they are."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import StrictBool, field_validator

from .fields import Name, NonNegInt, Strict
from .jsonfile import read_json_file, validate

PLAN_FORMAT = "medyate-plan/1"


class PlanLayer(Strict):
    weight: Name
    bias: StrictBool = False


class PlanDocument(Strict):
    format: Literal["medyate-plan/1"]
    budget_bytes: NonNegInt = 0
    layers: list[PlanLayer]

    @field_validator("layers")
    @classmethod
    def _distinct(cls, layers: list[PlanLayer]) -> list[PlanLayer]:
        seen: set[str] = set()
        for layer in layers:
            if layer.weight in seen:
                raise ValueError(f"weight {layer.weight!r} is listed twice")
            seen.add(layer.weight)
        return layers


def check_plan(data: Any, where: str = "plan") -> PlanDocument:
    return validate(PlanDocument, data, where)


def read_plan(path: str | Path) -> tuple[dict[str, Any], PlanDocument]:
    """The plan file's raw object (kept for round trips) and its checked form."""
    data = read_json_file(path, "plan")
    return data, check_plan(data, f"plan {path}")
