"""The `reference` target behind the Device interface that `medyate train` drives: the
numpy executor of the training IR stands in for the firmware, so a run on `reference`
and one on a device take the same steps and can be compared number for number. Nothing
here is measured on hardware: timings are host wall-clock nanoseconds and memory is
reported as not measured."""
from __future__ import annotations

import time
from typing import Sequence

import numpy as np

from medyate.codegen.compression import CompressionConfig
from medyate.codegen.errors import MedyateError
from medyate.codegen.ir import Graph
from medyate.codegen.plan import Schedule, TrainLayer
from medyate.codegen.reference import ReferenceExecutor
from medyate.host_tools.device.messages import EpochStats, PhaseStats, SampleResults


class _Phase:
    def __init__(self) -> None:
        self.samples = self.correct = self.nanoseconds = 0
        self.loss_sum = 0.0

    def add(self, losses: np.ndarray, correct: int, nanoseconds: int) -> None:
        self.samples += len(losses)
        self.correct += correct
        self.loss_sum += float(np.sum(losses))
        self.nanoseconds += nanoseconds

    def stats(self) -> PhaseStats:
        return PhaseStats(self.samples, self.correct, self.loss_sum, self.nanoseconds)


class ReferenceDevice:
    """Device-like wrapper of a ReferenceExecutor (the subset DeviceTrainer uses)."""

    description = "reference target (numpy executor of the training IR)"
    info = None
    timer_unit = "host_nanoseconds"

    def __init__(self, graph: Graph, layers: list[TrainLayer],
                 compress: CompressionConfig | None = None) -> None:
        self.graph, self.layers = graph, layers
        # compress: saved activations stored compressed (svd, hosvd or asi), per sample
        self.executor = ReferenceExecutor(graph, layers, compress=compress)
        self.classes = graph.tensors[graph.output].size
        self._train, self._eval = _Phase(), _Phase()
        self._updates = 0

    def __enter__(self) -> "ReferenceDevice":
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def set_schedule(self, counts: Sequence[int], channels: Sequence[int],
                     out_counts: Sequence[int] | None = None,
                     out_channels: Sequence[int] = ()) -> None:
        """As Device.set_schedule: input channels, optionally output-channel slots."""
        def by_weight(cs: Sequence[int], flat: Sequence[int]) -> dict[str, list[int]]:
            lists, at = {}, 0
            for layer, count in zip(self.layers, cs):
                if count:
                    lists[layer.onnx_weight] = [int(c) for c in flat[at:at + count]]
                at += count
            return lists
        self.executor.set_schedule(Schedule(by_weight(counts, channels), output_channels=(
            by_weight(out_counts, out_channels) if out_counts is not None else {})))
        self._updates = 0

    def train_batch(self, x: np.ndarray, y: np.ndarray, lr: float) -> SampleResults:
        started = time.perf_counter_ns()
        losses, predicted = [], []
        for xi, yi in zip(x, y):
            loss, logits = self.executor.train_sample(xi, int(yi))
            losses.append(loss)
            predicted.append(int(np.argmax(logits)))
        self.executor.apply_update(lr, len(x))
        self._updates += 1
        result = SampleResults(np.asarray(losses, np.float32), np.asarray(predicted, np.int64))
        self._train.add(result.losses, int(np.sum(result.predicted == y)),
                        time.perf_counter_ns() - started)
        return result

    def evaluate(self, x: np.ndarray, y: np.ndarray, return_logits: bool = False) -> SampleResults:
        started = time.perf_counter_ns()
        logits = np.asarray([self.executor.forward(xi) for xi in x], np.float32)
        z = logits - logits.max(axis=1, keepdims=True)
        losses = np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), y]
        result = SampleResults(losses.astype(np.float32), logits.argmax(axis=1),
                               logits if return_logits else None)
        self._eval.add(result.losses, int(np.sum(result.predicted == y)),
                       time.perf_counter_ns() - started)
        return result

    def epoch_stats(self) -> EpochStats:
        stats = EpochStats(self._train.stats(), self._eval.stats(), self._updates,
                           self.timer_unit, [st.norm_sum.astype(np.float32)
                                             for st in self.executor.state])
        self._train, self._eval = _Phase(), _Phase()
        return stats

    def read_weights(self, layer: int) -> np.ndarray:
        return self.executor.params[self.layers[layer].weight].astype(np.float32).reshape(-1)

    def read_bias(self, layer: int) -> np.ndarray:
        bias = self.layers[layer].bias
        if bias is None:
            raise MedyateError(f"layer {layer} has no bias")
        return self.executor.params[bias].astype(np.float32)

    def exact_weights(self) -> dict[str, np.ndarray]:
        """The executor's float64 weights (a checkpoint that resumes bit for bit)."""
        state = {}
        for index, layer in enumerate(self.layers):
            state[f"w{index}"] = self.executor.params[layer.weight].copy()
            if layer.train_bias and layer.bias is not None:
                state[f"b{index}"] = self.executor.params[layer.bias].copy()
        return state

    def load_weights(self, state: dict[str, np.ndarray]) -> None:
        for key, values in state.items():
            layer = self.layers[int(key[1:])]
            name = layer.weight if key[0] == "w" else layer.bias
            assert name is not None
            target = self.executor.params[name]
            target[...] = np.asarray(values, np.float64).reshape(target.shape)

    def memory_report(self) -> None:
        """Nothing is measured on the reference target."""
        return None
