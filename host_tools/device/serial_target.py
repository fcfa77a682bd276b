"""`--target serial --port PORT --board B`: the firmware on a real board behind a tty.

pyserial opens the port (a USB virtual COM port such as /dev/ttyACM0, or the pty of a
QEMU started with `-serial pty`, which is how the tests drive this exact path). The
handshake checks, each with one clear line when it fails:

- the port opens (else: missing/unplugged port, or no permission);
- the firmware answers HELLO at this baud rate (else: not flashed, other baud rate);
- it is the board named by --board and runs this model (model hash) with the capacities
  the host compiled (arena, channel pool, layers).

Samples are always streamed over the line (a real board has no PSRAM preload); the link
counts the bytes, so the run reports the line's measured throughput.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import serial

from medyate.codegen.errors import MedyateError

from medyate.host_tools.device.boards import Board, get_board
from medyate.host_tools.device.device import Device, ModelHashMismatch, ProtocolMismatch
from medyate.host_tools.device.link import (DeviceErrorReply, LineClosed, Link, LinkError, LinkStats, LinkTimeout,
                   SerialTransport)
from medyate.host_tools.device.protocol import ErrorCode

SERIAL_TARGET = "serial"
#: Seconds per HELLO attempt on a real line (a board may still be booting after reset).
HELLO_TIMEOUT_S = 2.0


class SerialTargetError(MedyateError):
    """The serial device could not be used (port, baud, board, model or capacities)."""


@dataclass(frozen=True)
class LineThroughput:
    bytes_sent: int
    bytes_received: int
    seconds: float

    @property
    def bytes_per_second(self) -> float:
        return (self.bytes_sent + self.bytes_received) / max(self.seconds, 1e-9)

    def to_dict(self) -> dict[str, float | int]:
        return {"bytes_sent": self.bytes_sent, "bytes_received": self.bytes_received,
                "seconds": round(self.seconds, 3),
                "bytes_per_second": round(self.bytes_per_second, 1)}


class SerialDevice(Device):
    """A Device on a tty that remembers when it was opened, for the throughput."""

    opened_at: float = 0.0
    board: Board | None = None

    def restart_throughput(self) -> None:
        """Counts from now (after the handshake and any build)."""
        self.link.stats = LinkStats()
        self.opened_at = time.monotonic()

    def throughput(self) -> LineThroughput:
        """Bytes both ways over the session's wall time: an average that includes the
        device's compute between requests, so a lower bound of what the line carries."""
        stats = self.link.stats
        return LineThroughput(stats.bytes_sent, stats.bytes_received,
                              time.monotonic() - self.opened_at)


def open_serial_port(port: str, baud: int) -> SerialTransport:
    try:
        return SerialTransport(serial.Serial(port, baudrate=baud, timeout=0))
    except (serial.SerialException, OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise SerialTargetError(f"cannot open serial port {port}: {reason} (is the board "
                                f"plugged in? `ls /dev/ttyACM* /dev/ttyUSB*`)") from None


def open_serial_device(port: str, board: Board, *, baud: int,
                       expected_model_hash: str | None = None,
                       memory: dict | None = None, timeout_s: float = 5.0,
                       firmware_baud: int | None = None) -> SerialDevice:
    """Opens PORT and completes the handshake; raises SerialTargetError on any mismatch.
    Without expected_model_hash only the board is checked (train does this before the
    firmware build, so a wrong port fails in a second, not after a build)."""
    transport = open_serial_port(port, baud)
    link = Link(transport, timeout_s=timeout_s)
    device = SerialDevice(link, description=f"{board.name} on {port} ({baud} baud)")
    device.board = board
    device.opened_at = time.monotonic()
    try:
        link.timeout_s, link.max_attempts = HELLO_TIMEOUT_S, 4
        try:
            info = device.hello()
        except LinkTimeout:
            built = f"; the firmware was built for {firmware_baud} baud" if firmware_baud else ""
            raise SerialTargetError(
                f"no answer from {port} at {baud} baud: is {board.name} flashed with this "
                f"model's firmware (`medyate flash` or `train --flash`) and is the baud rate "
                f"right{built}?") from None
        except ProtocolMismatch as exc:
            raise SerialTargetError(f"{port}: {exc}; reflash the firmware") from None
        finally:
            link.timeout_s, link.max_attempts = timeout_s, 8
        check_handshake(device, board, expected_model_hash, memory, port)
    except BaseException:
        device.close()
        raise
    return device


def check_handshake(device: Device, board: Board, expected_model_hash: str | None,
                    memory: dict | None, port: str) -> None:
    info = device.info
    assert info is not None
    if info.board != board.name:
        raise SerialTargetError(f"{port} answers as board '{info.board}', not '{board.name}' "
                                f"(--board): check the port and the board")
    if expected_model_hash is None:
        return
    if info.model_hash != expected_model_hash:
        raise SerialTargetError(str(ModelHashMismatch(
            f"{board.name} on {port} runs model {info.model_hash!r}, expected "
            f"{expected_model_hash!r}: flash this model's firmware (`medyate flash` or "
            f"`train --flash`)")))
    if memory is not None:
        for key, have in (("arena_bytes", info.arena_bytes),
                          ("channel_pool_bytes", info.channel_pool_bytes)):
            if key in memory and int(memory[key]) != have:
                raise SerialTargetError(f"{board.name} on {port} reports {key} {have}, the "
                                        f"compiled model {memory[key]}: reflash the firmware")


def check_board_options(target: str, board: str | None, port: str | None,
                        baud: int | None, flash: bool) -> Board | None:
    """The board profile (None without --board); one-line errors for option mismatches."""
    if target == SERIAL_TARGET:
        if board is None or port is None:
            raise MedyateError("--target serial needs --board BOARD and --port PORT "
                               "(e.g. --port /dev/ttyACM0)")
    elif port is not None or baud is not None or flash:
        raise MedyateError("--port, --baud and --flash apply to --target serial only")
    if board is not None and target in ("host", "reference"):
        raise MedyateError(f"--board applies to QEMU and serial targets, not {target!r}")
    if baud is not None and baud <= 0:
        raise MedyateError("--baud must be a positive number")
    return None if board is None else get_board(board)


def line_baud(board: Board | None, baud: int | None) -> int | None:
    if board is None:
        return None
    return board.baud if baud is None else baud


def describe_line_failure(exc: BaseException, port: str, completed_epochs: int,
                          rundir: str) -> str:
    """One line for a link that broke mid-run (reset, unplugged port, noise)."""
    kept = (f"the {completed_epochs} completed epoch(s) are in {rundir}" if completed_epochs
            else f"no epoch completed; {rundir} holds the run files written so far")
    if isinstance(exc, DeviceErrorReply) and exc.error.code == ErrorCode.SEQUENCE \
            and exc.error.detail == 0:
        return (f"the board on {port} reset during the run (it answered as a fresh session, "
                f"its trained weights are gone); {kept}")
    if isinstance(exc, (serial.SerialException, OSError, LineClosed)):
        return f"serial port {port} went away during the run ({exc}); {kept}"
    if isinstance(exc, LinkTimeout):
        return f"the board on {port} stopped answering ({exc}); {kept}"
    return f"the link to {port} failed ({exc}); {kept}"


__all__ = ["SERIAL_TARGET", "check_board_options", "line_baud", "SerialDevice", "SerialTargetError", "LineThroughput", "open_serial_device",
           "describe_line_failure", "LinkError"]
