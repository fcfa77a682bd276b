"""models/NAME.json beside NAME.onnx, format medyate-model-card/1: what the medyate
commands read from it is the input normalisation (mean and std, a number or one per
input channel; std > 0) and the class names."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from .fields import FiniteFloat, Name, PosFloat, Strict
from .jsonfile import read_json_file, validate

CARD_FORMAT = "medyate-model-card/1"


class Normalisation(Strict):
    mean: FiniteFloat | list[FiniteFloat]
    std: PosFloat | list[PosFloat]


class ModelCard(Strict):
    format: Literal["medyate-model-card/1"] = CARD_FORMAT
    name: str = ""
    input_normalisation: Normalisation | None = None
    classes: list[Name] | None = None
    dataset: str = ""


def card_path(model: Path) -> Path:
    return model.with_suffix(".json")


def read_model_card(model: Path) -> dict[str, Any]:
    """The card beside MODEL as a dict (checked), or {} when there is none."""
    path = card_path(model)
    if not path.exists():
        return {}
    data = read_json_file(path, "model card")
    validate(ModelCard, data, f"model card {path}")
    return data


def normalisation(model: Path, data_name: str) -> tuple[Any, Any]:
    """(mean, std) from MODEL's card for a raw named dataset, or a one-line error."""
    card = read_model_card(model)
    norm = card.get("input_normalisation")
    if norm is None:
        missing = "is missing" if not card else "has no input_normalisation"
        raise _error(f"{data_name} is a raw named dataset and {card_path(model)} (the model "
                     f"card with input_normalisation) {missing}: pass a normalised .npz instead")
    return norm["mean"], norm["std"]


def _error(message: str) -> Exception:
    from ..errors import DataError
    return DataError(message)
