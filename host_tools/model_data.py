"""DATA for a model: load a named dataset or an .npz, and normalise a raw named dataset
with the statistics of the model's card (models/NAME.json beside NAME.onnx)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from medyate.codegen.errors import DataError
from .datasets import Dataset, DatasetError, load_dataset


def model_card(model: Path) -> dict[str, Any]:
    """models/NAME.json beside NAME.onnx (input normalisation, classes), or {}."""
    card = model.with_suffix(".json")
    return json.loads(card.read_text()) if card.is_file() else {}


def prepare_data(model: Path, data: str | Path, *, per_class: int | None = None, seed: int = 0,
                 test_per_class: int | None = None) -> Dataset:
    """Load DATA; a raw named dataset is normalised as the model's card says."""
    try:
        dataset = load_dataset(data, per_class=per_class, seed=seed, test_per_class=test_per_class)
    except DatasetError as exc:
        raise DataError(str(exc)) from None
    if dataset.normalised:
        return dataset
    norm = model_card(model).get("input_normalisation")
    if norm is None:
        raise DataError(f"{data} is a raw named dataset and {model.with_suffix('.json')} "
                        "(the model card with input_normalisation) is missing: pass a "
                        "normalised .npz instead")
    return dataset.normalise(norm["mean"], norm["std"])
