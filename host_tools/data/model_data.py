"""DATA for a model: load a named dataset or an .npz, and normalise a raw named dataset
with the statistics of the model's card (models/NAME.json beside NAME.onnx)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from medyate.codegen.errors import DataError
from medyate.codegen.formats.data import check_label_range
from medyate.codegen.formats.model_card import normalisation, read_model_card
from medyate.host_tools.data.datasets import Dataset, DatasetError, load_dataset


def model_card(model: Path) -> dict[str, Any]:
    """models/NAME.json beside NAME.onnx (input normalisation, classes), checked
    (codegen/formats/model_card.py), or {}."""
    return read_model_card(model)


@dataclass(frozen=True)
class Uint8Samples:
    """The same samples as raw uint8 images plus the per-input-channel affine that turns
    them into what the model expects on the device: x = u8 * scale[c] + offset[c]."""

    x_train: np.ndarray
    x_test: np.ndarray | None
    scale: np.ndarray
    offset: np.ndarray


def _as_uint8(raw: np.ndarray | None, levels: float) -> np.ndarray | None:
    if raw is None:
        return None
    q = np.rint(raw.astype(np.float64) * levels)
    if q.min() < 0 or q.max() > 255 or np.abs(q / levels - raw).max() > 1e-6:
        raise ValueError("not uint8 images")
    return q.astype(np.uint8)


def uint8_view(raw: Dataset, mean: Any, std: Any) -> Uint8Samples | None:
    """Raw [0, 1] images that are exactly k/255 (IDX files) or k/256 (the MNIST pickle):
    their uint8 form, so a device receives 1 byte per pixel and normalises itself."""
    channels = raw.x_train.shape[1]
    mean_c = np.broadcast_to(np.asarray(mean, np.float64), (channels,))
    std_c = np.broadcast_to(np.asarray(std, np.float64), (channels,))
    for levels in (255.0, 256.0):
        try:
            x_train, x_test = _as_uint8(raw.x_train, levels), _as_uint8(raw.x_test, levels)
        except ValueError:
            continue
        return Uint8Samples(x_train, x_test, (1.0 / (levels * std_c)).astype(np.float32),
                            (-mean_c / std_c).astype(np.float32))
    return None


def prepare_device_data(model: Path, data: str | Path, *, per_class: int | None = None,
                        seed: int = 0, test_per_class: int | None = None
                        ) -> tuple[Dataset, Uint8Samples | None]:
    """Load DATA; a raw named dataset is normalised as the model's card says, and also
    given as uint8 + affine when its pixels are exact 8-bit levels."""
    if not str(data).endswith(".npz"):
        read_model_card(model)     # a named dataset needs the card: check it before the load
    try:
        dataset = load_dataset(data, per_class=per_class, seed=seed, test_per_class=test_per_class)
    except DatasetError as exc:
        raise DataError(str(exc)) from None
    if dataset.normalised:
        return dataset, None
    mean, std = normalisation(model, str(data))
    channels = dataset.x_train.shape[1]
    for key, value in (("mean", mean), ("std", std)):
        if isinstance(value, list) and len(value) not in (1, channels):
            raise DataError(f"model card {model.with_suffix('.json')}: input_normalisation.{key} "
                            f"has {len(value)} values, the data has {channels} channels")
    return dataset.normalise(mean, std), uint8_view(dataset, mean, std)


def prepare_data(model: Path, data: str | Path, *, per_class: int | None = None, seed: int = 0,
                 test_per_class: int | None = None) -> Dataset:
    """Load DATA; a raw named dataset is normalised as the model's card says."""
    return prepare_device_data(model, data, per_class=per_class, seed=seed,
                               test_per_class=test_per_class)[0]


def check_labels_for_model(dataset: Dataset, num_classes: int, data: str | Path) -> None:
    """Every label of DATA is a class of the model (an out-of-range label would index
    past the logits on the device)."""
    for split, labels in (("y_train", dataset.y_train), ("y_test", dataset.y_test)):
        if labels is not None:
            check_label_range(labels, num_classes, f"data {data}: {split}")
