"""The training loop on a Device: per epoch a fresh channel schedule, shuffled mini-batches
with plain SGD (cosine learning rate after a linear warm-up, as the papers train),
evaluation on the device, channel gradient norms back to the policy, and the run files.

Samples reach the device through PSRAM when the image fits there (QEMU preloads it at
no cost: every epoch's shuffled order plus the test split), else over the serial line.
"""
from __future__ import annotations

import dataclasses
import math
import pickle
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from medyate.codegen.errors import MedyateError
from medyate.codegen.ir import Graph
from medyate.codegen.plan import TrainLayer
from medyate.host_tools.device.device import Device, ScheduleError, write_preload_dataset
from medyate.host_tools.device.link import DeviceErrorReply
from medyate.host_tools.device.messages import SampleResults
from medyate.host_tools.data.model_data import Uint8Samples
from medyate.host_tools.device.protocol import ErrorCode, SampleEncoding
from medyate.host_tools.device.host_trainer import cosine_lr
from medyate.host_tools.selection.policies import Policy
from medyate.host_tools.selection.policies.base import Schedule as PolicySchedule
from medyate.host_tools.runs.run_files import RunFiles
from medyate.host_tools.selection.neq_probe import NeuronProbe, probe_images

if TYPE_CHECKING:
    from medyate.host_tools.device.reference_device import ReferenceDevice

SAMPLE_ENCODING_NOTES = {
    SampleEncoding.F32: "float32",
    SampleEncoding.U8: "uint8, normalised on the device",
    SampleEncoding.S8: "int8, quantized on the host with the model input's scale/zero point",
}
#: QEMU's mps2 PSRAM (toolchain.md); the device's own figure is checked after hello.
PRELOAD_LIMIT_BYTES = 16 << 20
#: Papers: 5 warm-up epochs; a short run warms up over at most a tenth of its steps.
WARMUP_EPOCHS = 5
WARMUP_MAX_FRACTION = 0.1


@dataclass(frozen=True)
class TrainConfig:
    epochs: int
    lr: float = 0.05
    batch: int = 8
    seed: int = 0


@dataclass
class TrainData:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    #: the same samples as uint8 + the device-side affine, when they are 8-bit images:
    #: sent and stored at 1 byte per pixel, normalised on the device
    u8: Uint8Samples | None = None
    #: float samples of a model that takes int8 input, quantized here exactly as its
    #: quantize step does (with_int8_input): sent and stored at 1 byte per element
    q8: Int8Samples | None = None

    @property
    def encoding(self) -> SampleEncoding:
        if self.u8 is not None:
            return SampleEncoding.U8
        return SampleEncoding.S8 if self.q8 is not None else SampleEncoding.F32

    def train_inputs(self) -> np.ndarray:
        return (self.u8 or self.q8 or self).x_train

    def test_inputs(self) -> np.ndarray | None:
        return (self.u8 or self.q8 or self).x_test

    def with_int8_input(self, graph: Graph) -> "TrainData":
        """Float samples of an int8-input model (quantize.input_quantizer) quantized on
        the host as its reference executor does, so the device stages 1 byte per element
        and reference == host == device stays bit-exact; unchanged otherwise (no int8
        input, or uint8 images, which the device normalises and quantizes itself)."""
        from medyate.codegen.quantize import input_quantizer, quantize_input_samples

        if self.u8 is not None or input_quantizer(graph) is None:
            return self
        x_test = None if self.x_test is None else quantize_input_samples(graph, self.x_test)
        q8 = Int8Samples(quantize_input_samples(graph, self.x_train), x_test)
        return dataclasses.replace(self, q8=q8)


@dataclass(frozen=True)
class Int8Samples:
    """Samples quantized with the model input's scale and zero point (encoding S8)."""

    x_train: np.ndarray
    x_test: np.ndarray | None


@dataclass
class TrainSummary:
    initial_test_accuracy: float | None
    epochs: list[dict[str, Any]] = field(default_factory=list)


