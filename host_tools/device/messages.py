"""Payload layouts of the protocol's replies, parsed into dataclasses (docs/protocol.md)."""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np


def _read_string(payload: bytes, offset: int) -> tuple[str, int]:
    length = payload[offset]
    return payload[offset + 1:offset + 1 + length].decode("utf-8", "replace"), offset + 1 + length


@dataclass(frozen=True)
class LayerInfo:
    index: int
    in_channels: int
    out_channels: int
    weight_elems: int
    slice_elems: int
    plane_elems: int
    channel_cost_bytes: int
    trains_bias: bool
    kind: int  # 0 conv, 1 gemm
    weight_name: str
    bias_name: str

    @classmethod
    def parse(cls, index: int, payload: bytes) -> "LayerInfo":
        values = struct.unpack_from("<6IBB", payload)
        weight_name, offset = _read_string(payload, 26)
        bias_name, _ = _read_string(payload, offset)
        return cls(index, *values[:6], bool(values[6]), values[7], weight_name, bias_name)


@dataclass(frozen=True)
class DeviceInfo:
    protocol_version: int
    max_payload: int
    arena_bytes: int
    channel_pool_bytes: int
    num_classes: int
    input_shape: tuple[int, int, int]
    num_layers: int
    encodings: int  # bit i set: SampleEncoding(i) supported
    preload_capacity: int
    board: str
    timer_unit: str
    model_hash: str
    layers: tuple[LayerInfo, ...] = ()

    HEAD = struct.Struct("<HHIIIIIIHHI")

    @classmethod
    def parse(cls, payload: bytes) -> "DeviceInfo":
        (version, max_payload, arena, pool, classes, c, h, w, num_layers, encodings,
         preload) = cls.HEAD.unpack_from(payload)
        board, offset = _read_string(payload, cls.HEAD.size)
        unit, offset = _read_string(payload, offset)
        model_hash, _ = _read_string(payload, offset)
        return cls(version, max_payload, arena, pool, classes, (c, h, w), num_layers,
                   encodings, preload, board, unit, model_hash)

    @property
    def input_elems(self) -> int:
        c, h, w = self.input_shape
        return c * h * w


@dataclass(frozen=True)
class SampleResults:
    losses: np.ndarray      # (N,) float32 cross-entropy per sample
    predicted: np.ndarray   # (N,) int
    logits: np.ndarray | None = None  # (N, classes) when asked for

    @classmethod
    def parse(cls, payload: bytes) -> "SampleResults":
        count, classes = struct.unpack_from("<HH", payload)
        record = np.dtype([("loss", "<f4"), ("pred", "<u2"), ("logits", "<f4", (classes,))]) \
            if classes else np.dtype([("loss", "<f4"), ("pred", "<u2")])
        rows = np.frombuffer(payload, dtype=record, count=count, offset=4)
        logits = rows["logits"].astype(np.float32) if classes else None
        return cls(rows["loss"].astype(np.float32), rows["pred"].astype(np.int64), logits)

    @staticmethod
    def concat(parts: list["SampleResults"]) -> "SampleResults":
        if not parts:
            return SampleResults(np.zeros(0, np.float32), np.zeros(0, np.int64))
        logits = None if parts[0].logits is None else np.concatenate([p.logits for p in parts])
        return SampleResults(np.concatenate([p.losses for p in parts]),
                             np.concatenate([p.predicted for p in parts]), logits)


@dataclass(frozen=True)
class PhaseStats:
    samples: int
    correct: int
    loss_sum: float
    time: int  # in DeviceInfo.timer_unit


@dataclass(frozen=True)
class EpochStats:
    train: PhaseStats
    evaluation: PhaseStats
    num_updates: int
    timer_unit: str
    channel_norms: list[np.ndarray] = field(default_factory=list)  # per layer, schedule order

    PHASE = struct.Struct("<IIfQ")

    @classmethod
    def parse(cls, payload: bytes, timer_unit: str) -> "EpochStats":
        train = PhaseStats(*cls.PHASE.unpack_from(payload, 0))
        evaluation = PhaseStats(*cls.PHASE.unpack_from(payload, cls.PHASE.size))
        (updates,) = struct.unpack_from("<I", payload, 2 * cls.PHASE.size)
        return cls(train, evaluation, updates, timer_unit)


@dataclass(frozen=True)
class MemoryReport:
    ram_bytes: int            # what the linker script allows (0 on the host board)
    data_bytes: int
    bss_bytes: int            # includes the model's static arena and all buffers
    stack_bytes: int          # reserved
    stack_used_bytes: int     # measured high-water mark (painted stack)
    arena_bytes: int          # model_info()->arena_bytes
    channel_pool_bytes: int
    static_ram_bytes: int     # .data + .bss
    peak_sram_bytes: int      # .data + .bss + stack high-water
    stack_measured: bool

    LAYOUT = struct.Struct("<9IB")

    @classmethod
    def parse(cls, payload: bytes) -> "MemoryReport":
        values = cls.LAYOUT.unpack_from(payload)
        return cls(*values[:9], bool(values[9]))


WINDOW_HEAD = struct.Struct("<IIH")


def parse_float_window(payload: bytes) -> tuple[int, int, np.ndarray]:
    """(total, first, values) of a CHANNEL_NORMS / READ_TENSOR reply."""
    total, first, count = WINDOW_HEAD.unpack_from(payload)
    values = np.frombuffer(payload, dtype="<f4", count=count, offset=WINDOW_HEAD.size)
    return total, first, values.astype(np.float32)
