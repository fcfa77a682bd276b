"""Transports to a device and the reliable request/reply link on top of them.

The link is stop-and-wait: one request outstanding, each carrying a fresh sequence
number; a request is retransmitted (same sequence number) on timeout or when the device
reports that a frame arrived damaged. The device answers a repeated sequence number from
its cached reply without executing the request again, so nothing runs twice and nothing
is lost.
"""
from __future__ import annotations

import math
import os
import select
import socket
import subprocess
import time
from dataclasses import dataclass, field
from typing import Protocol, Sequence

import serial

from medyate.host_tools.device.protocol import (MAX_PAYLOAD, RESPONSE_FLAG, SEQ_NONE, TRANSPORT_ERRORS, DeviceError,
                       Frame, FrameReader, MessageType, PingMode, encode_frame)


class LinkError(RuntimeError):
    """Base class of link failures."""


class LineClosed(LinkError):
    """The port itself is gone (USB unplugged, emulator killed)."""


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
        from medyate.host_tools.device.qemu import die_with_parent
        self.process = subprocess.Popen(list(command), stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, bufsize=0,
                                        preexec_fn=die_with_parent)

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
        try:
            self.port.write(data)
        except (serial.SerialException, OSError) as exc:
            raise LineClosed(f"the serial line closed: {exc}") from None

    def read(self, timeout_s: float) -> bytes:
        try:
            return self._read(timeout_s)
        except (serial.SerialException, OSError) as exc:   # e.g. QEMU killed
            raise LineClosed(f"the serial line closed: {exc}") from None

    def _read(self, timeout_s: float) -> bytes:
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


#: Request types the device may run twice without harm (a reply lost, the request re-sent
#: under a new sequence number). The others change device state (training, counters).
IDEMPOTENT = frozenset({MessageType.HELLO, MessageType.LAYER_INFO, MessageType.SET_AFFINE,
                        MessageType.SCHEDULE_DATA, MessageType.SAMPLE_CHUNK,
                        MessageType.CHANNEL_NORMS, MessageType.MEMORY,
                        MessageType.READ_TENSOR, MessageType.WRITE_TENSOR,
                        MessageType.PING})

#: Smallest payload limit the link adapts down to (a SAMPLE_CHUNK header + 6 floats).
MIN_PAYLOAD = 32
#: Framing bytes of a request (header, CRC, COBS, delimiters) + a typical short reply.
ROUND_TRIP_OVERHEAD = 44
#: Failed attempts of a resizable request before it is given up and re-cut smaller.
RESIZE_AFTER = 2
#: Attempts without a single byte from the device before it counts as silent.
SILENT_ATTEMPTS = 4


class FrameTooLarge(LinkError):
    """A resizable request was given up because the line cannot carry its frame; the
    device did not run it (or ran it idempotently): send the work again in smaller frames."""


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
    attempts: int = 0
    failed_attempts: int = 0
    resized: int = 0

    def describe(self) -> str:
        rate = self.failed_attempts / max(1, self.attempts)
        return (f"{self.failed_attempts} of {self.attempts} frame exchanges failed "
                f"({100 * rate:.1f}%: {self.bad_frames_received} damaged frames received, "
                f"{self.transport_naks} damaged frames reported by the device, "
                f"{self.timeouts} timeouts)")


@dataclass
class _RoundTrip:
    """Smoothed round-trip time and its variation (RFC 6298)."""
    srtt: float
    rttvar: float

    def update(self, sample: float) -> None:
        self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - sample)
        self.srtt = 0.875 * self.srtt + 0.125 * sample

    def timeout(self) -> float:
        return 2 * self.srtt + 4 * self.rttvar + 0.2


