#!/usr/bin/env python3
"""Pretrain the shipped models on CPU with PyTorch and export them to models/.

    python scripts/pretrain.py                         # all four: {mbv2, cnn4} x {fashion-mnist, mnist}
    python scripts/pretrain.py --arch mbv2 --dataset fashion-mnist

Writes models/<arch>_<dataset>.onnx (torchscript exporter, opset 17, BatchNorm folded into
the convolutions, batch dimension fixed at 1) and models/<arch>_<dataset>.json (input
normalisation, classes, test accuracy of the ONNX file measured with onnxruntime, training
settings). Deterministic for a given seed on one thread; one thread also keeps the machine
usable for others (a run takes 1-3 minutes per model).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import onnx
import onnxruntime
import torch
from torch import nn

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests"))  # the architectures live with the test zoo

from medyate.host_tools.data.datasets import Dataset, load_dataset  # noqa: E402
from zoo import CNN4, TORCHSCRIPT_OPSET, export_onnx, mbv2_shipped  # noqa: E402

ARCHITECTURES: dict[str, Callable[[], nn.Module]] = {"mbv2": mbv2_shipped, "cnn4": CNN4}
DATASETS = ("fashion-mnist", "mnist")
# Per-dataset statistics of the raw [0, 1] training images; a model expects its inputs
# normalised with the statistics of the data it was pretrained on.
NORMALISATION: dict[str, tuple[float, float]] = {
    "mnist": (0.1307, 0.3081),
    "fashion-mnist": (0.2860, 0.3530),
}


@dataclass(frozen=True)
class TrainingSettings:
    epochs: int
    batch_size: int = 128
    optimizer: str = "adam"
    peak_learning_rate: float = 3e-3
    schedule: str = "one-cycle (cosine)"
    weight_decay: float = 0.0
    seed: int = 0
    threads: int = 1


DEFAULT_EPOCHS = {"mbv2": 3, "cnn4": 3}


def train(model: nn.Module, data: Dataset, settings: TrainingSettings) -> None:
    generator = torch.Generator().manual_seed(settings.seed)
    x_train = torch.from_numpy(data.x_train)
    y_train = torch.from_numpy(data.y_train)
    steps_per_epoch = (len(x_train) + settings.batch_size - 1) // settings.batch_size
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.peak_learning_rate,
                                 weight_decay=settings.weight_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, settings.peak_learning_rate,
                                                    total_steps=settings.epochs * steps_per_epoch)
    model.train()
    for epoch in range(settings.epochs):
        order = torch.randperm(len(x_train), generator=generator)
        started, total_loss = time.time(), 0.0
        for step in range(steps_per_epoch):
            batch = order[step * settings.batch_size:(step + 1) * settings.batch_size]
            loss = nn.functional.cross_entropy(model(x_train[batch]), y_train[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total_loss += loss.item()
        print(f"  epoch {epoch + 1}/{settings.epochs}: train loss {total_loss / steps_per_epoch:.4f} "
              f"({time.time() - started:.0f} s)", flush=True)
    model.eval()


def torch_accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    with torch.no_grad():
        predictions = torch.cat([model(torch.from_numpy(x[i:i + 1000])).argmax(1)
                                 for i in range(0, len(x), 1000)])
    return float((predictions.numpy() == y).mean())


def onnx_accuracy(path: Path, x: np.ndarray, y: np.ndarray) -> float:
    """Accuracy of the exported file itself, one sample at a time (its batch is fixed at 1)."""
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    correct = sum(int(session.run(None, {input_name: x[i:i + 1]})[0].argmax() == y[i]) for i in range(len(x)))
    return correct / len(x)


def name_folded_initializers(path: Path, model: nn.Module) -> None:
    """Give the BN-folded Conv weights the names of their PyTorch modules.

    The torchscript exporter names a folded weight ``onnx::Conv_123``; plan.json and
    schedule.json refer to weights by initializer name, so the shipped files carry
    readable ones (``features.1.body.0.0.weight`` / ``.bias``). Conv nodes come in forward
    order, which for these networks is the modules' definition order (checked by shape).
    """
    model_proto = onnx.load(str(path))
    graph = model_proto.graph
    shapes = {t.name: tuple(t.dims) for t in graph.initializer}
    convs = [node for node in graph.node if node.op_type == "Conv"]
    modules = [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    if len(convs) != len(modules):
        raise RuntimeError(f"{path}: {len(convs)} Conv nodes but {len(modules)} Conv2d modules")
    renames: dict[str, str] = {}
    for node, (module_name, module) in zip(convs, modules):
        if shapes[node.input[1]] != tuple(module.weight.shape):
            raise RuntimeError(f"{path}: Conv {node.name} does not match module {module_name}")
        for old, suffix in zip(node.input[1:], (".weight", ".bias")):
            renames[old] = module_name + suffix
    for tensor in graph.initializer:
        tensor.name = renames.get(tensor.name, tensor.name)
    for node in graph.node:
        node.input[:] = [renames.get(name, name) for name in node.input]
    onnx.checker.check_model(model_proto)
    onnx.save(model_proto, str(path))


def onnx_parameter_count(path: Path) -> int:
    """Values held in the file's initializers (BN folding leaves one bias per channel
    where PyTorch had gamma and beta, so this is below the PyTorch count)."""
    return sum(int(np.prod(t.dims)) for t in onnx.load(str(path)).graph.initializer)


def pretrain(arch: str, dataset_name: str, out_dir: Path, settings: TrainingSettings) -> dict:
    torch.manual_seed(settings.seed)
    torch.set_num_threads(settings.threads)
    torch.use_deterministic_algorithms(True)
    mean, std = NORMALISATION[dataset_name]
    data = load_dataset(dataset_name).normalise(mean, std)
    assert data.x_test is not None and data.y_test is not None
    model = ARCHITECTURES[arch]()
    name = f"{arch}_{dataset_name.replace('-', '_')}"
    parameters = sum(p.numel() for p in model.parameters())
    print(f"{name}: {parameters} parameters, {settings.epochs} epochs on {len(data.x_train)} images", flush=True)
    started = time.time()
    train(model, data, settings)
    seconds = time.time() - started

    path = export_onnx(model, out_dir / f"{name}.onnx", (1,) + data.input_shape, exporter="torchscript")
    name_folded_initializers(path, model)
    reference = torch_accuracy(model, data.x_test, data.y_test)
    accuracy = onnx_accuracy(path, data.x_test, data.y_test)
    if abs(accuracy - reference) > 1e-3:
        raise RuntimeError(f"{path}: onnxruntime accuracy {accuracy} differs from torch {reference}")
    card = {
        "format": "medyate-model-card/1",
        "name": name,
        "onnx": path.name,
        "onnx_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "architecture": arch,
        "parameters": parameters,
        "onnx_parameters": onnx_parameter_count(path),
        "input_shape": [1, *data.input_shape],
        "input_normalisation": {"mean": [mean], "std": [std],
                                "note": "x = (pixel / 255 - mean) / std, per channel"},
        "dataset": dataset_name,
        "classes": data.classes,
        "test_accuracy": round(accuracy, 4),
        "test_samples": len(data.y_test),
        "exporter": {"name": "torchscript", "opset": TORCHSCRIPT_OPSET, "batchnorm": "folded into Conv",
                     "initializer_names": "PyTorch module names (renamed after export)",
                     "torch": torch.__version__},
        "training": asdict(settings) | {"seconds": round(seconds, 1), "train_samples": len(data.x_train),
                                        "cpu": platform.processor() or platform.machine()},
    }
    (out_dir / f"{name}.json").write_text(json.dumps(card, indent=2) + "\n")
    print(f"{name}: test accuracy {accuracy:.4f} (onnxruntime, {len(data.y_test)} images), "
          f"trained in {seconds:.0f} s -> {path}", flush=True)
    return card


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", choices=[*ARCHITECTURES, "all"], default="all")
    parser.add_argument("--dataset", choices=[*DATASETS, "all"], default="all")
    parser.add_argument("--epochs", type=int, default=None, help="default: 3 (mbv2 and cnn4)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "models")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    archs = list(ARCHITECTURES) if args.arch == "all" else [args.arch]
    datasets = list(DATASETS) if args.dataset == "all" else [args.dataset]
    for arch in archs:
        for dataset_name in datasets:
            settings = TrainingSettings(epochs=args.epochs or DEFAULT_EPOCHS[arch], seed=args.seed,
                                        threads=args.threads)
            pretrain(arch, dataset_name, args.out, settings)


if __name__ == "__main__":
    main()
