"""A HostModel (the generated C compiled natively, loaded with ctypes) behind the Device
interface DeviceTrainer drives, so `medyate experiment` trains with the very loop of
`medyate train`: same data order, warm-up, learning-rate steps and channel-norm feedback,
and the same inputs (uint8 samples normalised as the firmware does, below).
Timings are host wall-clock nanoseconds; nothing is measured on hardware."""
from __future__ import annotations

import time
from typing import Sequence

import numpy as np

from medyate.codegen.plan import TrainLayer
from medyate.host_tools.device.host_model import BIAS, WEIGHT, HostModel
from medyate.host_tools.device.messages import EpochStats, PhaseStats, SampleResults
from medyate.host_tools.device.protocol import SampleEncoding


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
        self._scale = self._offset = np.ones(0, np.float32)

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

    def set_affine(self, scale: Sequence[float], offset: Sequence[float]) -> None:
        """Per-input-channel x = u8 * scale + offset for samples sent as uint8."""
        self._scale = np.asarray(scale, np.float32)
        self._offset = np.asarray(offset, np.float32)

    def _decode(self, x: np.ndarray, encoding: SampleEncoding) -> np.ndarray:
        """The firmware's decode (firmware/app/sample_input.c): a float32 product, then a
        float32 sum, two roundings (ISO C, no contraction), which numpy's float32
        arithmetic repeats bit for bit. Normalising in float64 instead would differ in
        the last bit of some inputs, and every run would part from the device's."""
        if encoding == SampleEncoding.F32:
            return x
        if len(self._scale) != x.shape[1]:
            raise ValueError(f"uint8 samples have {x.shape[1]} channels, the affine "
                             f"{len(self._scale)}: call set_affine first")
        shape = (1, -1) + (1,) * (x.ndim - 2)
        product = x.astype(np.float32) * self._scale.reshape(shape)
        return product + self._offset.reshape(shape)

    def train_batch(self, x: np.ndarray, y: np.ndarray, lr: float,
                    encoding: SampleEncoding = SampleEncoding.F32) -> SampleResults:
        started = time.perf_counter_ns()
        x = self._decode(x, encoding)
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

    def evaluate(self, x: np.ndarray, y: np.ndarray, return_logits: bool = False,
                 encoding: SampleEncoding = SampleEncoding.F32) -> SampleResults:
        started = time.perf_counter_ns()
        x = self._decode(x, encoding)
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
