"""A frame fuzzer for the device firmware's serial session: valid frames of every request
type with random payloads (executed, in sequence), damaged copies of them, stray bytes
and out-of-sequence frames, streamed into the host firmware. Built with
-fsanitize=address,undefined (build_firmware(..., sanitize=True)) any out-of-bounds
access or undefined behaviour aborts the firmware with a report on stderr.

    result = fuzz(executable, frames=2000, seed=1)   # FuzzResult(exit_code, report, ...)
"""
from __future__ import annotations

import os
import struct
import subprocess
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from medyate.host_tools.device.protocol import (CRC, HEADER, MAX_PAYLOAD, PROTOCOL_VERSION,
                                         MessageType, cobs_encode)

#: SHUTDOWN ends the firmware; everything else is fair game, plus unknown types.
TYPES = [int(t) for t in MessageType if t not in (MessageType.SHUTDOWN, MessageType.ERROR)]


@dataclass
class FuzzResult:
    exit_code: int
    report: str         # the sanitizer's stderr, if any
    frames: int
    bytes_sent: int
    bytes_received: int


def _frame(message_type: int, seq: int, payload: bytes, version: int = PROTOCOL_VERSION) -> bytes:
    raw = HEADER.pack(version, message_type, seq, len(payload)) + payload
    return raw + CRC.pack(zlib.crc32(raw))


def _payload(rng: np.random.Generator, message_type: int) -> bytes:
    """Mostly short payloads, with plausible small integers up front so that handlers get
    past their length checks into the interesting code."""
    kind = rng.integers(0, 4)
    length = int(rng.choice([0, 1, 2, 3, 4, 6, 8, 10, 12, 16, 24, 64, 200, MAX_PAYLOAD]))
    if kind == 0:
        return rng.integers(0, 256, length, dtype=np.uint8).tobytes()
    if kind == 1:   # small fields: layer/count/first near the valid range
        values = rng.integers(0, 40, max(1, length // 2), dtype=np.uint16)
        return values.astype("<u2").tobytes()[:length]
    if kind == 2:   # edge values
        edges = np.array([0, 1, 0xFF, 0xFFFF, 0x7FFF, 0x8000], "<u2")
        return rng.choice(edges, max(1, length // 2)).astype("<u2").tobytes()[:length]
    # a well-formed float32 sample batch header for TRAIN/EVALUATE
    count = int(rng.integers(0, 4))
    body = b"".join(struct.pack("<H", int(rng.integers(0, 6))) +
                    rng.standard_normal(32).astype("<f4").tobytes() for _ in range(count))
    return struct.pack("<BBH", int(rng.integers(0, 3)), int(rng.integers(0, 2)), count) + body


def fuzz(executable: Path | str, frames: int = 2000, seed: int = 0,
         timeout_s: float = 300) -> FuzzResult:
    rng = np.random.default_rng(seed)
    env = {**os.environ, "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0:halt_on_error=1",
           "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1"}
    process = subprocess.Popen([str(executable)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env)
    assert process.stdin is not None and process.stdout is not None
    received = [0]
    errors: list[bytes] = []

    def drain() -> None:   # keep the firmware's replies flowing so it never blocks
        assert process.stdout is not None
        while chunk := process.stdout.read1(65536):  # type: ignore[attr-defined]
            received[0] += len(chunk)

    def drain_errors() -> None:
        assert process.stderr is not None
        while chunk := process.stderr.read1(65536):  # type: ignore[attr-defined]
            errors.append(chunk)

    readers = [threading.Thread(target=target, daemon=True) for target in (drain, drain_errors)]
    for reader in readers:
        reader.start()
    sent, seq = 0, 1
    try:
        for index in range(frames):
            choice = rng.random()
            if index == 0 or choice < 0.05:
                seq = int(rng.integers(1, 0xFFFE))
                raw = _frame(MessageType.HELLO, seq, b"")
            else:
                message_type = int(rng.choice(TYPES)) if rng.random() < 0.95 \
                    else int(rng.integers(0, 256))
                seq = seq + 1 if seq + 1 < 0xFFFF else 1
                raw = _frame(message_type, seq, _payload(rng, message_type))
                if choice < 0.15:        # damaged in transit: flip bytes
                    mutable = bytearray(raw)
                    for at in rng.integers(0, len(mutable), int(rng.integers(1, 4))):
                        mutable[at] ^= int(rng.integers(1, 256))
                    raw = bytes(mutable)
                    seq -= 1
                elif choice < 0.2:       # out of sequence or a replay
                    raw = _frame(message_type, int(rng.integers(0, 0x10000)), raw[6:-4])
                    seq -= 1
            wire = b"\x00" + cobs_encode(raw) + b"\x00"
            if rng.random() < 0.03:      # line noise, overlong blocks
                wire += rng.integers(1, 256, int(rng.integers(1, 3000)), dtype=np.uint8).tobytes()
                wire += b"\x00"
            process.stdin.write(wire)
            process.stdin.flush()
            sent += len(wire)
    except BrokenPipeError:
        pass   # the firmware died: its stderr says why
    finally:
        try:
            process.stdin.close()
        except BrokenPipeError:
            pass
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for reader in readers:
            reader.join(timeout=5)
    return FuzzResult(process.returncode, b"".join(errors).decode("utf-8", "replace"), frames,
                      sent, received[0])
