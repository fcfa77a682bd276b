"""`medyate flash FIRMWARE.elf --board B [--probe openocd|pyocd]`: program, verify, reset.

The probe tools are external programs (OpenOCD: Debian package `openocd`; pyOCD: PyPI
`pyocd`), driven by their command lines, so tests can put stand-in programs on PATH
that record their arguments. Every failure is one line (FlashError, exit 2): no tool on
PATH, no probe connected, a board without a probe configuration, a failed verify.
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from medyate.codegen.errors import MedyateError

from medyate.host_tools.device.boards import Board

FLASH_TIMEOUT_S = 180.0


class FlashError(MedyateError):
    """The firmware could not be flashed."""


@dataclass(frozen=True)
class Probe:
    name: str
    program: str                                        # executable looked up on PATH
    commands: Callable[[Path, Board], list[list[str]]]  # run in order
    install_hint: str


def _openocd(elf: Path, board: Board) -> list[list[str]]:
    if not board.openocd_config:
        raise FlashError(f"board {board.name} has no OpenOCD configuration")
    # `program` = reset init, flash write_image erase, verify_image, reset run, shutdown
    return [["openocd", "-f", board.openocd_config,
             "-c", f"program {elf.as_posix()} verify reset exit"]]


def _pyocd(elf: Path, board: Board) -> list[list[str]]:
    if not board.pyocd_target:
        raise FlashError(f"board {board.name} has no pyOCD target name")
    # `pyocd load` erases and programs the sectors the ELF covers; then a hardware reset
    # starts the new firmware.
    return [["pyocd", "load", "--target", board.pyocd_target, "--format", "elf",
             elf.as_posix()],
            ["pyocd", "reset", "--target", board.pyocd_target]]


#: Probe name -> how to drive it (registry: add a tool here).
PROBES: dict[str, Probe] = {
    "openocd": Probe("openocd", "openocd", _openocd, "apt install openocd"),
    "pyocd": Probe("pyocd", "pyocd", _pyocd, "pip install pyocd"),
}


def choose_probe(name: str | None) -> Probe:
    """The named probe tool, or the first one found on PATH."""
    if name is not None:
        if name not in PROBES:
            raise FlashError(f"unknown probe '{name}' (known: {', '.join(PROBES)})")
        probe = PROBES[name]
        if shutil.which(probe.program) is None:
            raise FlashError(f"{probe.program} not found on PATH ({probe.install_hint})")
        return probe
    for probe in PROBES.values():
        if shutil.which(probe.program) is not None:
            return probe
    hints = "; ".join(f"{p.program}: {p.install_hint}" for p in PROBES.values())
    raise FlashError(f"no flashing tool found on PATH ({hints})")


def flash_commands(elf: Path, board: Board, probe: str | None = None) -> tuple[Probe, list[list[str]]]:
    if board.emulated_only:
        raise FlashError(f"board {board.name} is emulated: run it with --target "
                         f"{board.qemu_target} (nothing to flash)")
    chosen = choose_probe(probe)
    return chosen, chosen.commands(elf, board)


def _last_error_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower()]
    return (errors or lines or ["no output"])[-1][:200]


def flash_firmware(elf: Path | str, board: Board, probe: str | None = None,
                   timeout_s: float = FLASH_TIMEOUT_S) -> list[list[str]]:
    """Flashes `elf` onto `board`; returns the command lines run. FlashError on failure."""
    elf = Path(elf)
    if not elf.is_file():
        raise FlashError(f"firmware not found: {elf}")
    chosen, commands = flash_commands(elf.resolve(), board, probe)
    for command in commands:
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise FlashError(f"{chosen.name} did not finish within {timeout_s:.0f} s") from None
        except OSError as exc:
            raise FlashError(f"{chosen.name} could not run: {exc}") from None
        if result.returncode != 0:
            raise FlashError(f"{chosen.name} could not flash {board.name} (is the board "
                             f"connected over USB?): "
                             f"{_last_error_line(result.stderr + result.stdout)}")
    return commands
