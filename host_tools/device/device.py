"""Drive a device running the medyate firmware: host process, QEMU or a real board.

    with Device.open_target("qemu-mps2-an386", elf) as device:
        info = device.hello()
        device.set_schedule([2, 3], [0, 5, 1, 2, 7])
        device.train_batch(x, y, lr=0.05)
        stats = device.epoch_stats()
"""
from __future__ import annotations

import struct
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from medyate.host_tools.device.link import (DeviceErrorReply, FrameTooLarge, Link, LinkError, LinkTimeout, PipeTransport,
                   SerialTransport)
from medyate.host_tools.device.messages import (DeviceInfo, EpochStats, LayerInfo, MemoryReport, SampleResults,
                       parse_float_window)
from medyate.host_tools.device.protocol import (MAX_PAYLOAD, MODEL_ERROR_NAMES, PRELOAD_HEADER, PRELOAD_MAGIC,
                       PROTOCOL_VERSION, MessageType, SampleEncoding, TensorKind)
from medyate.host_tools.device.qemu import QemuProcess

SAMPLE_RESULT_BYTES = 6


class ScheduleError(ValueError):
    """The device refused a channel schedule (model_set_schedule's code is in .code)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class ModelHashMismatch(RuntimeError):
    """The device runs another model than the host expects."""


class ProtocolMismatch(RuntimeError):
    """The device speaks another protocol version."""


class Device:
    """One device session over a reliable Link. Close it (or use `with`)."""

    def __init__(self, link: Link, *, description: str = "device",
                 max_payload: int = MAX_PAYLOAD,
                 cleanup: Sequence[Callable[[], None]] = ()) -> None:
        self.link = link
        self.description = description
        self.link.max_payload = min(self.link.max_payload, max_payload)
        self._cleanup = list(cleanup)
        self.info: DeviceInfo | None = None

    # ----------------------------------------------------------------- opening
    @classmethod
    def open_host(cls, executable: Path | str, *, timeout_s: float = 2.0,
                  expected_model_hash: str | None = None, **link_options: object) -> "Device":
        transport = PipeTransport([str(executable)])
        link = Link(transport, timeout_s=timeout_s, **link_options)  # type: ignore[arg-type]
        return cls._connect(cls(link, description=f"host process {executable}"),
                            expected_model_hash)

    @classmethod
    def open_qemu(cls, elf: Path | str, *, timeout_s: float = 5.0,
                  expected_model_hash: str | None = None, preload: Path | None = None,
                  qemu_args: Sequence[str] = (), url_wrapper: Callable[[str], str] | None = None,
                  board: str = "mps2-an386", **link_options: object) -> "Device":
        """Starts QEMU on a free port; QEMU is killed when the device closes or fails.
        url_wrapper may redirect the connection (e.g. through a FaultyProxy).
        board: the emulated board (host_tools/device/qemu.py MACHINES)."""
        qemu = QemuProcess(Path(elf), board=board, preload=preload, extra_args=qemu_args).start()
        try:
            url = url_wrapper(qemu.url) if url_wrapper else qemu.url
            transport = SerialTransport.open_url(url)
            link = Link(transport, timeout_s=timeout_s, **link_options)  # type: ignore[arg-type]
            device = cls(link, description=f"QEMU {qemu.board} ({elf})", cleanup=[qemu.stop])
            device.qemu = qemu
        except BaseException:
            qemu.stop()
            raise
        return cls._connect(device, expected_model_hash)

    @classmethod
    def open_serial(cls, port: str, *, baudrate: int = 115200, timeout_s: float = 5.0,
                    expected_model_hash: str | None = None, **link_options: object) -> "Device":
        transport = SerialTransport.open_port(port, baudrate)
        link = Link(transport, timeout_s=timeout_s, **link_options)  # type: ignore[arg-type]
        return cls._connect(cls(link, description=f"serial port {port}"), expected_model_hash)

    @classmethod
    def open_target(cls, target: str, artifact: Path | str, **options: object) -> "Device":
        """target: 'host', 'qemu-mps2-an386' or 'serial:/dev/ttyACM0'."""
        if target.startswith("serial:"):
            return cls.open_serial(target.split(":", 1)[1], **options)  # type: ignore[arg-type]
        openers = {"host": cls.open_host, "qemu-mps2-an386": cls.open_qemu}
        if target not in openers:
            raise ValueError(f"unknown target {target!r}; known: {sorted(openers)} or serial:PORT")
        return openers[target](artifact, **options)  # type: ignore[operator]

    @classmethod
    def _connect(cls, device: "Device", expected_model_hash: str | None) -> "Device":
        try:
            info = device.hello()
            if expected_model_hash is not None and info.model_hash != expected_model_hash:
                raise ModelHashMismatch(
                    f"{device.description} runs model {info.model_hash!r}, "
                    f"expected {expected_model_hash!r}: rebuild or reflash the firmware")
        except BaseException:
            device.close()
            raise
        return device

    @property
    def max_payload(self) -> int:
        """Largest payload the device takes; frames are cut to the link's adapted
        `payload_limit`, which never exceeds it."""
        return self.link.max_payload

    @max_payload.setter
    def max_payload(self, value: int) -> None:
        self.link.max_payload = value

    @property
    def _limit(self) -> int:
        return self.link.payload_limit

    def close(self) -> None:
        try:
            self.link.close()
        finally:
            for action in self._cleanup:
                action()
            self._cleanup.clear()

    def __enter__(self) -> "Device":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---------------------------------------------------------------- requests
    def request(self, message_type: int, payload: bytes = b"",
                timeout_s: float | None = None, *, reply_bytes: int | None = None,
                resizable: bool = False) -> bytes:
        """One request; returns the reply payload. Raises LinkTimeout / DeviceErrorReply,
        and FrameTooLarge for a resizable request the line cannot carry (send less)."""
        try:
            return self.link.request(message_type, payload, timeout_s, reply_bytes=reply_bytes,
                                     resizable=resizable).payload
        except LinkTimeout as exc:
            raise LinkTimeout(f"{self.description} does not answer: {exc}") from exc

    def hello(self) -> DeviceInfo:
        info = DeviceInfo.parse(self.request(MessageType.HELLO))
        if info.protocol_version != PROTOCOL_VERSION:
            raise ProtocolMismatch(f"device protocol {info.protocol_version}, host {PROTOCOL_VERSION}")
        layers = tuple(LayerInfo.parse(i, self.request(MessageType.LAYER_INFO, struct.pack("<H", i)))
                       for i in range(info.num_layers))
        self.info = DeviceInfo(**{**info.__dict__, "layers": layers})
        self.link.max_payload = min(self.link.max_payload, info.max_payload)
        return self.info

    @property
    def _info(self) -> DeviceInfo:
        if self.info is None:
            self.hello()
        assert self.info is not None
        return self.info

    def set_affine(self, scale: Sequence[float], offset: Sequence[float]) -> None:
        """Per-input-channel x = u8 * scale + offset for samples sent as uint8."""
        scale_array = np.asarray(scale, "<f4")
        offset_array = np.asarray(offset, "<f4")
        payload = struct.pack("<H", len(scale_array)) + scale_array.tobytes() + offset_array.tobytes()
        self.request(MessageType.SET_AFFINE, payload)

    def set_schedule(self, counts: Sequence[int], channels: Sequence[int],
                     out_counts: Sequence[int] | None = None,
                     out_channels: Sequence[int] = ()) -> None:
        """counts[l] input channels of layer l; channels = per-layer lists concatenated;
        optionally out_counts[l] output channels (NEq neurons) of layer l, out_channels
        their lists concatenated. Raises ScheduleError if the device refuses it (nothing
        changes then)."""
        info = self._info
        if len(counts) != info.num_layers or sum(counts) != len(channels):
            raise ScheduleError(2, f"schedule needs {info.num_layers} counts summing to "
                                   f"{len(channels)} channels, got {list(counts)}")
        outputs = out_counts is not None and any(out_counts)
        if outputs and (len(out_counts) != info.num_layers  # type: ignore[arg-type]
                        or sum(out_counts) != len(out_channels)):  # type: ignore[arg-type]
            raise ScheduleError(2, f"schedule needs {info.num_layers} output counts summing "
                                   f"to {len(out_channels)} channels, got {list(out_counts or [])}")
        values = np.asarray(list(counts) + list(channels)
                            + (list(out_counts or []) + list(out_channels) if outputs else []), "<u2")
        first = 0
        while first < len(values):
            count = max(1, (self._limit - 2) // 2)
            try:
                self.request(MessageType.SCHEDULE_DATA, struct.pack("<H", first)
                             + values[first:first + count].tobytes(), reply_bytes=0,
                             resizable=True)
            except FrameTooLarge:
                continue
            first += count
        # the output part's offset only when there is one: an input-only commit stays
        # the 2-byte message older firmware knows
        commit = struct.pack("<H", len(values)) + (
            struct.pack("<H", len(counts) + len(channels)) if outputs else b"")
        (status,) = struct.unpack("<i", self.request(MessageType.SCHEDULE_COMMIT, commit))
        if status != 0:
            cost = sum(n * layer.channel_cost_bytes for n, layer in zip(counts, info.layers))
            if outputs:
                cost += sum(4 * (layer.in_channels * layer.plane_elems
                                 + n * layer.weight_elems // layer.out_channels)
                            for n, layer in zip(out_counts or [], info.layers) if n)
            raise ScheduleError(status, (
                f"device refused the schedule: {MODEL_ERROR_NAMES.get(status, status)} "
                f"(schedule costs {cost} bytes, channel pool holds {info.channel_pool_bytes}; "
                f"counts {list(counts)})"))

    # ---------------------------------------------------------------- samples
    def _encode_samples(self, x: np.ndarray, encoding: SampleEncoding) -> np.ndarray:
        count = len(x)
        flat = np.asarray(x).reshape(count, -1)
        if flat.shape[1] != self._info.input_elems:
            raise ValueError(f"samples have {flat.shape[1]} elements, model input "
                             f"{self._info.input_shape} has {self._info.input_elems}")
        if not (self._info.encodings >> int(encoding)) & 1:
            raise ValueError(f"the device does not accept {encoding.name} samples "
                             f"(encodings bitmask {self._info.encodings:#x})")
        dtype = SAMPLE_DTYPES[encoding]
        if encoding != SampleEncoding.F32 and flat.dtype != dtype:
            raise ValueError(f"{encoding.name} encoding needs {np.dtype(dtype).name} samples")
        return flat.astype(dtype)

    def _run_samples(self, train: bool, x: np.ndarray, y: np.ndarray,
                     encoding: SampleEncoding, return_logits: bool = False) -> SampleResults:
        samples = self._encode_samples(x, encoding)
        labels = np.asarray(y, dtype=np.int64).reshape(-1)
        if len(labels) != len(samples):
            raise ValueError("x and y differ in length")
        result_bytes = SAMPLE_RESULT_BYTES + (4 * self._info.num_classes if return_logits else 0)
        record = 2 + samples.itemsize * samples.shape[1]
        flags = 1 if return_logits else 0
        message = MessageType.TRAIN if train else MessageType.EVALUATE
        parts = []
        first = 0
        while first < len(samples):
            # samples per frame: what the line carries now, request and reply together
            per_frame = min((self._limit - 8) // (record + result_bytes),
                            (MAX_PAYLOAD - 4) // result_bytes, len(samples) - first)
            if per_frame <= 0:    # one sample is more than a frame: stage it in pieces
                parts.append(self._run_staged(train, samples[first], int(labels[first]),
                                              encoding, flags, result_bytes))
                first += 1
                continue
            chunk = samples[first:first + per_frame]
            body = b"".join(struct.pack("<H", int(label)) + sample.tobytes()
                            for sample, label in zip(chunk, labels[first:first + per_frame]))
            payload = struct.pack("<BBH", int(encoding), flags, len(chunk)) + body
            try:
                reply = self.request(message, payload, reply_bytes=4 + per_frame * result_bytes,
                                     resizable=True)
            except FrameTooLarge:
                continue
            parts.append(SampleResults.parse(reply))
            first += per_frame
        return SampleResults.concat(parts)

    def _run_staged(self, train: bool, sample: np.ndarray, label: int,
                    encoding: SampleEncoding, flags: int, result_bytes: int) -> SampleResults:
        first = 0
        while first < len(sample):
            per_chunk = max(1, (self._limit - 8) // sample.itemsize)
            try:
                self.request(MessageType.SAMPLE_CHUNK,
                             struct.pack("<BBHI", int(encoding), 0, 0, first)
                             + sample[first:first + per_chunk].tobytes(), reply_bytes=0,
                             resizable=True)
            except FrameTooLarge:
                continue
            first += per_chunk
        message = MessageType.TRAIN_STAGED if train else MessageType.EVALUATE_STAGED
        return SampleResults.parse(self.request(message, struct.pack("<HB", label, flags),
                                                reply_bytes=4 + result_bytes))

    def train_samples(self, x: np.ndarray, y: np.ndarray,
                      encoding: SampleEncoding = SampleEncoding.F32) -> SampleResults:
        """Forward + backward, gradients ACCUMULATED on the device (no update)."""
        return self._run_samples(True, x, y, encoding)

    def apply_update(self, lr: float, batch: int) -> None:
        """SGD step with the mean of the accumulated gradients over `batch` samples."""
        self.request(MessageType.APPLY_UPDATE, struct.pack("<fI", lr, batch))

    def train_batch(self, x: np.ndarray, y: np.ndarray, lr: float,
                    encoding: SampleEncoding = SampleEncoding.F32) -> SampleResults:
        """Trains one mini-batch: accumulate every sample, then one SGD update."""
        results = self.train_samples(x, y, encoding)
        self.apply_update(lr, len(results.losses))
        return results

    def evaluate(self, x: np.ndarray, y: np.ndarray, return_logits: bool = False,
                 encoding: SampleEncoding = SampleEncoding.F32) -> SampleResults:
        return self._run_samples(False, x, y, encoding, return_logits)

    def _run_preloaded(self, train: bool, first: int, count: int, flags: int) -> SampleResults:
        result_bytes = SAMPLE_RESULT_BYTES + (4 * self._info.num_classes if flags else 0)
        message = MessageType.TRAIN_PRELOADED if train else MessageType.EVALUATE_PRELOADED
        parts = []
        start, end = first, first + count
        while start < end:
            per_frame = max(1, min((self._limit - 4) // result_bytes,
                                   (MAX_PAYLOAD - 4) // result_bytes, end - start,
                                   PRELOADED_SAMPLES_PER_REQUEST))
            try:
                reply = self.request(message, struct.pack("<IHB", start, per_frame, flags),
                                     reply_bytes=4 + per_frame * result_bytes, resizable=True)
            except FrameTooLarge:
                continue
            parts.append(SampleResults.parse(reply))
            start += per_frame
        return SampleResults.concat(parts)

    def train_preloaded(self, first: int, count: int, lr: float | None = None) -> SampleResults:
        """Trains samples first..first+count-1 of the dataset preloaded into PSRAM; with
        lr, applies one SGD update over them."""
        results = self._run_preloaded(True, first, count, 0)
        if lr is not None:
            self.apply_update(lr, count)
        return results

    def evaluate_preloaded(self, first: int, count: int, return_logits: bool = False) -> SampleResults:
        return self._run_preloaded(False, first, count, 1 if return_logits else 0)

    # ---------------------------------------------------------------- state
    def epoch_stats(self) -> EpochStats:
        """Counters since the last call (they restart) + channel gradient norms (sum over
        updates since the last set_schedule, schedule order)."""
        stats = EpochStats.parse(self.request(MessageType.EPOCH_END), self._info.timer_unit)
        for layer in range(self._info.num_layers):
            stats.channel_norms.append(self._read_window(
                MessageType.CHANNEL_NORMS,
                lambda first, window: struct.pack("<HIH", layer, first, window)))
        return stats

    def memory_report(self) -> MemoryReport:
        return MemoryReport.parse(self.request(MessageType.MEMORY))

    def _window_limit(self) -> int:
        """Floats per read-back reply, so replies fit what the line carries now."""
        return max(1, (self._limit - 10) // 4)

    def _read_window(self, message: MessageType,
                     payload_for: Callable[[int, int], bytes]) -> np.ndarray:
        """A float array read back in windows sized to the line (payload_for(first, count)
        builds each request)."""
        parts: list[np.ndarray] = []
        first, total = 0, None
        while total is None or first < total:
            window = self._window_limit()
            try:
                reply = self.request(message, payload_for(first, window), reply_bytes=10 + 4 * window,
                                     resizable=True)
            except FrameTooLarge:
                continue
            total, start, values = parse_float_window(reply)
            if start != first or (len(values) == 0 and first < total):
                raise LinkError(f"device returned window at {start}, asked for {first}")
            parts.append(values)
            first += len(values)
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)

    def read_tensor(self, kind: TensorKind, layer: int) -> np.ndarray:
        """Flat float32 in IR layout ([O][I/g][KH][KW] or [O][I])."""
        return self._read_window(MessageType.READ_TENSOR,
                                 lambda first, window: struct.pack("<BBHIH", int(kind), 0, layer,
                                                                   first, window))

    def write_tensor(self, kind: TensorKind, layer: int, values: np.ndarray) -> None:
        """Overwrites a layer's weight or bias (flat, IR layout) in pieces the line carries."""
        flat = np.asarray(values, "<f4").reshape(-1)
        first = 0
        while first < len(flat):
            count = max(1, (self._limit - 8) // 4)
            try:
                self.request(MessageType.WRITE_TENSOR,
                             struct.pack("<BBHI", int(kind), 0, layer, first)
                             + flat[first:first + count].tobytes(), reply_bytes=0,
                             resizable=True)
            except FrameTooLarge:
                continue
            first += count

    def save_weights(self) -> dict[str, np.ndarray]:
        """Every plan layer's weight and bias as the device holds them (a checkpoint)."""
        state = {}
        for layer in self._info.layers:
            state[f"w{layer.index}"] = self.read_weights(layer.index)
            if layer.trains_bias:
                state[f"b{layer.index}"] = self.read_bias(layer.index)
        return state

    def load_weights(self, state: dict[str, np.ndarray]) -> None:
        """Restores what save_weights returned ("w3": layer 3's weight, "b3": its bias)."""
        kinds = {"w": TensorKind.WEIGHT, "b": TensorKind.BIAS}
        for key, values in state.items():
            self.write_tensor(kinds[key[0]], int(key[1:]), values)

    def read_weights(self, layer: int) -> np.ndarray:
        return self.read_tensor(TensorKind.WEIGHT, layer)

    def read_bias(self, layer: int) -> np.ndarray:
        return self.read_tensor(TensorKind.BIAS, layer)

    def read_weight_grad(self, layer: int) -> np.ndarray:
        return self.read_tensor(TensorKind.WEIGHT_GRAD, layer)

    def read_bias_grad(self, layer: int) -> np.ndarray:
        return self.read_tensor(TensorKind.BIAS_GRAD, layer)

    def zero_grad(self) -> None:
        self.request(MessageType.ZERO_GRAD)

    def reset_weights(self) -> None:
        self.request(MessageType.RESET_WEIGHTS)

    def shutdown(self) -> None:
        """Asks the firmware to exit (semihosting exit under QEMU)."""
        self.request(MessageType.SHUTDOWN)


#: Samples per TRAIN/EVALUATE_PRELOADED request: the device answers when all of them ran,
#: so a request's compute must stay within the link's patience (4 silent waits, ~35 s on
#: QEMU): 100 test samples of a 96x96 MobileNetV2 in one request took longer than that.
PRELOADED_SAMPLES_PER_REQUEST = 8
#: element type of each sample encoding on the wire and in the preload image
SAMPLE_DTYPES = {SampleEncoding.F32: np.dtype("<f4"), SampleEncoding.U8: np.dtype(np.uint8),
                 SampleEncoding.S8: np.dtype(np.int8)}


def write_preload_dataset(path: Path | str, x: np.ndarray, y: np.ndarray,
                          encoding: SampleEncoding = SampleEncoding.F32) -> Path:
    """Writes the PSRAM dataset image that TRAIN_PRELOADED reads (docs/protocol.md)."""
    count = len(x)
    flat = np.asarray(x).reshape(count, -1)
    samples = flat.astype(SAMPLE_DTYPES[encoding])
    labels = np.asarray(y, "<u2").tobytes()
    labels_at = PRELOAD_HEADER.size
    samples_at = (labels_at + len(labels) + 15) // 16 * 16
    header = PRELOAD_HEADER.pack(PRELOAD_MAGIC, 1, count, flat.shape[1], int(encoding),
                                 labels_at, samples_at, 0)
    image = header + labels + b"\x00" * (samples_at - labels_at - len(labels)) + samples.tobytes()
    Path(path).write_bytes(image)
    return Path(path)


__all__ = ["Device", "ScheduleError", "ModelHashMismatch", "ProtocolMismatch", "LinkTimeout",
           "DeviceErrorReply", "write_preload_dataset"]
