"""`medyate flash FIRMWARE.elf --board B [--probe openocd|pyocd]`."""
from __future__ import annotations

from pathlib import Path

from rich.console import Console

from medyate.host_tools.device.boards import get_board
from medyate.host_tools.device.flashing import flash_firmware


def run_flash(firmware: Path, board_name: str, probe: str | None,
              console: Console | None = None) -> None:
    console = console or Console()
    board = get_board(board_name)
    commands = flash_firmware(firmware, board, probe)
    for command in commands:
        console.print(f"ran: {' '.join(command)}")
    console.print(f"flashed {firmware} onto {board.name}")