class TrainingDiverged(MedyateError):
    """The loss became NaN or infinite: training stops, the last finished epoch is kept."""


def warmup_steps_for(steps_per_epoch: int, epochs: int) -> int:
    total = steps_per_epoch * epochs
    return max(1, min(WARMUP_EPOCHS * steps_per_epoch, int(total * WARMUP_MAX_FRACTION)))


def device_schedule(schedule: PolicySchedule, layers: list[TrainLayer]) -> list[list[int]]:
    """Per-layer input-channel lists in plan order (sorted), as Device.set_schedule sends them."""
    return [sorted(int(c) for c in schedule.channels.get(l.onnx_weight, ())) for l in layers]


def device_output_schedule(schedule: PolicySchedule, layers: list[TrainLayer]) -> list[list[int]]:
    """Per-layer output-channel (NEq neuron) lists in plan order (sorted)."""
    return [sorted(int(c) for c in schedule.output_channels.get(l.onnx_weight, ()))
            for l in layers]


def preload_image_bytes(data: TrainData, epochs: int) -> int:
    per_sample = data.x_train[0].size * (4 if data.encoding == SampleEncoding.F32 else 1) + 2
    test = 0 if data.x_test is None else len(data.x_test)
    return 64 + per_sample * (epochs * len(data.x_train) + test)


def write_preload_image(path: Path, data: TrainData, config: TrainConfig) -> Path:
    """Every epoch's shuffled training order back to back, then the test split."""
    xs, ys = [], []
    x_train, x_test = data.train_inputs(), data.test_inputs()
    for epoch in range(config.epochs):
        order = epoch_order(len(x_train), config.seed, epoch)
        xs.append(x_train[order])
        ys.append(data.y_train[order])
    if x_test is not None and data.y_test is not None:
        xs.append(x_test)
        ys.append(data.y_test)
    return write_preload_dataset(path, np.concatenate(xs), np.concatenate(ys), data.encoding)


def epoch_order(count: int, seed: int, epoch: int) -> np.ndarray:
    return np.random.default_rng([seed, 1000 + epoch]).permutation(count)