@dataclass
class Link:
    """Reliable request/reply over a Transport, adapted to the line it measures.

    timeout_s is the wait before any round trip of a kind has been measured and the cap
    of the backed-off wait; afterwards each request waits for a multiple of the measured
    round trip of its kind. max_attempts bounds the attempts of one request."""

    transport: Transport
    timeout_s: float = 2.0
    max_attempts: int = 40
    max_payload: int = MAX_PAYLOAD
    stats: LinkStats = field(default_factory=LinkStats)

    def __post_init__(self) -> None:
        self._reader = FrameReader()
        self._seq = 0
        self._pending: list[Frame] = []
        self._round_trips: dict[tuple[int, int], _RoundTrip] = {}
        self._reply_sizes: dict[int, int] = {}
        # decayed evidence of the byte error rate: failures / bytes exposed
        self._failures = 0.0
        self._exposed = 0.0
        self._heard = False   # any byte from the device during the current attempt

    # ------------------------------------------------------------ line model
    @property
    def byte_error_rate(self) -> float:
        return self._failures / self._exposed if self._exposed > 0 else 0.0

    @property
    def payload_limit(self) -> int:
        """Largest payload (request + reply) worth sending now, between MIN_PAYLOAD and
        max_payload. Shrinks on damaged frames, grows back as clean frames pass. An
        attempt costs about one round trip whether it fails or not, so the goodput
        p * (1 - e)^(p + overhead) is what counts; it peaks at p + overhead = 1 / -ln(1 - e)
        (about 100 bytes at a 1% byte error rate: a third of such frames arrive whole)."""
        rate = self.byte_error_rate
        if rate <= 0:
            return self.max_payload
        if rate >= 0.5:
            return MIN_PAYLOAD
        fitting = -1.0 / math.log1p(-rate) - ROUND_TRIP_OVERHEAD
        return int(max(MIN_PAYLOAD, min(self.max_payload, fitting)))

    def _observe(self, wire_bytes: int, ok: bool) -> None:
        self._failures *= 0.99
        self._exposed *= 0.99
        self.stats.attempts += 1
        if ok:
            self._exposed += wire_bytes
        else:
            self.stats.failed_attempts += 1
            self._failures += 1.0
            self._exposed += wire_bytes / 2   # the damage fell somewhere in the frame

    def _timeout_for(self, message_type: int, length: int) -> float:
        """From the round trips measured for this kind and size of request, else for this
        kind (the largest size seen), else timeout_s."""
        estimate = self._round_trips.get((message_type, length)) or \
            self._round_trips.get((message_type, -1))
        if estimate is None:
            return self.timeout_s
        return min(estimate.timeout(), max(self.timeout_s, 4 * estimate.srtt))

    def _measured(self, message_type: int, length: int, seconds: float) -> None:
        for key in ((message_type, length), (message_type, -1)):
            if key in self._round_trips:
                self._round_trips[key].update(seconds)
            else:
                self._round_trips[key] = _RoundTrip(seconds, seconds / 2)

    # ------------------------------------------------------------ receiving
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
            self._heard = self._heard or bool(data)
            before = self._reader.bad_blocks
            self._pending.extend(self._reader.feed(data))
            damaged = self._reader.bad_blocks - before
            self.stats.bad_frames_received += damaged
            if damaged and not self._pending:
                return None
        return self._pending.pop(0)

    # ------------------------------------------------------------ requests
    def request(self, message_type: int, payload: bytes = b"", timeout_s: float | None = None,
                *, reply_bytes: int | None = None, resizable: bool = False) -> Frame:
        """Sends one request and returns the device's reply frame (never an ERROR frame:
        those raise DeviceErrorReply). reply_bytes: the expected reply payload, if known.
        resizable: the caller can send the same work in smaller pieces, so a frame the
        line does not carry is given up (FrameTooLarge) rather than retried to the end."""
        seq = self._next_seq()
        wire = encode_frame(message_type, seq, payload)
        self.stats.requests += 1
        expected_reply = reply_bytes if reply_bytes is not None else \
            self._reply_sizes.get(message_type, 16)
        size = len(payload) + expected_reply
        started = time.monotonic()
        failures = silent = 0
        wait = self._timeout_for(message_type, len(payload)) if timeout_s is None else timeout_s
        longest_wait = 2 * max(self.timeout_s, wait)
        while True:
            if failures:
                self.stats.retransmits += 1
            self._heard = False
            sent_at = time.monotonic()
            self.transport.write(wire)
            self.stats.bytes_sent += len(wire)
            reply = self._await_reply(seq, wait)
            if reply is not None:
                self._observe(len(wire) + len(reply.payload) + 14, True)
                self._reply_sizes[message_type] = len(reply.payload)
                if failures == 0 and timeout_s is None:   # Karn: unambiguous samples only
                    self._measured(message_type, len(payload), time.monotonic() - sent_at)
                return reply
            self._observe(len(wire) + expected_reply + 14, False)
            failures += 1
            silent = 0 if self._heard else silent + 1
            if silent:   # nothing at all came back: the device may be busy; back off
                wait = min(2 * wait, longest_wait)
            if failures >= self.max_attempts or silent >= SILENT_ATTEMPTS:
                raise LinkTimeout(
                    f"no valid reply to {_name(message_type)} after {failures} attempts in "
                    f"{time.monotonic() - started:.1f} s; "
                    f"{'the device went silent; ' if silent >= SILENT_ATTEMPTS else ''}"
                    f"line so far: {self.stats.describe()}, about "
                    f"{100 * self.byte_error_rate:.2f}% of bytes damaged")
            if resizable and failures >= RESIZE_AFTER and size > 1.5 * self.payload_limit:
                resolved = self._resolve(seq, message_type)
                if resolved is not None:
                    return resolved
                self.stats.resized += 1
                raise FrameTooLarge(f"{_name(message_type)} of {len(payload)} bytes does not "
                                    f"cross the line; limit now {self.payload_limit}")

    def _resolve(self, seq: int, message_type: int) -> Frame | None:
        """After giving up on request `seq`: a PING with the same seq finds out whether the
        device ran it. Returns its reply if it ran and must not run again; None if it did
        not run (the PING took the seq) or may safely run again."""
        idempotent = message_type in IDEMPOTENT
        mode = PingMode.STATUS if idempotent else PingMode.REPLAY
        wire = encode_frame(MessageType.PING, seq, bytes([mode]))
        for _ in range(self.max_attempts):
            self.stats.retransmits += 1
            self._heard = False
            self.transport.write(wire)
            self.stats.bytes_sent += len(wire)
            reply = self._await_reply(seq, self._timeout_for(MessageType.PING, 1))
            self._observe(len(wire) + 16, reply is not None)
            if reply is None:
                continue
            if reply.type == (MessageType.PING | RESPONSE_FLAG):
                return None   # [0, 0]: the ping ran, the request did not; [1, t]: it ran
            return reply      # the request's own cached reply
        raise LinkTimeout(f"could not resolve {_name(message_type)}: {self.stats.describe()}")

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


def _name(message_type: int) -> str:
    try:
        return MessageType(message_type).name
    except ValueError:
        return hex(message_type)
