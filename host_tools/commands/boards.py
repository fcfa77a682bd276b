"""`medyate boards`: the board registry as a table."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from medyate.host_tools.device.boards import BOARDS, DEFAULT_BOARD


def run_boards() -> None:
    table = Table(title="boards (--board NAME on plan, compile, train, flash)")
    for column in ("board", "CPU", "FPU", "SRAM", "flash", "clock", "UART", "cycles",
                   "emulated by"):
        table.add_column(column, overflow="fold")
    for board in BOARDS.values():
        name = board.name + (" (default)" if board.name == DEFAULT_BOARD else "")
        table.add_row(name, board.cpu, board.fpu or "none", f"{board.sram_bytes // 1024} KiB",
                      f"{board.flash_bytes // 1024} KiB", f"{board.clock_hz / 1e6:g} MHz",
                      board.uart, board.cycle_counter, board.qemu_target)
    Console(width=200).print(table)