class DeviceTrainer:
    """Runs the epochs on an open Device and writes the run files after each one."""

    def __init__(self, device: "Device | ReferenceDevice", *, model: Path, graph: Graph,
                 layers: list[TrainLayer],
                 policy: Policy, policy_name: str, data: TrainData, config: TrainConfig,
                 run: RunFiles, preloaded: bool, console: Console | None = None,
                 on_epoch: Callable[[dict[str, Any]], None] | None = None,
                 checkpoint: bool = True, clock_hz: int | None = None) -> None:
        """clock_hz: the board's core clock; device cycles (DWT) are then also given in
        seconds (instruction counts from QEMU are not converted: QEMU models no cycles).
        checkpoint: write what --resume needs after every epoch."""
        self.device, self.model, self.graph, self.layers = device, model, graph, layers
        self.clock_hz = clock_hz
        self.policy, self.policy_name, self.data, self.config = policy, policy_name, data, config
        self.run, self.preloaded = run, preloaded
        self.console = console or Console()
        self.on_epoch = on_epoch
        self.checkpoint = checkpoint   # write what --resume needs after every epoch
        self.steps_per_epoch = math.ceil(len(data.x_train) / config.batch)
        self.total_steps = self.steps_per_epoch * config.epochs
        self.warmup_steps = warmup_steps_for(self.steps_per_epoch, config.epochs)
        self.step = 0
        # NEq: the neurons' outputs on fixed probe images, from the device's weights
        self.probe = (NeuronProbe(graph, layers, probe_images(data.x_train, config.seed))
                      if policy.NEEDS_NEURON_OUTPUTS else None)

    # ------------------------------------------------------------------ pieces
    def evaluate(self, return_logits: bool = False) -> SampleResults | None:
        if self.data.x_test is None or self.data.y_test is None:
            return None
        if self.preloaded:
            first = self.config.epochs * len(self.data.x_train)
            return self.device.evaluate_preloaded(first, len(self.data.x_test), return_logits)
        return self.device.evaluate(self.data.test_inputs(), self.data.y_test, return_logits,
                                    **self._encoding())

    def _train_batch(self, epoch: int, first: int, count: int, lr: float) -> SampleResults:
        if self.preloaded:
            return self.device.train_preloaded(epoch * len(self.data.x_train) + first, count, lr)
        order = epoch_order(len(self.data.x_train), self.config.seed, epoch)[first:first + count]
        return self.device.train_batch(self.data.train_inputs()[order], self.data.y_train[order],
                                       lr, **self._encoding())

    def _encoding(self) -> dict[str, SampleEncoding]:
        """The encoding argument of a serial Device (the in-process ones take float32)."""
        encoding = self.data.encoding
        return {} if encoding == SampleEncoding.F32 else {"encoding": encoding}

    def _check_finite(self, values: np.ndarray, epoch: int, lr: float,
                      what: str = "the loss") -> None:
        """A NaN/inf loss, norm or weight means the weights are gone: stop before they
        overwrite the last finished epoch's finetuned.onnx (written at the end of an epoch)."""
        values = np.asarray(values, dtype=np.float64)
        if np.all(np.isfinite(values)):
            return
        bad = values[~np.isfinite(values)][0]
        kept = (f"{self.run.finetuned} keeps epoch {epoch - 1}, the last finished one" if epoch
                else f"no epoch finished, so {self.run.finetuned.name} was not written")
        raise TrainingDiverged(f"training diverged at epoch {epoch}, step {self.step}: {what} "
                               f"is {bad} (lr {lr:.4g}); {kept}; try a smaller --lr")

    def _labels(self, epoch: int, first: int, count: int) -> np.ndarray:
        order = epoch_order(len(self.data.x_train), self.config.seed, epoch)
        return self.data.y_train[order[first:first + count]]

    def set_schedule(self, epoch: int) -> PolicySchedule:
        schedule = self.policy.schedule(epoch)
        lists = device_schedule(schedule, self.layers)
        outs = device_output_schedule(schedule, self.layers)
        try:
            if any(outs):
                self.device.set_schedule([len(c) for c in lists], [c for cs in lists for c in cs],
                                         [len(o) for o in outs], [o for os in outs for o in os])
            else:     # input channels only: the message every firmware knows
                self.device.set_schedule([len(c) for c in lists], [c for cs in lists for c in cs])
        except ScheduleError as exc:
            raise MedyateError(f"epoch {epoch}: {exc}") from None
        self.run.append_schedule(schedule.to_json(epoch, include_cost=True))
        return schedule

    def read_trained(self) -> dict[int, tuple[np.ndarray, np.ndarray | None]]:
        out = {}
        for l in self.layers:
            bias = self.device.read_bias(l.index) if l.train_bias and l.bias is not None else None
            out[l.index] = (self.device.read_weights(l.index), bias)
        return out

    # ------------------------------------------------------------------ epochs
    def train(self, resume: bool = False) -> TrainSummary:
        """resume: continue from the run files' checkpoint (weights, policy state,
        learning-rate step) as if the run had never stopped."""
        if self.data.u8 is not None:      # the device normalises the uint8 samples itself
            self.device.set_affine(self.data.u8.scale, self.data.u8.offset)
        checkpoint = self.run.read_checkpoint() if resume else None
        if checkpoint is not None:
            state, weights, self.policy = checkpoint
            self.device.load_weights(weights)
            self.step = int(state["step"])
            summary = TrainSummary(state["initial_test_accuracy"], list(state["epochs"]))
            self.run.truncate_logs(len(summary.epochs))
            self.device.epoch_stats()
            self.console.print(f"resuming after epoch {len(summary.epochs) - 1} "
                               f"(step {self.step})")
        else:
            if self.probe is not None:       # the pretrained neurons: velocity reference
                self.policy.observe_probe(-1, self.probe.outputs(self._device_state()))
            if resume:
                self.run.truncate_logs(0)
            initial = self.evaluate()
            self.device.epoch_stats()        # counters restart: epochs count only themselves
            summary = TrainSummary(None if initial is None else
                                   float(np.mean(initial.predicted == self.data.y_test)))
            if summary.initial_test_accuracy is not None:
                self.console.print(f"pretrained model on the device: test accuracy "
                                   f"{summary.initial_test_accuracy:.4f}")
        self._epoch_start_weights = None if checkpoint is None else checkpoint[1]
        for epoch in range(len(summary.epochs), self.config.epochs):
            # Non-finite values are checked explicitly (_check_finite); numpy's own
            # overflow warnings on the way there would only add noise to the one-line error.
            with np.errstate(over="ignore", invalid="ignore"):
                record = self._train_epoch_retrying(epoch)
            summary.epochs.append(record)
            self._epoch_start_weights = self._weights_state()
            if self.checkpoint:
                self.run.write_checkpoint(
                    {"format": "medyate-checkpoint/1", "epochs_done": epoch + 1,
                     "step": self.step, "initial_test_accuracy": summary.initial_test_accuracy,
                     "epochs": summary.epochs}, self._epoch_start_weights, self.policy)
            if self.on_epoch:
                self.on_epoch(record)
        return summary

    def _train_epoch_retrying(self, epoch: int) -> dict[str, Any]:
        """A device that resets mid-epoch (it answers with a fresh session) is reloaded
        with the weights and policy state of the epoch's start and the epoch runs again,
        once; a second reset is an error."""
        if not isinstance(self.device, Device):   # only a device over a line can reset
            return self.train_epoch(epoch)
        policy_state, step = pickle.dumps(self.policy), self.step
        try:
            return self.train_epoch(epoch)
        except DeviceErrorReply as exc:
            if exc.error.code != ErrorCode.SEQUENCE:
                raise
        self.console.print(f"epoch {epoch}: the device reset (it lost the session); "
                           "reloading it and running the epoch again")
        self.device.hello()
        if self._epoch_start_weights is None:
            self.device.reset_weights()
        else:
            self.device.load_weights(self._epoch_start_weights)
        self.device.zero_grad()
        if self.data.u8 is not None:
            self.device.set_affine(self.data.u8.scale, self.data.u8.offset)
        self.device.epoch_stats()
        self.policy, self.step = pickle.loads(policy_state), step
        self.run.truncate_logs(epoch)
        try:
            return self.train_epoch(epoch)
        except DeviceErrorReply as exc:
            if exc.error.code == ErrorCode.SEQUENCE:
                raise MedyateError(f"epoch {epoch}: the device reset again while the epoch "
                                   f"was retried; giving up ({exc})") from None
            raise

    def _device_state(self) -> dict[str, np.ndarray]:
        """The device's current weights in the checkpoint layout (read back)."""
        self._last_trained = self.read_trained()
        return self._weights_state()

    def _weights_state(self) -> dict[str, np.ndarray]:
        exact = getattr(self.device, "exact_weights", None)   # the float64 reference
        if exact is not None:
            return exact()
        state = {}
        for index, (weight, bias) in self._last_trained.items():
            state[f"w{index}"] = np.asarray(weight, np.float32)
            if bias is not None:
                state[f"b{index}"] = np.asarray(bias, np.float32)
        return state

    def train_epoch(self, epoch: int) -> dict[str, Any]:
        started = time.monotonic()
        schedule = self.set_schedule(epoch)
        n, batch = len(self.data.x_train), self.config.batch
        losses, correct, lr = [], 0, 0.0
        with Progress(TextColumn("epoch {task.fields[epoch]}"), BarColumn(),
                      TextColumn("{task.completed}/{task.total}"),
                      TextColumn("loss {task.fields[loss]:.4f} acc {task.fields[acc]:.3f} "
                                 "{task.fields[rate]:.1f} samples/s lr {task.fields[lr]:.4f}"),
                      TimeElapsedColumn(), console=self.console, transient=True) as progress:
            task = progress.add_task("train", total=n, epoch=epoch, loss=0.0, acc=0.0,
                                     rate=0.0, lr=0.0)
            for first in range(0, n, batch):
                count = min(batch, n - first)
                lr = cosine_lr(self.step, self.total_steps, self.warmup_steps, self.config.lr)
                results = self._train_batch(epoch, first, count, lr)
                self._check_finite(results.losses, epoch, lr)
                self.step += 1
                losses.append(results.losses)
                correct += int(np.sum(results.predicted == self._labels(epoch, first, count)))
                done = first + count
                progress.update(task, completed=done, loss=float(np.mean(np.concatenate(losses))),
                                acc=correct / done, rate=done / (time.monotonic() - started), lr=lr)
        train_seconds = time.monotonic() - started
        evaluation = self.evaluate()
        stats = self.device.epoch_stats()
        self._check_finite(np.concatenate([np.ravel(n) for n in stats.channel_norms] or [[]]),
                           epoch, lr, "a channel gradient norm")
        trained = self.read_trained()
        self._check_finite(np.concatenate([np.ravel(a) for pair in trained.values()
                                           for a in pair if a is not None] or [[]]),
                           epoch, lr, "a trained weight")
        self.policy.observe(epoch, {
            l.onnx_weight: {c: float(v) for c, v in zip(chans, norms)}
            for l, chans, norms in zip(self.layers, device_schedule(schedule, self.layers),
                                       stats.channel_norms)})
        self._last_trained = trained
        if self.probe is not None:
            self.policy.observe_probe(epoch, self.probe.outputs(self._weights_state()))
        self.run.write_finetuned(self.model, self.graph, self.layers, trained)
        seconds = time.monotonic() - started
        unit = stats.timer_unit
        record: dict[str, Any] = {
            "epoch": epoch,
            "train_loss": float(np.mean(np.concatenate(losses))),
            "train_accuracy": correct / n,
            "test_accuracy": (None if evaluation is None else
                              float(np.mean(evaluation.predicted == self.data.y_test))),
            "samples": n, "seconds": round(seconds, 3),
            "train_seconds": round(train_seconds, 3),
            "samples_per_second": round(n / train_seconds, 2),
            f"device_{unit}": stats.train.time,
            "device_counter_unit": (f"{unit} counted on the device over this epoch's "
                                    "training samples and updates (evaluation excluded)"),
            f"device_eval_{unit}": stats.evaluation.time,
            f"{unit}_per_training_sample": stats.train.time // max(1, stats.train.samples),
            "updates": stats.num_updates,
            "policy": self.policy_name, "lr": lr, "base_lr": self.config.lr,
            "scheduled_channels": schedule.channel_count(), "cost_bytes": schedule.cost_bytes,
            "scheduled_output_channels": sum(len(o) for o in schedule.output_channels.values()),
            "data_path": "psram-preload" if self.preloaded else "serial",
            "sample_encoding": SAMPLE_ENCODING_NOTES[self.data.encoding],
        }
        if unit == "cycles" and self.clock_hz:
            record["device_train_seconds"] = round(stats.train.time / self.clock_hz, 6)
            record["board_clock_hz"] = self.clock_hz
        self.run.append_metrics(record)
        test = "" if record["test_accuracy"] is None else f" test acc {record['test_accuracy']:.4f}"
        self.console.print(f"epoch {epoch}: loss {record['train_loss']:.4f} train acc "
                           f"{record['train_accuracy']:.4f}{test} | {n} samples in "
                           f"{train_seconds:.1f} s ({record['samples_per_second']} samples/s), "
                           f"{record[f'{unit}_per_training_sample']} {unit}/sample")
        return record
