"""The epoch loop of on-device fine-tuning, run on a HostModel (the generated C compiled
natively): each epoch a schedule from the policy, SGD batches (no momentum, no weight
decay, as in the papers) under a cosine learning rate with linear warm-up, evaluation,
and the device's channel norms fed back to the policy."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from medyate.codegen.plan import TrainLayer
from medyate.host_tools.policies.base import Policy


@dataclass(frozen=True)
class TrainConfig:
    epochs: int
    batch_size: int = 16
    lr: float = 0.05
    warmup_epochs: float = 1.0   # the papers use 5 of 50; short runs scale it down
    min_lr_fraction: float = 0.0
    seed: int = 0


def cosine_lr(step: int, total_steps: int, warmup_steps: int, base: float, floor: float = 0.0) -> float:
    """Linear warm-up to ``base`` then cosine decay to ``floor * base`` (per SGD step)."""
    if warmup_steps > 0 and step < warmup_steps:
        return base * (step + 1) / warmup_steps
    span = max(total_steps - warmup_steps, 1)
    progress = min((step - warmup_steps) / span, 1.0)
    return base * (floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress)))


def evaluate(model: Any, x: np.ndarray, y: np.ndarray, classes: int) -> float:
    correct = sum(int(np.argmax(model.forward(xi, classes)) == int(yi)) for xi, yi in zip(x, y))
    return correct / max(len(y), 1)


def schedule_lists(layers: list[TrainLayer], channels: dict[str, tuple[int, ...]]) -> list[np.ndarray]:
    return [np.asarray(channels.get(layer.onnx_weight, ()), dtype=np.int64) for layer in layers]


def train_host(model: Any, layers: list[TrainLayer], policy: Policy, x_train: np.ndarray,
               y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray, classes: int,
               config: TrainConfig) -> list[dict[str, Any]]:
    """Fine-tune ``model`` in place; one metrics dict per epoch (epoch 0 = first)."""
    steps_per_epoch = math.ceil(len(x_train) / config.batch_size)
    total = steps_per_epoch * config.epochs
    warmup = int(round(config.warmup_epochs * steps_per_epoch))
    rng = np.random.default_rng([config.seed, 7])
    metrics: list[dict[str, Any]] = []
    step = 0
    for epoch in range(config.epochs):
        start = time.perf_counter()
        schedule = policy.schedule(epoch)
        lists = schedule_lists(layers, schedule.channels)
        model.set_schedule(lists)
        order = rng.permutation(len(x_train))
        losses, correct = [], 0
        for first in range(0, len(order), config.batch_size):
            batch = order[first:first + config.batch_size]
            for i in batch:
                loss, logits = model.train_sample(x_train[i], int(y_train[i]), classes)
                losses.append(loss)
                correct += int(np.argmax(logits) == int(y_train[i]))
            model.apply_update(cosine_lr(step, total, warmup, config.lr, config.min_lr_fraction),
                               len(batch))
            step += 1
        # The device reports the sum over updates of each trained channel's norm.
        norms = {layer.onnx_weight: {int(c): float(v) / steps_per_epoch for c, v in
                                     zip(chans, model.channel_norms(layer.index, len(chans)))}
                 for layer, chans in zip(layers, lists) if len(chans)}
        policy.observe(epoch, norms)
        metrics.append({
            "epoch": epoch, "train_loss": float(np.mean(losses)),
            "train_accuracy": correct / len(order),
            "test_accuracy": evaluate(model, x_test, y_test, classes),
            "samples": len(order), "channels": schedule.channel_count(),
            "schedule_cost_bytes": schedule.cost_bytes,
            "seconds": round(time.perf_counter() - start, 3),
        })
    return metrics


def dense_norm_oracle(model: Any, graph: Any, layers: list[TrainLayer], x: np.ndarray,
                      y: np.ndarray, *, samples: int = 32, seed: int = 0
                      ) -> Callable[[int], dict[str, np.ndarray]]:
    """TraDy's det-rgn "oracle": every input channel's gradient norm at the model's current
    weights, from a dense pass on the host (the reference executor, loaded with the weights
    the generated C holds now) over a fixed batch of training samples."""
    from medyate.codegen.plan import Schedule
    from medyate.codegen.reference import ReferenceExecutor
    from medyate.host_tools.host_model import BIAS, WEIGHT

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
