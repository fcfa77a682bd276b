"""Launch firmware under qemu-system-arm with its UART on a local TCP port (or, with
serial="pty", on a pseudo-terminal that pyserial opens like a USB virtual COM port).

Every QemuProcess is killed on every exit path: context manager, explicit stop(), and an
atexit hook for anything still running when the interpreter ends (a stray QEMU spins at
100% CPU).
"""
from __future__ import annotations

import atexit
import ctypes
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

QEMU_BINARY = "qemu-system-arm"
PSRAM_BASE = 0x21000000

#: Board name -> QEMU machine.
MACHINES: dict[str, str] = {"mps2-an386": "mps2-an386", "mps2-an500": "mps2-an500",
                            "netduinoplus2": "netduinoplus2"}
#: Machine -> where its PSRAM takes a preloaded dataset (machines without one: absent).
PRELOAD_BASES: dict[str, int] = {"mps2-an386": PSRAM_BASE, "mps2-an500": 0x60000000}
#: Target name (as the CLI spells it) -> board name of MACHINES.
TARGET_MACHINES: dict[str, str] = {"qemu-mps2-an386": "mps2-an386",
                                   "qemu-mps2-an500": "mps2-an500",
                                   "qemu-netduinoplus2": "netduinoplus2"}
_PTY_LINE = re.compile(r"char device redirected to (\S+)")

_live: "weakref.WeakSet[QemuProcess]" = weakref.WeakSet()


PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """preexec_fn of a child (QEMU, a host firmware): the kernel sends it SIGKILL when
    the process that started it dies, even by SIGKILL, so no emulator is orphaned."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:   # the parent died before prctl: nobody would kill us
        os._exit(1)


def qemu_available() -> bool:
    return shutil.which(QEMU_BINARY) is not None


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class QemuProcess:
    """One QEMU instance running `elf`; the guest waits until the host connects."""

    elf: Path
    board: str = "mps2-an386"
    preload: Path | None = None          # raw file placed at PSRAM_BASE
    extra_args: Sequence[str] = ()
    port: int = field(default=0)
    serial: str = "tcp"                  # "tcp" (url) or "pty" (pty_path)
    process: subprocess.Popen | None = field(default=None, init=False)
    pty_path: str | None = field(default=None, init=False)

    def command(self) -> list[str]:
        machine = MACHINES[self.board]
        line = ("pty" if self.serial == "pty"
                else f"tcp:127.0.0.1:{self.port},server=on,wait=on,nodelay=on")
        command = [QEMU_BINARY, "-M", machine, "-display", "none", "-monitor", "none",
                   "-serial", line,
                   "-semihosting-config", "enable=on,target=native",
                   "-icount", "shift=0,align=off,sleep=off",
                   "-kernel", str(self.elf)]
        if self.preload is not None:
            base = PRELOAD_BASES.get(machine)
            if base is None:
                raise ValueError(f"QEMU machine {machine} has no PSRAM to preload into")
            command += ["-device", f"loader,file={self.preload},addr=0x{base:08x},force-raw=on"]
        return command + list(self.extra_args)

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    def start(self) -> "QemuProcess":
        if not qemu_available():
            raise RuntimeError(f"{QEMU_BINARY} not found on PATH")
        if not Path(self.elf).is_file():
            raise FileNotFoundError(self.elf)
        if not self.port:
            self.port = free_tcp_port()
        pty = self.serial == "pty"
        self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE if pty else subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, preexec_fn=die_with_parent)
        _live.add(self)
        if self.serial == "pty":
            try:
                self.pty_path = self._read_pty_path()
            except BaseException:
                self.stop()
                raise
        return self

    def _read_pty_path(self, timeout_s: float = 10.0) -> str:
        """QEMU 7.2 names the pseudo-terminal on stdout (qemu_printf): 'char device
        redirected to /dev/pts/N (label serial0)'."""
        assert self.process is not None and self.process.stdout is not None
        deadline = time.monotonic() + timeout_s
        seen = b""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stdout], [], [],
                                        max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            line = self.process.stdout.readline()
            if not line:
                break
            seen += line
            match = _PTY_LINE.search(line.decode(errors="replace"))
            if match:
                return match.group(1)
        raise RuntimeError(f"QEMU did not report its pty: {seen.decode(errors='replace')[-300:]}")

    def exit_status(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def wait(self, timeout_s: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout_s)

    def stop(self) -> None:
        """Kills QEMU if it still runs; safe to call any number of times."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        _live.discard(self)

    def __enter__(self) -> "QemuProcess":
        return self.start() if self.process is None else self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __hash__(self) -> int:
        return id(self)


@atexit.register
def _kill_all() -> None:
    for instance in list(_live):
        instance.stop()
