"""DATA .npz (architecture.md) and the .npy arrays of `grad --inputs/--labels`.

x_* : (N, C, H, W) real numbers, every value finite (NaN/inf are refused up front: they
      would only come back as a NaN loss or gradient);
y_* : (N,) integers, 0 <= label < 65536 (the serial protocol's 16-bit labels) and, once
      the model is known, < its number of classes (check_labels);
no object arrays (never unpickled), no empty split, x_test and y_test together."""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ..errors import DataError

#: Labels travel as uint16 on the serial line.
MAX_LABEL = 65535


def _load(path: Path, what: str) -> object:
    if not path.exists():
        raise DataError(f"{what} file not found (no such file): {path}")
    if path.is_dir():
        raise DataError(f"{what} {path} is a directory, not a file")
    try:
        with open(path, "rb") as handle:
            magic = handle.read(6)
    except OSError as exc:
        raise DataError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if not magic.startswith((b"PK\x03\x04", b"PK\x05\x06", b"\x93NUMPY")):
        raise DataError(f"cannot read {what} {path}: not an .npy or .npz file "
                        f"({'empty' if not magic else 'unknown header'})")
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise _read_error(exc, what, path, "not a readable .npy/.npz file") from None


def _read_error(exc: Exception, what: str, path: Path, unreadable: str) -> DataError:
    """One line for numpy's read errors: object arrays are named as such."""
    text = " ".join(str(exc).split())
    if isinstance(exc, ValueError):
        if "pickle" in text.lower():
            return DataError(f"{what} {path} holds object arrays (pickled Python objects), "
                             "which medyate does not load: save numeric arrays")
        return DataError(f"cannot read {what} {path}: {text}")
    return DataError(f"cannot read {what} {path}: {unreadable} ({text or type(exc).__name__})")


def load_archive(path: str | Path) -> dict[str, np.ndarray]:
    """Every array of a DATA .npz, or a one-line DataError."""
    path = Path(path)
    loaded = _load(path, "data")
    if isinstance(loaded, np.ndarray):
        raise DataError(f"data {path} is a single .npy array, not an .npz with x_train and y_train")
    try:
        with loaded as archive:  # type: ignore[attr-defined]
            return {key: archive[key] for key in archive.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise _read_error(exc, "data", path, "truncated or corrupt .npz") from None


def load_array(path: str | Path, what: str) -> np.ndarray:
    """One .npy array (grad --inputs/--labels), or a one-line DataError."""
    path = Path(path)
    loaded = _load(path, what)
    if not isinstance(loaded, np.ndarray):
        loaded.close()  # type: ignore[attr-defined]
        raise DataError(f"{what} {path} is an .npz archive: pass one array saved with np.save (.npy)")
    return loaded


def check_images(x: np.ndarray, where: str, *, ndim: int | None = 4) -> np.ndarray:
    """(N, C, H, W) (or any rank, ndim=None) finite real numbers, N >= 1 -> float32."""
    if x.dtype == object or not (np.issubdtype(x.dtype, np.floating) or
                                 np.issubdtype(x.dtype, np.integer)) or x.dtype == np.bool_:
        raise DataError(f"{where} must hold real numbers, got dtype {x.dtype}")
    if ndim is not None and x.ndim != ndim:
        raise DataError(f"{where} must be (N, C, H, W), got shape {x.shape}")
    if x.ndim == 0 or x.shape[0] == 0 or x.size == 0:
        raise DataError(f"{where}: holds no samples (shape {x.shape})")
    x32 = x.astype(np.float32)
    bad = ~np.isfinite(x32)
    if bad.any():
        sample = int(np.argwhere(bad)[0][0])
        raise DataError(f"{where}: sample {sample} holds {'NaN' if np.isnan(x32).any() else 'inf'} "
                        f"values ({int(bad.sum())} non-finite values in all): refused, they "
                        "would give a NaN loss")
    return x32


def check_labels(y: np.ndarray, count: int, where: str, num_classes: int | None = None) -> np.ndarray:
    """(count,) integer labels in [0, min(65536, num_classes)) -> int64."""
    if y.dtype == np.bool_ or not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"{where}: labels must be integers, got dtype {y.dtype}")
    if y.shape != (count,):
        raise DataError(f"{where} must be ({count},) labels, one per sample, got shape {y.shape}")
    if y.size:
        low, high = int(y.min()), int(y.max())
        limit = MAX_LABEL if num_classes is None else min(MAX_LABEL, num_classes - 1)
        if low < 0 or high > limit:
            bad = low if low < 0 else high
            what = (f"the model has {num_classes} classes" if num_classes is not None and
                    num_classes - 1 < MAX_LABEL else "labels are 16-bit on the serial line")
            raise DataError(f"{where}: label {bad} is out of range 0..{limit} ({what})")
    return y.astype(np.int64)


def check_label_range(y: np.ndarray, num_classes: int, where: str) -> None:
    """Labels already checked by check_labels, against the model's class count."""
    check_labels(y, y.shape[0], where, num_classes)
