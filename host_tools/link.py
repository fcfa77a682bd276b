"""Transports to a device and the reliable request/reply link on top of them.

The link is stop-and-wait: one request outstanding, each carrying a fresh sequence
number; a request is retransmitted (same sequence number) on timeout or when the device
reports that a frame arrived damaged. The device answers a repeated sequence number from
its cached reply without executing the request again, so nothing runs twice and nothing
is lost.
"""
from __future__ import annotations

import os
import select
import socket
import subprocess
import time
from dataclasses import dataclass, field
from typing import Protocol, Sequence

import serial

from .protocol import (SEQ_NONE, TRANSPORT_ERRORS, DeviceError, Frame, FrameReader,
                       MessageType, encode_frame)


class LinkError(RuntimeError):
    """Base class of link failures."""


class LinkTimeout(LinkError):
    """The device did not answer within the retry budget."""


class DeviceErrorReply(LinkError):
    """The device answered with an ERROR frame for this request."""

    def __init__(self, error: DeviceError) -> None:
        super().__init__(f"device error: {error.describe()}")
        self.error = error


class Transport(Protocol):
    def write(self, data: bytes) -> None: ...
    def read(self, timeout_s: float) -> bytes: ...
    def close(self) -> None: ...


class PipeTransport:
    """A host-board firmware process: its stdin/stdout are the serial line."""

    def __init__(self, command: Sequence[str]) -> None:
        self.process = subprocess.Popen(list(command), stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, bufsize=0)

    def write(self, data: bytes) -> None:
        if self.process.poll() is not None:
            raise LinkError(f"device process exited with status {self.process.returncode}")
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(data)
        except BrokenPipeError as exc:
            raise LinkError("device process closed its input") from exc

    def read(self, timeout_s: float) -> bytes:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], max(timeout_s, 0.0))
        if not ready:
            return b""
        data = os.read(self.process.stdout.fileno(), 65536)
        if not data:  # EOF: the process ended
            time.sleep(min(timeout_s, 0.05))
        return data

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.close()
                self.process.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                stream.close()


class SerialTransport:
    """pyserial: a real port (`serial.Serial`) or a URL such as socket://host:port."""

    def __init__(self, port: serial.SerialBase) -> None:
        self.port = port

    @classmethod
    def open_url(cls, url: str, connect_timeout_s: float = 10.0) -> "SerialTransport":
        """serial_for_url, retried until the far end listens (QEMU takes a moment)."""
        deadline = time.monotonic() + connect_timeout_s
        while True:
            try:
                port = serial.serial_for_url(url, timeout=0)
                raw_socket = getattr(port, "_socket", None)
                if raw_socket is not None:
                    # without it Nagle + delayed ACK add ~40 ms to every round trip
                    raw_socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return cls(port)
            except (serial.SerialException, OSError) as exc:
                if time.monotonic() > deadline:
                    raise LinkError(f"could not connect to {url}: {exc}") from exc
                time.sleep(0.05)

    @classmethod
    def open_port(cls, device: str, baudrate: int = 115200) -> "SerialTransport":
        return cls(serial.Serial(device, baudrate=baudrate, timeout=0))

    def write(self, data: bytes) -> None:
        self.port.write(data)

    def read(self, timeout_s: float) -> bytes:
        deadline = time.monotonic() + timeout_s
        while True:
            waiting = self.port.in_waiting
            if waiting:
                return self.port.read(waiting)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return b""
            self.port.timeout = min(remaining, 0.05)
            data = self.port.read(1)
            self.port.timeout = 0
            if data:
                return data + self.port.read(self.port.in_waiting)

    def close(self) -> None:
        self.port.close()


@dataclass
class LinkStats:
    requests: int = 0
    retransmits: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    bad_frames_received: int = 0
    transport_naks: int = 0
    stale_frames: int = 0
    timeouts: int = 0


@dataclass
class Link:
    """Reliable request/reply over a Transport."""

    transport: Transport
    timeout_s: float = 2.0
    max_attempts: int = 8
    stats: LinkStats = field(default_factory=LinkStats)

    def __post_init__(self) -> None:
        self._reader = FrameReader()
        self._seq = 0
        self._pending: list[Frame] = []

    def _next_seq(self) -> int:
        self._seq = self._seq + 1 if self._seq + 1 < SEQ_NONE else 1
        return self._seq

    def _receive(self, timeout_s: float) -> Frame | None:
        """The next intact frame; None on timeout or as soon as a damaged block arrived
        (most likely our reply: retransmitting at once beats waiting for the timeout)."""
        deadline = time.monotonic() + timeout_s
        while not self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stats.timeouts += 1
                return None
            data = self.transport.read(remaining)
            self.stats.bytes_received += len(data)
            before = self._reader.bad_blocks
            self._pending.extend(self._reader.feed(data))
            damaged = self._reader.bad_blocks - before
            self.stats.bad_frames_received += damaged
            if damaged and not self._pending:
                return None
        return self._pending.pop(0)

    def request(self, message_type: int, payload: bytes = b"",
                timeout_s: float | None = None) -> Frame:
        """Sends one request and returns the device's reply frame (never an ERROR frame:
        those raise DeviceErrorReply)."""
        timeout = self.timeout_s if timeout_s is None else timeout_s
        seq = self._next_seq()
        wire = encode_frame(message_type, seq, payload)
        self.stats.requests += 1
        for attempt in range(self.max_attempts):
            if attempt:
                self.stats.retransmits += 1
            self.transport.write(wire)
            self.stats.bytes_sent += len(wire)
            reply = self._await_reply(seq, timeout)
            if reply is not None:
                return reply
        raise LinkTimeout(
            f"no valid reply to {MessageType(message_type).name if message_type in MessageType._value2member_map_ else hex(message_type)} "
            f"after {self.max_attempts} attempts of {timeout:.2f} s")

    def _await_reply(self, seq: int, timeout_s: float) -> Frame | None:
        """The reply to `seq`, or None when this attempt should be retransmitted."""
        deadline = time.monotonic() + timeout_s
        while True:
            frame = self._receive(deadline - time.monotonic())
            if frame is None:
                return None
            if frame.type == MessageType.ERROR:
                error = DeviceError.parse(frame.payload)
                if frame.seq == SEQ_NONE and error.code in TRANSPORT_ERRORS:
                    self.stats.transport_naks += 1
                    return None
                if frame.seq == SEQ_NONE or frame.seq == seq:
                    raise DeviceErrorReply(error)
            if frame.seq != seq:
                self.stats.stale_frames += 1  # reply to an earlier retransmission
                continue
            return frame

    def close(self) -> None:
        self.transport.close()
