"""A compiled model, built into firmware for a device target.

The folder handed to the firmware build is the compiler's own output (model.c, model.h
with the MDY_MODEL_* capacities the device application sizes its buffers with,
memory.json), kept under a content hash so firmware builds are cached.

Builds are kept to the board's default RAM/flash limits (STM32F746-like 320 KiB / 1 MiB).
When a model does not fit, the same firmware is linked once more with the emulated
board's whole memory: `grad` (a checking tool) uses that build and says so; `train`
refuses with the section sizes read from it.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from medyate.codegen.compiler import compile_model
from medyate.codegen.compression import CompressionConfig
from medyate.codegen.errors import MedyateError
from medyate.codegen.ir import Graph
from medyate.codegen.plan import Plan, TrainLayer
from medyate.host_tools.device.firmware_build import (DEFAULT_BUILD_ROOT, REPO_ROOT, BuildResult, FirmwareBuildError,
                             build_firmware)

if TYPE_CHECKING:
    from medyate.host_tools.device.boards import Board

MODEL_BUILD_ROOT = REPO_ROOT / "build" / "models"
DEFAULT_RAM_BYTES = 327680          # firmware/CMakeLists.txt RAM_SIZE default
DEFAULT_FLASH_BYTES = 1048576       # firmware/CMakeLists.txt FLASH_SIZE default
DEFAULT_STACK_BYTES = 16384         # firmware/CMakeLists.txt STACK_SIZE default
#: Target -> (RAM, flash) of the emulated machine (toolchain.md: mps2 has 4 MiB of each).
FULL_MEMORY: dict[str, tuple[int, int]] = {"qemu-mps2-an386": (4 << 20, 4 << 20),
                                           "qemu-mps2-an500": (4 << 20, 4 << 20),
                                           "qemu-netduinoplus2": (192 << 10, 1 << 20)}

class DoesNotFitError(MedyateError):
    """The firmware with this model exceeds the board's RAM or flash."""


@dataclass(frozen=True)
class DeviceModel:
    model_dir: Path             # model.c, model.h, memory.json
    layers: list[TrainLayer]
    memory: dict                # the compiler's memory.json
    model_hash: str
    build: BuildResult
    full_memory: bool           # linked with the emulated board's whole memory


def write_firmware_model(generated_dir: Path, outdir: Path) -> None:
    """generated_dir (compile_model output) -> outdir, the firmware build's MODEL_DIR."""
    outdir.mkdir(parents=True, exist_ok=True)
    for name in ("model.c", "model.h", "memory.json"):
        shutil.copyfile(generated_dir / name, outdir / name)


def compile_for_device(model: Path, plan: Plan, graph: Graph, pool_bytes: int | None = None,
                       compress: CompressionConfig | None = None
                       ) -> tuple[Path, list[TrainLayer], dict]:
    """Compiles into a stable folder keyed by content, so firmware builds are cached.
    Each call compiles in a private folder and publishes it with one rename, so
    concurrent compiles never see each other's half-written files."""
    MODEL_BUILD_ROOT.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=MODEL_BUILD_ROOT))
    try:
        _, layers = compile_model(model, plan, staging / "generated", graph=graph,
                                  pool_bytes=pool_bytes, compress=compress)
        generated = staging / "generated"
        memory = json.loads((generated / "memory.json").read_text())
        digest = hashlib.sha256((generated / "model.c").read_bytes()
                                + (generated / "model.h").read_bytes()).hexdigest()[:16]
        model_dir = MODEL_BUILD_ROOT / digest
        if not (model_dir / "model.h").is_file():
            write_firmware_model(generated, staging / "publish")
            try:
                os.rename(staging / "publish", model_dir)
            except OSError:
                if not (model_dir / "model.h").is_file():   # not a concurrent twin: a fault
                    raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return model_dir, layers, memory


def _overflowed(error: FirmwareBuildError) -> bool:
    text = str(error)
    return "overflow" in text or "will not fit in region" in text


def _overflow_line(error: FirmwareBuildError) -> str:
    for line in str(error).splitlines():
        if "overflow" in line or "will not fit" in line:
            return line.strip().rstrip(".")
    return "the link failed"


def build_device_model(target: str, model: Path, plan: Plan, graph: Graph, *,
                       pool_bytes: int | None = None, allow_full_memory: bool = False,
                       build_root: Path = DEFAULT_BUILD_ROOT,
                       compress: CompressionConfig | None = None,
                       board: "Board | None" = None, baud: int | None = None) -> DeviceModel:
    """Compile + build firmware. Within the default board limits, or (allow_full_memory)
    with the emulated machine's memory when it does not fit; otherwise DoesNotFitError
    with the measured section sizes. compress: asi-compressed saved activations.
    board: its SRAM/flash limits (and, for target "serial", its own firmware)."""
    model_dir, layers, memory = compile_for_device(model, plan, graph, pool_bytes, compress)
    if target == "serial" and board is not None and board.emulated_only:
        # the same firmware as its QEMU target (whose UART ignores the baud rate)
        target, baud = board.qemu_target, None
    try:
        build = build_firmware(target, model_dir, build_root=build_root, board=board, baud=baud)
        return DeviceModel(model_dir, layers, memory, memory["model_hash"], build, False)
    except FirmwareBuildError as exc:
        if not _overflowed(exc):
            raise MedyateError(f"firmware build failed: {exc}") from None
        if target not in FULL_MEMORY:     # a real board: nothing bigger to measure with
            where = f" {board.name}" if board is not None else ""
            raise DoesNotFitError(
                f"the firmware does not fit the board{where}: {_overflow_line(exc)} "
                f"(arena {memory['arena_bytes']} B, channel pool "
                f"{memory['channel_pool_bytes']} B, RAM weights "
                f"{memory.get('ram_weight_bytes', 0)} B). Train fewer layers or lower the "
                f"budget") from None
    ram, flash = FULL_MEMORY[target]
    build = build_firmware(target, model_dir, build_root=build_root, ram_size=ram, flash_size=flash,
                           board=board, baud=baud)
    if allow_full_memory:
        return DeviceModel(model_dir, layers, memory, memory["model_hash"], build, True)
    sizes = build.sizes
    assert sizes is not None
    limits = build_firmware(target, model_dir, build_root=build_root, board=board,
                            baud=baud, dry_run=True).options
    ram_limit = int(limits.get("RAM_SIZE", DEFAULT_RAM_BYTES))
    flash_limit = int(limits.get("FLASH_SIZE", DEFAULT_FLASH_BYTES))
    where = f" {board.name}" if board is not None else ""
    raise DoesNotFitError(
        f"the firmware does not fit the board{where}: static RAM {sizes.static_ram_bytes} B "
        f"(arena {memory['arena_bytes']} B, channel pool {memory['channel_pool_bytes']} B, "
        f"RAM weights {memory.get('ram_weight_bytes', 0)} B) + stack {sizes.stack_bytes} B = "
        f"{sizes.static_ram_bytes + sizes.stack_bytes} B of {ram_limit} B RAM; "
        f"flash {sizes.flash_bytes} B of {flash_limit} B. Train fewer layers or "
        f"lower the budget")
