"""Small faithful PyTorch builders of the common CNN families (issue 12) for the test
zoo: the torchvision architectures (MobileNetV3-Small, EfficientNet-B0, ShuffleNetV2,
SqueezeNet 1.1, GoogLeNet without aux heads, DenseNet) and MCUNet/ProxylessNAS-style
inverted residuals with squeeze-excitation, at tiny widths and 3x32x32 or smaller
inputs. torchvision 0.28 (the release for torch 2.13) does not load against the CPU
build of torch installed here, so the blocks are rewritten after torchvision's code:
same layer order, same activations, same squeeze-excitation and channel-shuffle
graphs, only fewer and narrower layers.

``ops_cnn`` puts every new op kind between trainable layers of one small net.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn


def cba(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1,
        act: Callable[[], nn.Module] | None = nn.ReLU) -> nn.Sequential:
    """Conv (no bias) + BatchNorm + activation, torchvision's Conv2dNormActivation."""
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False),
                               nn.BatchNorm2d(cout)]
    if act is not None:
        layers.append(act())
    return nn.Sequential(*layers)


class SqueezeExcitation(nn.Module):
    """torchvision.ops.SqueezeExcitation: avgpool -> fc1 (1x1 conv) -> act -> fc2 ->
    gate -> scale * input."""

    def __init__(self, channels: int, squeeze: int, act: Callable[[], nn.Module] = nn.ReLU,
                 gate: Callable[[], nn.Module] = nn.Sigmoid) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.activation = act()
        self.scale_activation = gate()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x)))))
        return scale * x


