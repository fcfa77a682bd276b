"""Test model zoo: small PyTorch networks of the family the compiler must handle, plus
ONNX export helpers for both PyTorch exporters.

Every model is tiny (1x28x28 or 3x16x16 input, widths of 4-32) so that exporting and
running it in a test takes well under a second. BatchNorm running statistics and affine
parameters are set to non-trivial random values, so folding BN into a Conv (as the
torchscript exporter does, and as a compiler may) is really exercised.

    from zoo import zoo_models, build_model, exported
    path = exported("mbv2_tiny", "dynamo", keep_batchnorm=False, tmp_dir=tmp_path_factory.getbasetemp())

``build_model(name, seed)`` is deterministic: it returns the same weights as the ones in
the exported file, so a test can compare gradients against PyTorch.

The shipped-model architectures (scripts/pretrain.py) live here too: ``mbv2_shipped`` and
``cnn4``.
"""
from __future__ import annotations

import contextlib
import io
import logging
import unittest.mock
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal, Sequence

import torch
from torch import nn

from zoo_families import FAMILIES

Exporter = Literal["torchscript", "dynamo"]
EXPORTERS: tuple[Exporter, ...] = ("torchscript", "dynamo")
TORCHSCRIPT_OPSET = 17


# --------------------------------------------------------------------------- building blocks
def conv_bn(in_channels: int, out_channels: int, kernel: int, stride: int = 1, groups: int = 1,
            activation: type[nn.Module] | None = nn.ReLU6) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(in_channels, out_channels, kernel, stride, kernel // 2, groups=groups, bias=False),
        nn.BatchNorm2d(out_channels),
    ]
    if activation is not None:
        layers.append(activation())
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand, kxk depthwise, 1x1 linear project, Add when shapes allow."""

    def __init__(self, in_channels: int, out_channels: int, expand: int, stride: int, kernel: int = 3):
        super().__init__()
        hidden = in_channels * expand
        layers: list[nn.Module] = []
        if expand != 1:
            layers.append(conv_bn(in_channels, hidden, 1))
        layers.append(conv_bn(hidden, hidden, kernel, stride, groups=hidden))
        layers.append(conv_bn(hidden, out_channels, 1, activation=None))
        self.body = nn.Sequential(*layers)
        self.use_residual = stride == 1 and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return x + y if self.use_residual else y


# (expand, out_channels, stride, depthwise kernel) per block
BlockConfig = tuple[int, int, int, int]


class MobileNetV2Like(nn.Module):
    """Stem conv, inverted residual blocks, 1x1 head conv, GlobalAveragePool, Linear."""

    def __init__(self, in_channels: int, stem: int, blocks: Sequence[BlockConfig], head: int,
                 num_classes: int = 10, stem_stride: int = 2):
        super().__init__()
        layers: list[nn.Module] = [conv_bn(in_channels, stem, 3, stem_stride)]
        channels = stem
        for expand, out_channels, stride, kernel in blocks:
            layers.append(InvertedResidual(channels, out_channels, expand, stride, kernel))
            channels = out_channels
        layers.append(conv_bn(channels, head, 1))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(head, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


class BasicBlock(nn.Module):
    """ResNet basic block; a 1x1 stride-2 conv + BN shortcut when the shape changes."""

    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        self.conv1 = conv_bn(in_channels, out_channels, 3, stride, activation=nn.ReLU)
        self.conv2 = conv_bn(out_channels, out_channels, 3, activation=None)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = conv_bn(in_channels, out_channels, 1, stride, activation=None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.conv2(self.conv1(x)) + self.shortcut(x))


class ResNetLike(nn.Module):
    def __init__(self, in_channels: int = 3, width: int = 8, num_classes: int = 10):
        super().__init__()
        self.stem = conv_bn(in_channels, width, 3, activation=nn.ReLU)
        self.layer1 = BasicBlock(width, width, 1)
        self.layer2 = BasicBlock(width, 2 * width, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2 * width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer2(self.layer1(self.stem(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


class PlainCNN(nn.Module):
    """conv-ReLU-MaxPool, dilated bias-free conv-ReLU-AvgPool, Flatten, Gemm-ReLU-Gemm."""

    def __init__(self, in_channels: int = 1, image_size: int = 28, widths: tuple[int, int] = (8, 16),
                 hidden: int = 32, num_classes: int = 10, softmax: bool = False):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, padding=1)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(widths[0], widths[1], 3, padding=2, dilation=2, bias=False)
        self.pool2 = nn.AvgPool2d(2)
        self.fc1 = nn.Linear(widths[1] * (image_size // 4) ** 2, hidden)
        self.fc2 = nn.Linear(hidden, num_classes)
        self.softmax = softmax

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool1(torch.relu(self.conv1(x)))
        x = self.pool2(torch.relu(self.conv2(x)))
        logits = self.fc2(torch.relu(self.fc1(torch.flatten(x, 1))))
        return torch.softmax(logits, dim=1) if self.softmax else logits


class CNN4(nn.Module):
    """The shipped plain 4-layer CNN (61,654 parameters at 1x28x28): two 3x3 convs with
    ReLU and MaxPool, then two fully connected layers."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10, widths: tuple[int, int] = (16, 32),
                 hidden: int = 36, image_size: int = 28):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, padding=1)
        self.conv2 = nn.Conv2d(widths[0], widths[1], 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(widths[1] * (image_size // 4) ** 2, hidden)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        return self.fc2(torch.relu(self.fc1(torch.flatten(x, 1))))


def mbv2_shipped(in_channels: int = 1, num_classes: int = 10) -> MobileNetV2Like:
    """The shipped MobileNetV2-style network for 1x28x28 input (48,874 parameters):
    28x28 -> stem stride 2 -> 14x14 -> 7x7 -> 4x4 -> GlobalAveragePool -> Linear."""
    return MobileNetV2Like(in_channels, stem=16, head=160, num_classes=num_classes, blocks=[
        (1, 16, 1, 3),
        (4, 24, 2, 3), (4, 24, 1, 3),
        (4, 48, 2, 3), (4, 48, 1, 3),
    ])


# --------------------------------------------------------------------------- the zoo
@dataclass(frozen=True)
class ZooModel:
    name: str
    constructor: Callable[[], nn.Module]
    input_shape: tuple[int, int, int, int]


_ZOO: dict[str, ZooModel] = {zoo.name: zoo for zoo in [
    ZooModel("mbv2_tiny", lambda: MobileNetV2Like(1, stem=8, head=32, blocks=[
        (1, 8, 1, 3), (3, 12, 2, 3), (3, 12, 1, 3)]), (1, 1, 28, 28)),
    ZooModel("mcunet_tiny", lambda: MobileNetV2Like(3, stem=8, head=24, stem_stride=1, blocks=[
        (3, 12, 2, 5), (3, 12, 1, 7), (4, 16, 2, 5), (3, 16, 1, 7)]), (1, 3, 16, 16)),
    ZooModel("resnet_tiny", lambda: ResNetLike(3, width=8), (1, 3, 16, 16)),
    ZooModel("plain_cnn", lambda: PlainCNN(1, 28), (1, 1, 28, 28)),
    ZooModel("plain_cnn_softmax", lambda: PlainCNN(1, 28, softmax=True), (1, 1, 28, 28)),
]}


def _mbv2_w035_blocks() -> list[BlockConfig]:
    """torchvision's MobileNetV2 table at width 0.35 (channels rounded to multiples of 8)."""
    table = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
             (6, 160, 3, 2), (6, 320, 1, 1)]
    blocks = []
    for expand, channels, repeats, stride in table:
        width = max(8, int(channels * 0.35 + 4) // 8 * 8)
        blocks += [(expand, width, stride if i == 0 else 1, 3) for i in range(repeats)]
    return blocks


def _make_divisible(value: float, divisor: int = 8) -> int:
    """torchvision's channel rounding (models/_utils.py): nearest multiple of 8, never
    more than 10% below the value."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def torchvision_mbv2_blocks(width: float) -> list[BlockConfig]:
    """torchvision.models.mobilenet_v2(width_mult=width)'s inverted residual table."""
    table = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
             (6, 160, 3, 2), (6, 320, 1, 1)]
    return [(expand, _make_divisible(channels * width), stride if i == 0 else 1, 3)
            for expand, channels, repeats, stride in table for i in range(repeats)]


def torchvision_mbv2(width: float = 0.35, num_classes: int = 10) -> MobileNetV2Like:
    """torchvision.models.mobilenet_v2(width_mult=width, num_classes=...) layer for layer
    (stem 3x3 s2, the inverted residual table, 1x1 head to 1280 channels, global average,
    Linear; its Dropout is the identity in eval mode), without needing torchvision:
    408,938 parameters at width 0.35 with 10 classes."""
    return MobileNetV2Like(3, stem=_make_divisible(32 * width), head=_make_divisible(1280 * max(1.0, width)),
                           num_classes=num_classes, blocks=torchvision_mbv2_blocks(width))


#: Board-sized models (issue #9's acceptance nets): bigger than the test zoo, so kept out
#: of zoo_models(); build_model/exported/input_shape know them too.
_BOARD_ZOO: dict[str, ZooModel] = {zoo.name: zoo for zoo in [
    # MobileNetV2-w0.35 body, 32x32 RGB, stem stride 2, 192-wide head: 264,810 parameters
    ZooModel("mbv2_w035_32", lambda: MobileNetV2Like(3, stem=16, head=192, stem_stride=2,
                                                     blocks=_mbv2_w035_blocks()), (1, 3, 32, 32)),
    # torchvision's MobileNetV2 at width 0.35, 96x96 RGB: 408,938 parameters
    ZooModel("mbv2_w035_96", torchvision_mbv2, (1, 3, 96, 96)),
    # MCUNet-style: 5x5/7x7 depthwise, expand 3, 48x48 RGB: 70,354 parameters
    ZooModel("mcunet_48", lambda: MobileNetV2Like(3, stem=8, head=96, stem_stride=2, blocks=[
        (1, 8, 1, 3), (3, 16, 2, 7), (3, 16, 1, 3), (3, 24, 2, 7), (3, 24, 1, 5),
        (3, 32, 2, 5), (3, 32, 1, 5), (3, 48, 1, 7), (3, 64, 2, 5)]), (1, 3, 48, 48)),
]}


#: the common CNN families of issue 12 (tests/zoo_families.py): built and exported like
#: the zoo above, but not part of zoo_models() (their tests are tests/test_ops_*.py)
_ALL: dict[str, ZooModel] = {**_ZOO, **_BOARD_ZOO, **{name: ZooModel(name, ctor, shape)
                                       for name, (ctor, shape) in FAMILIES.items()}}


def family_models() -> list[str]:
    return list(FAMILIES)


def zoo_models() -> list[tuple[str, Callable[[], nn.Module], tuple[int, int, int, int]]]:
    """(name, constructor, input_shape with batch 1) for every test model."""
    return [(zoo.name, zoo.constructor, zoo.input_shape) for zoo in _ZOO.values()]


def randomise_batchnorm(model: nn.Module, generator: torch.Generator) -> None:
    """Give every BN layer statistics and affine parameters far from the identity."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                channels = module.num_features
                module.running_mean.copy_(0.2 * torch.randn(channels, generator=generator))
                module.running_var.copy_(0.5 + 1.5 * torch.rand(channels, generator=generator))
                module.weight.copy_(0.6 + 0.8 * torch.rand(channels, generator=generator))
                module.bias.copy_(0.1 * torch.randn(channels, generator=generator))


def build_model(name: str, seed: int = 0) -> nn.Module:
    """The zoo model ``name`` in eval mode with deterministic weights for ``seed``."""
    if name not in _ALL:
        raise KeyError(f"unknown zoo model {name!r}; known: {sorted(_ALL)}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = _ALL[name].constructor()
    randomise_batchnorm(model, torch.Generator().manual_seed(seed + 1))
    return model.eval()


def input_shape(name: str) -> tuple[int, int, int, int]:
    return _ALL[name].input_shape


def sample_input(name: str, batch: int = 1, seed: int = 0) -> torch.Tensor:
    shape = (batch,) + _ALL[name].input_shape[1:]
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


# --------------------------------------------------------------------------- export
@contextlib.contextmanager
def _quiet_exporter():
    """The dynamo exporter prints progress lines and warns about torchvision; keep logs clean."""
    logger = logging.getLogger("torch.onnx")
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(previous)


@contextlib.contextmanager
def _batchnorm_fusion_disabled(disable: bool):
    """Run the dynamo exporter's graph optimiser without its BN-into-Conv/Gemm rewrites.

    The optimiser reads onnxscript's default rule list at call time; a filtered copy keeps
    constant folding and the other clean-ups, so the graph is the usual one plus separate
    BatchNormalization nodes (tests/test_zoo.py checks that they are really there).
    """
    if not disable:
        yield
        return
    import onnxscript.rewriter as rewriter  # ships with the dynamo exporter's dependencies

    kept = tuple(rule for rule in rewriter._DEFAULT_REWRITE_RULES
                 if "BatchNorm" not in (getattr(rule, "name", None) or ""))
    with unittest.mock.patch.object(rewriter, "_DEFAULT_REWRITE_RULES", kept):
        yield


def export_onnx(model: nn.Module, path: str | Path, input_shape: Sequence[int], *,
                exporter: Exporter = "torchscript", keep_batchnorm: bool = False,
                opset_version: int = TORCHSCRIPT_OPSET) -> Path:
    """Export ``model`` (put in eval mode) with a fixed input shape; returns ``path``.

    torchscript: ``dynamo=False``, opset 13-17, BN folded into the preceding Conv (constant
    folding in eval mode); with ``keep_batchnorm`` the graph is exported with
    ``TrainingMode.PRESERVE`` (the model still in eval mode), which keeps separate
    BatchNormalization nodes with ``training_mode=0``.
    dynamo: the torch 2.x default exporter, opset 18+, weights in ``<path>.data``; its graph
    optimiser folds BN into Conv, and ``keep_batchnorm`` runs it without those rewrites.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    example = (torch.zeros(tuple(input_shape)),)
    with _quiet_exporter():
        if exporter == "torchscript":
            if not 13 <= opset_version <= 17:
                raise ValueError(f"torchscript export here uses opset 13-17, got {opset_version}")
            training = torch.onnx.TrainingMode.PRESERVE if keep_batchnorm else torch.onnx.TrainingMode.EVAL
            torch.onnx.export(model, example, str(path), dynamo=False, opset_version=opset_version,
                              do_constant_folding=True, training=training,
                              input_names=["input"], output_names=["output"])
        elif exporter == "dynamo":
            program = torch.onnx.export(model, example, dynamo=True, optimize=False,
                                        input_names=["input"], output_names=["output"])
            with _batchnorm_fusion_disabled(keep_batchnorm):
                program.optimize()
            program.save(str(path), external_data=True)
        else:
            raise ValueError(f"unknown exporter {exporter!r}; use one of {EXPORTERS}")
    return path


_EXPORT_CACHE: dict[tuple[str, str, bool, str], Path] = {}


def exported(name: str, exporter: Exporter, keep_batchnorm: bool, tmp_dir: str | Path,
             seed: int = 0, opset_version: int = TORCHSCRIPT_OPSET) -> Path:
    """Path of zoo model ``name`` exported once per (tmp_dir, exporter, keep_batchnorm, seed).

    Pass a session-wide directory (``tmp_path_factory.getbasetemp()``) to export each
    model once per test session; ``build_model(name, seed)`` gives the same weights.
    """
    key = (name, exporter, keep_batchnorm, f"{Path(tmp_dir).resolve()}:{seed}:{opset_version}")
    cached = _EXPORT_CACHE.get(key)
    if cached is not None and cached.is_file():
        return cached
    suffix = ("_bn" if keep_batchnorm else "") + (
        f"_o{opset_version}" if opset_version != TORCHSCRIPT_OPSET else "")
    path = Path(tmp_dir) / "zoo" / f"{name}_{exporter}{suffix}_s{seed}" / f"{name}.onnx"
    _EXPORT_CACHE[key] = export_onnx(build_model(name, seed), path, input_shape(name),
                                     exporter=exporter, keep_batchnorm=keep_batchnorm,
                                     opset_version=opset_version)
    return path
