"""PyTorch autograd as the gradient oracle (float64) for zoo models."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

from medyate.codegen.plan import TrainLayer


def torch_grads(model: nn.Module, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, dict[str, np.ndarray]]:
    """Mean softmax cross-entropy over the batch, its logits and parameter gradients."""
    m = model.double().eval()
    m.zero_grad()
    logits = m(torch.tensor(x, dtype=torch.float64))
    if logits.shape[-1] and torch.allclose(logits.exp().sum(-1), torch.ones(len(x), dtype=torch.float64)):
        raise AssertionError("model output looks like probabilities; pass the logits model")
    loss = nn.functional.cross_entropy(logits, torch.tensor(y, dtype=torch.long))
    loss.backward()
    grads = {n: p.grad.detach().numpy().copy() for n, p in m.named_parameters() if p.grad is not None}
    return float(loss.detach()), logits.detach().numpy(), grads


def channel_mask(layer: TrainLayer, w_shape: tuple[int, ...], channels: list[int]) -> np.ndarray:
    """Boolean mask over a weight (ONNX/torch layout [O][I/g][..] or Linear [O][I]) of the
    weights that read the listed input channels."""
    keep = np.zeros(w_shape, dtype=bool)
    if layer.kind == "gemm":
        keep[:, channels] = True
        return keep
    groups = layer.node.attrs["group"]
    og, cg = w_shape[0] // groups, w_shape[1]
    for c in channels:
        keep[(c // cg) * og:(c // cg + 1) * og, c % cg] = True
    return keep


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12))