# ------------------------------------------------------------- MobileNetV3-Small
class MBV3Block(nn.Module):
    def __init__(self, cin: int, k: int, exp: int, cout: int, se: bool, hs: bool, stride: int) -> None:
        super().__init__()
        act = nn.Hardswish if hs else nn.ReLU
        layers: list[nn.Module] = []
        if exp != cin:
            layers.append(cba(cin, exp, 1, act=act))
        layers.append(cba(exp, exp, k, stride, groups=exp, act=act))
        if se:
            layers.append(SqueezeExcitation(exp, max(8, exp // 4), gate=nn.Hardsigmoid))
        layers.append(cba(exp, cout, 1, act=None))
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.block(x)
        return y + x if self.residual else y


class MobileNetV3Small(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            cba(3, 8, 3, 2, act=nn.Hardswish),
            MBV3Block(8, 3, 8, 8, True, False, 2),
            MBV3Block(8, 3, 24, 12, False, False, 2),
            MBV3Block(12, 5, 32, 12, True, True, 1),
            cba(12, 48, 1, act=nn.Hardswish))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Linear(48, 32), nn.Hardswish(), nn.Dropout(0.2),
                                        nn.Linear(32, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


# ------------------------------------------------------------- EfficientNet-B0
class MBConv(nn.Module):
    def __init__(self, cin: int, expand: int, k: int, stride: int, cout: int) -> None:
        super().__init__()
        exp = cin * expand
        layers: list[nn.Module] = []
        if exp != cin:
            layers.append(cba(cin, exp, 1, act=nn.SiLU))
        layers += [cba(exp, exp, k, stride, groups=exp, act=nn.SiLU),
                   SqueezeExcitation(exp, max(1, cin // 4), act=nn.SiLU),
                   cba(exp, cout, 1, act=None)]
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.block(x)
        return y + x if self.residual else y


class EfficientNetB0(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            cba(3, 8, 3, 2, act=nn.SiLU),
            MBConv(8, 1, 3, 1, 8), MBConv(8, 6, 3, 2, 12), MBConv(12, 6, 5, 1, 12),
            cba(12, 40, 1, act=nn.SiLU))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(40, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


# ------------------------------------------------------------- ShuffleNetV2
def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    b, c, h, w = x.size()
    x = x.view(b, groups, c // groups, h, w)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(b, c, h, w)


class ShuffleBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.stride = stride
        half = cout // 2
        if stride > 1:
            self.branch1 = nn.Sequential(cba(cin, cin, 3, stride, groups=cin, act=None),
                                         cba(cin, half, 1))
        bin_ = cin if stride > 1 else half
        self.branch2 = nn.Sequential(cba(bin_, half, 1), cba(half, half, 3, stride, groups=half, act=None),
                                     cba(half, half, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = cba(3, 8, 3, 2)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.stage2 = nn.Sequential(ShuffleBlock(8, 16, 2), ShuffleBlock(16, 16, 1))
        self.stage3 = nn.Sequential(ShuffleBlock(16, 24, 2), ShuffleBlock(24, 24, 1))
        self.conv5 = cba(24, 32, 1)
        self.fc = nn.Linear(32, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv5(self.stage3(self.stage2(self.maxpool(self.conv1(x)))))
        return self.fc(x.mean([2, 3]))


# ------------------------------------------------------------- SqueezeNet 1.1
class Fire(nn.Module):
    def __init__(self, cin: int, squeeze: int, e1: int, e3: int) -> None:
        super().__init__()
        self.squeeze = nn.Conv2d(cin, squeeze, 1)
        self.expand1x1 = nn.Conv2d(squeeze, e1, 1)
        self.expand3x3 = nn.Conv2d(squeeze, e3, 3, padding=1)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.squeeze(x))
        return torch.cat([self.act(self.expand1x1(x)), self.act(self.expand3x3(x))], 1)


class SqueezeNet(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, 2), nn.ReLU(), nn.MaxPool2d(3, 2, ceil_mode=True),
            Fire(16, 4, 8, 8), Fire(16, 4, 8, 8), nn.MaxPool2d(3, 2, ceil_mode=True),
            Fire(16, 6, 12, 12))
        self.classifier = nn.Sequential(nn.Dropout(0.5), nn.Conv2d(24, num_classes, 1), nn.ReLU(),
                                        nn.AdaptiveAvgPool2d(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.classifier(self.features(x)), 1)


# ------------------------------------------------------------- GoogLeNet (no aux heads)
def basic_conv(cin: int, cout: int, k: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, bias=False),
                         nn.BatchNorm2d(cout, eps=0.001), nn.ReLU())


class Inception(nn.Module):
    def __init__(self, cin: int, c1: int, c3r: int, c3: int, c5r: int, c5: int, pool: int) -> None:
        super().__init__()
        self.branch1 = basic_conv(cin, c1, 1)
        self.branch2 = nn.Sequential(basic_conv(cin, c3r, 1), basic_conv(c3r, c3, 3))
        self.branch3 = nn.Sequential(basic_conv(cin, c5r, 1), basic_conv(c5r, c5, 3))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, 1, 1, ceil_mode=True), basic_conv(cin, pool, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class GoogLeNet(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = basic_conv(3, 8, 3, 2)
        self.maxpool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.inception3a = Inception(8, 4, 4, 8, 2, 4, 4)
        self.inception3b = Inception(20, 8, 4, 8, 2, 4, 4)
        self.maxpool3 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.inception4a = Inception(24, 8, 4, 8, 2, 4, 4)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(24, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.avgpool(self.inception4a(x))
        return self.fc(self.dropout(torch.flatten(x, 1)))


# ------------------------------------------------------------- DenseNet
class DenseLayer(nn.Module):
    def __init__(self, cin: int, growth: int, bn_size: int = 2) -> None:
        super().__init__()
        self.norm1, self.relu1 = nn.BatchNorm2d(cin), nn.ReLU()
        self.conv1 = nn.Conv2d(cin, bn_size * growth, 1, bias=False)
        self.norm2, self.relu2 = nn.BatchNorm2d(bn_size * growth), nn.ReLU()
        self.conv2 = nn.Conv2d(bn_size * growth, growth, 3, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv2(self.relu2(self.norm2(self.conv1(self.relu1(self.norm1(x))))))
        return torch.cat([x, y], 1)


class DenseNet(nn.Module):
    def __init__(self, num_classes: int = 10, growth: int = 4) -> None:
        super().__init__()
        c = 8
        layers: list[nn.Module] = [nn.Conv2d(3, c, 3, 2, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                                   nn.MaxPool2d(3, 2, 1)]
        for block in range(2):
            for _ in range(2):
                layers.append(DenseLayer(c, growth))
                c += growth
            if block == 0:   # transition: BN, ReLU, 1x1 conv halving channels, avgpool
                layers += [nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, c // 2, 1, bias=False),
                           nn.AvgPool2d(2, 2)]
                c //= 2
        layers += [nn.BatchNorm2d(c), nn.ReLU()]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.adaptive_avg_pool2d(self.features(x), 1)
        return self.classifier(torch.flatten(x, 1))


# ------------------------------------------------------------- MCUNet / ProxylessNAS with SE
class SEInvertedResidual(nn.Module):
    def __init__(self, cin: int, expand: int, cout: int, k: int, stride: int) -> None:
        super().__init__()
        exp = cin * expand
        self.block = nn.Sequential(
            cba(cin, exp, 1, act=nn.ReLU6), cba(exp, exp, k, stride, groups=exp, act=nn.ReLU6),
            SqueezeExcitation(exp, max(4, exp // 4), gate=nn.Hardsigmoid),
            cba(exp, cout, 1, act=None))
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.block(x)
        return y + x if self.residual else y


class MCUNetSE(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            cba(3, 8, 3, 2, act=nn.ReLU6), SEInvertedResidual(8, 3, 8, 3, 1),
            SEInvertedResidual(8, 3, 12, 5, 2), SEInvertedResidual(12, 3, 12, 3, 1),
            cba(12, 24, 1, act=nn.ReLU6))
        self.classifier = nn.Linear(24, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).mean([2, 3]))


# ------------------------------------------------------------- every new op in one net
class AddDivGate(nn.Module):
    """Per-channel Add and Div of two activations: (x + g) / (1.5 + sigmoid(g)), g a
    1x1 conv of the channel means."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.fc = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = self.fc(x.mean([2, 3], keepdim=True))
        return (x + g) / (1.5 + torch.sigmoid(g))


class OpsCNN(nn.Module):
    """Every op kind of issue 12 between trainable layers, in one small net (so that one
    host build runs every new C kernel forward and backward): ZeroPad2d, LeakyReLU,
    PReLU (per channel and shared), Tanh, a channel split + concat + shuffle,
    squeeze-excitation with a HardSigmoid gate, HardSwish, SiLU and Sigmoid, per-channel
    Add and Div of activations, and a channel Softmax on the input (forward only: no
    gradient flows there)."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.ZeroPad2d((1, 0, 2, 1)), nn.Conv2d(3, 8, 3), nn.LeakyReLU(0.1),
                                  nn.Conv2d(8, 8, 3, 2, 1), nn.PReLU(8))
        self.branch = nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.Tanh())
        self.mid = nn.Sequential(nn.Conv2d(8, 8, 1), nn.PReLU(), SqueezeExcitation(8, 4, gate=nn.Hardsigmoid),
                                 AddDivGate(8),
                                 nn.Conv2d(8, 12, 3, 2, 1), nn.Hardswish(), nn.Conv2d(12, 12, 1), nn.SiLU(),
                                 nn.Conv2d(12, 8, 1), nn.Sigmoid())
        self.classifier = nn.Linear(8, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x * torch.softmax(x, dim=1))
        x1, x2 = x.chunk(2, dim=1)
        x = channel_shuffle(torch.cat((self.branch(x1), x2), dim=1), 2)
        return self.classifier(self.mid(x).mean([2, 3]))


#: name -> (constructor, input shape with batch 1)
FAMILIES: dict[str, tuple[Callable[[], nn.Module], tuple[int, int, int, int]]] = {
    "mobilenetv3_small": (MobileNetV3Small, (1, 3, 32, 32)),
    "efficientnet_b0": (EfficientNetB0, (1, 3, 24, 24)),
    "shufflenetv2": (ShuffleNetV2, (1, 3, 32, 32)),
    "squeezenet": (SqueezeNet, (1, 3, 32, 32)),
    "googlenet": (GoogLeNet, (1, 3, 24, 24)),
    "densenet": (DenseNet, (1, 3, 24, 24)),
    "mcunet_se": (MCUNetSE, (1, 3, 24, 24)),
    "ops_cnn": (OpsCNN, (1, 3, 16, 16)),
}
