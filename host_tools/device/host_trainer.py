"""Pieces of the one training loop (device_training.DeviceTrainer, which `medyate train`
and `medyate experiment` both run): the learning-rate schedule, and TraDy's dense
channel-norm oracle computed on the host."""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from medyate.codegen.plan import TrainLayer


def cosine_lr(step: int, total_steps: int, warmup_steps: int, base: float, floor: float = 0.0) -> float:
    """Linear warm-up to ``base`` then cosine decay to ``floor * base`` (per SGD step)."""
    if warmup_steps > 0 and step < warmup_steps:
        return base * (step + 1) / warmup_steps
    span = max(total_steps - warmup_steps, 1)
    progress = min((step - warmup_steps) / span, 1.0)
    return base * (floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress)))


def dense_norm_oracle(model: Any, graph: Any, layers: list[TrainLayer], x: np.ndarray,
                      y: np.ndarray, *, samples: int = 32, seed: int = 0
                      ) -> Callable[[int], dict[str, np.ndarray]]:
    """TraDy's det-rgn "oracle": every input channel's gradient norm at the model's current
    weights, from a dense pass on the host (the reference executor, loaded with the weights
    the generated C holds now) over a fixed batch of training samples."""
    from medyate.codegen.plan import Schedule
    from medyate.codegen.reference import ReferenceExecutor
    from medyate.host_tools.device.host_model import BIAS, WEIGHT

    executor = ReferenceExecutor(graph, layers)
    executor.set_schedule(Schedule.full(layers))
    batch = np.random.default_rng([seed, 11]).choice(len(x), min(samples, len(x)), replace=False)

    def norms(epoch: int) -> dict[str, np.ndarray]:
        for layer in layers:
            weight = executor.params[layer.weight]
            weight[...] = model.read_tensor(layer.index, WEIGHT).reshape(weight.shape)
            if layer.train_bias and layer.bias is not None:
                executor.params[layer.bias][...] = model.read_tensor(layer.index, BIAS)
        executor.zero_grad()
        for i in batch:
            executor.train_sample(x[i], int(y[i]), scale=1.0 / len(batch))
        return {layer.onnx_weight: np.sqrt((state.slices ** 2).reshape(layer.in_channels, -1)
                                           .sum(axis=1))
                for layer, state in zip(layers, executor.state)}
    return norms
