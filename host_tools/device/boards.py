"""Boards as memory and CPU profiles: what a model must fit, and how to build for it.

A *target* says where the code runs (reference, host, a QEMU machine, a serial port); a
*board* says what it must fit (SRAM, flash) and how its core is built (CPU/FPU flags).
A QEMU target run with ``--board B`` links the firmware with B's SRAM and flash, so the
linker script refuses what the real board could not hold.

One registry, one lookup (:func:`get_board`); the CLI's ``medyate boards`` prints it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from medyate.codegen.errors import MedyateError

KIB = 1024


@dataclass(frozen=True)
class Board:
    name: str
    description: str
    cpu: str                    # -mcpu value
    fpu: str                    # -mfpu value ("" for none)
    float_abi: str              # -mfloat-abi value
    sram_bytes: int             # SRAM the firmware may use (.data + .bss + stack)
    flash_bytes: int            # code + constants
    clock_hz: int               # core clock on the real board
    uart: str                   # which UART the host talks to
    cycle_counter: str          # "DWT CYCCNT" on real cores, "SysTick x icount" under QEMU
    #: QEMU machine that runs this board's code when no real board is attached.
    qemu_target: str
    #: firmware/boards/<folder> with its startup, linker script and UART driver.
    firmware_dir: str
    #: probe configurations for `medyate flash` (openocd board cfg, pyocd target name).
    openocd_config: str | None = None
    pyocd_target: str | None = None
    emulated_only: bool = False
    notes: str = ""
    #: baud rate the firmware's UART is built for (`--baud` overrides; emulated UARTs ignore it)
    baud: int = 115200
    cpu_flags: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        flags = [f"-mcpu={self.cpu}", "-mthumb", f"-mfloat-abi={self.float_abi}"]
        if self.fpu:
            flags.append(f"-mfpu={self.fpu}")
        object.__setattr__(self, "cpu_flags", tuple(flags))


BOARDS: dict[str, Board] = {}


def register_board(board: Board) -> Board:
    BOARDS[board.name] = board
    return board


# Core build profiles: -mcpu, -mfpu and the float ABI of each core family we support.
CORTEX_M4F = {"cpu": "cortex-m4", "fpu": "fpv4-sp-d16", "float_abi": "hard"}
CORTEX_M7_SP = {"cpu": "cortex-m7", "fpu": "fpv5-sp-d16", "float_abi": "hard"}
# What every QEMU-only machine shares: no real clock, instructions counted by SysTick x icount.
EMULATED = {"clock_hz": 25_000_000, "cycle_counter": "SysTick x icount (instructions)",
            "emulated_only": True}

register_board(Board(
    name="mps2-an386", description="Arm MPS2 AN386 FPGA image (QEMU), limited to an STM32F746's memory",
    **CORTEX_M4F, **EMULATED, sram_bytes=320 * KIB, flash_bytes=1024 * KIB,
    uart="CMSDK APB UART0", qemu_target="qemu-mps2-an386", firmware_dir="mps2-an386",
    notes="today's default; QEMU models 4 MiB of each, the linker script enforces the limits"))
register_board(Board(
    name="mps2-an500", description="Arm MPS2 AN500 FPGA image (QEMU, Cortex-M7), limited to an STM32F746's memory",
    **CORTEX_M7_SP, **EMULATED, sram_bytes=320 * KIB, flash_bytes=1024 * KIB,
    uart="CMSDK APB UART0", qemu_target="qemu-mps2-an500", firmware_dir="mps2-an500",
    notes="runs the Cortex-M7 build (the stm32f746g-disco's core flags) under emulation"))
register_board(Board(
    name="netduinoplus2", description="Netduino Plus 2 (STM32F405, QEMU), limited to 128 KiB like the NUCLEO-F446RE",
    **CORTEX_M4F, **{**EMULATED, "clock_hz": 168_000_000}, sram_bytes=128 * KIB, flash_bytes=1024 * KIB,
    uart="USART1 (STM32F4 USART driver)", qemu_target="qemu-netduinoplus2", firmware_dir="netduinoplus2",
    notes="the nucleo-f446re's STM32F4 USART driver and startup under emulation"))
register_board(Board(
    name="stm32f746g-disco", description="ST STM32F746G-DISCO (Cortex-M7, 216 MHz)",
    **CORTEX_M7_SP, sram_bytes=320 * KIB, flash_bytes=1024 * KIB, clock_hz=216_000_000,
    uart="USART1 on the ST-LINK virtual COM port", cycle_counter="DWT CYCCNT",
    qemu_target="qemu-mps2-an500", firmware_dir="stm32f746g-disco",
    openocd_config="board/stm32f746g-disco.cfg", pyocd_target="stm32f746ngHx"))
register_board(Board(
    name="nucleo-f446re", description="ST NUCLEO-F446RE (Cortex-M4F, 180 MHz)",
    **CORTEX_M4F, sram_bytes=128 * KIB, flash_bytes=512 * KIB, clock_hz=180_000_000,
    uart="USART2 on the ST-LINK virtual COM port", cycle_counter="DWT CYCCNT",
    qemu_target="qemu-netduinoplus2", firmware_dir="nucleo-f446re",
    openocd_config="board/st_nucleo_f4.cfg", pyocd_target="stm32f446retx"))
register_board(Board(
    name="nrf52840-dk", description="Nordic nRF52840-DK (Cortex-M4F, 64 MHz)",
    **CORTEX_M4F, sram_bytes=256 * KIB, flash_bytes=1024 * KIB, clock_hz=64_000_000,
    uart="UARTE0 on the J-Link virtual COM port", cycle_counter="DWT CYCCNT",
    qemu_target="qemu-mps2-an386", firmware_dir="nrf52840-dk",
    openocd_config="board/nordic_nrf52_dk.cfg", pyocd_target="nrf52840"))

DEFAULT_BOARD = "mps2-an386"


class UnknownBoardError(MedyateError):
    """A --board name that is not in the registry."""


def get_board(name: str | None) -> Board:
    """The board named `name` (the default board for None), or a one-line error."""
    key = DEFAULT_BOARD if name is None else name
    try:
        return BOARDS[key]
    except KeyError:
        raise UnknownBoardError(
            f"unknown board '{key}'; known boards: {', '.join(sorted(BOARDS))} "
            f"(see `medyate boards`)") from None
