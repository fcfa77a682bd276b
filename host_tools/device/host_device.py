"""A HostModel (the generated C compiled natively, loaded with ctypes) behind the Device
interface DeviceTrainer drives, so `medyate experiment` trains with the very loop of
`medyate train`: same data order, warm-up, learning-rate steps and channel-norm feedback.
Timings are host wall-clock nanoseconds; nothing is measured on hardware."""
from __future__ import annotations

import time
from typing import Sequence

import numpy as np

from medyate.codegen.plan import TrainLayer
from medyate.host_tools.device.host_model import BIAS, WEIGHT, HostModel
from medyate.host_tools.device.messages import EpochStats, PhaseStats, SampleResults


class _Phase:
    def __init__(self) -> None:
        self.samples = self.correct = self.nanoseconds = 0
        self.loss_sum = 0.0

    def add(self, result: SampleResults, y: np.ndarray, nanoseconds: int) -> None:
        self.samples += len(result.losses)
        self.correct += int(np.sum(result.predicted == np.asarray(y)))
        self.loss_sum += float(np.sum(result.losses))
        self.nanoseconds += nanoseconds

    def stats(self) -> PhaseStats:
        return PhaseStats(self.samples, self.correct, self.loss_sum, self.nanoseconds)


class HostModelDevice:
    description = "host library (generated C compiled natively)"
    info = None
    timer_unit = "host_nanoseconds"

    def __init__(self, model: HostModel, layers: list[TrainLayer], classes: int) -> None:
        self.model, self.layers, self.classes = model, layers, classes
        self._counts = [0] * len(layers)
        self._train, self._eval = _Phase(), _Phase()
        self._updates = 0

    def __enter__(self) -> "HostModelDevice":
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def set_schedule(self, counts: Sequence[int], channels: Sequence[int],
                     out_counts: Sequence[int] | None = None,
                     out_channels: Sequence[int] = ()) -> None:
        """As Device.set_schedule: input channels, optionally output-channel slots."""
        self.model.set_schedule(split_lists(counts, channels),
                                None if out_counts is None else split_lists(out_counts, out_channels))
        self._counts = list(counts)
        self._updates = 0

    def train_batch(self, x: np.ndarray, y: np.ndarray, lr: float) -> SampleResults:
        started = time.perf_counter_ns()
        losses, predicted = [], []
        for xi, yi in zip(x, y):
            loss, logits = self.model.train_sample(xi, int(yi), self.classes)
            losses.append(loss)
            predicted.append(int(np.argmax(logits)))
        self.model.apply_update(lr, len(x))
        self._updates += 1
        result = SampleResults(np.asarray(losses, np.float32), np.asarray(predicted, np.int64))
        self._train.add(result, y, time.perf_counter_ns() - started)
        return result

    def evaluate(self, x: np.ndarray, y: np.ndarray, return_logits: bool = False) -> SampleResults:
        started = time.perf_counter_ns()
        logits = np.asarray([self.model.forward(xi, self.classes) for xi in x], np.float32)
        z = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
        losses = np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), np.asarray(y)]
        result = SampleResults(losses.astype(np.float32), logits.argmax(axis=1),
                               logits if return_logits else None)
        self._eval.add(result, y, time.perf_counter_ns() - started)
        return result

    def epoch_stats(self) -> EpochStats:
        # the buffer holds every input channel: the library copies as many norms as ITS
        # schedule has, which before our first set_schedule is an earlier run's
        norms = [self.model.channel_norms(index, layer.in_channels)[:count]
                 for index, (layer, count) in enumerate(zip(self.layers, self._counts))]
        stats = EpochStats(self._train.stats(), self._eval.stats(), self._updates,
                           self.timer_unit, norms)
        self._train, self._eval = _Phase(), _Phase()
        return stats

    def read_weights(self, layer: int) -> np.ndarray:
        return self.model.read_tensor(layer, WEIGHT)

    def read_bias(self, layer: int) -> np.ndarray:
        return self.model.read_tensor(layer, BIAS)

    def load_weights(self, state: dict[str, np.ndarray]) -> None:
        for key, values in state.items():
            self.model.write_tensor(int(key[1:]), WEIGHT if key[0] == "w" else BIAS, values)

    def memory_report(self) -> None:
        """Nothing is measured on the host library."""
        return None


def split_lists(counts: Sequence[int], flat: Sequence[int]) -> list[np.ndarray]:
    """Per-layer lists from counts and the lists concatenated (the wire layout)."""
    lists, at = [], 0
    for count in counts:
        lists.append(np.asarray(flat[at:at + count], np.int64))
        at += count
    return lists
