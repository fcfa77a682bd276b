"""Configure and build the firmware for a target and a model folder, cached by content.

    result = build_firmware("qemu-mps2-an386", model_dir)
    result.artifact   # ELF (arm) or executable (host)
    result.sizes      # flash/RAM section sizes read with pyelftools (ELF targets)
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from medyate.host_tools.device.boards import Board

REPO_ROOT = Path(__file__).resolve().parents[2]
FIRMWARE_DIR = REPO_ROOT / "firmware"
FAKE_MODEL_DIR = FIRMWARE_DIR / "testing" / "fake_model"
DEFAULT_BUILD_ROOT = REPO_ROOT / "build" / "firmware"
ARM_TOOLCHAIN_FILE = REPO_ROOT / "cmake" / "arm-none-eabi.cmake"


M4F_FLAGS = ("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16")
M7_FLAGS = ("-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16")


@dataclass(frozen=True)
class TargetSpec:
    board: str                      # folder under firmware/boards
    toolchain_file: Path | None
    artifact_name: str
    compiler: str
    cpu_flags: tuple[str, ...] = ()  # -mcpu/-mfpu/... (the toolchain file's M4F default if empty)
    #: the target's own RAM/flash limits when no --board is given (None: CMake defaults,
    #: 320 KiB / 1 MiB)
    ram_bytes: int | None = None
    flash_bytes: int | None = None


def _arm(folder: str, flags: tuple[str, ...] = M4F_FLAGS, ram: int | None = None,
         flash: int | None = None) -> TargetSpec:
    return TargetSpec(folder, ARM_TOOLCHAIN_FILE, "firmware.elf", "arm-none-eabi-gcc", flags,
                      ram, flash)


#: Target name (as the CLI spells it) -> how to build for it. Real boards are built by
#: board_target_spec() (the `serial` target and `compile --board`).
TARGETS: dict[str, TargetSpec] = {
    "host": TargetSpec("host", None, "firmware", "cc"),
    "qemu-mps2-an386": _arm("mps2-an386"),
    "qemu-mps2-an500": _arm("mps2-an500", M7_FLAGS),
    # STM32F405 under QEMU: the nucleo-f446re's STM32F4 USART driver and startup, 128 KiB
    "qemu-netduinoplus2": _arm("netduinoplus2", ram=128 * 1024, flash=1024 * 1024),
}


def board_target_spec(board: "Board") -> TargetSpec:
    """The firmware of a real board (firmware/boards/<board.firmware_dir>)."""
    return _arm(board.firmware_dir, board.cpu_flags, board.sram_bytes, board.flash_bytes)


class FirmwareBuildError(RuntimeError):
    pass


@dataclass(frozen=True)
class SectionSizes:
    flash_bytes: int        # code + constants + .data load image
    data_bytes: int
    bss_bytes: int          # without the stack
    stack_bytes: int        # reserved (.stack, NOLOAD)
    static_ram_bytes: int   # .data + .bss


@dataclass(frozen=True)
class BuildResult:
    target: str
    artifact: Path
    build_dir: Path
    cached: bool
    sizes: SectionSizes | None = None
    options: dict[str, str] = field(default_factory=dict)


def _hash_tree(digest: "hashlib._Hash", root: Path, suffixes: tuple[str, ...]) -> None:
    for path in sorted(root.rglob("*")):
        if path.is_file() and (path.suffix in suffixes or path.name == "CMakeLists.txt"):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())


def _content_key(target: str, model_dir: Path, options: dict[str, str]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([target, options], sort_keys=True).encode())
    sources = (".c", ".h", ".cmake", ".in", ".ld", ".txt")
    _hash_tree(digest, FIRMWARE_DIR, sources)
    _hash_tree(digest, REPO_ROOT / "cmake", sources)
    _hash_tree(digest, model_dir, sources)
    runtime = REPO_ROOT / "runtime_c"
    if options.get("MDY_LINK_RUNTIME") != "OFF" and runtime.is_dir():
        _hash_tree(digest, runtime / "src", sources)
        _hash_tree(digest, runtime / "include", sources)
        if (runtime / "CMakeLists.txt").is_file():
            digest.update((runtime / "CMakeLists.txt").read_bytes())
    return digest.hexdigest()[:16]


def elf_section_sizes(elf_path: Path) -> SectionSizes:
    """Flash and RAM use of an ELF from its section headers (NOLOAD stack kept apart)."""
    from elftools.elf.elffile import ELFFile

    flash = data = bss = stack = 0
    with open(elf_path, "rb") as handle:
        for section in ELFFile(handle).iter_sections():
            flags, size, name = section["sh_flags"], section["sh_size"], section.name
            if not flags & 0x2:  # SHF_ALLOC
                continue
            if name == ".stack":
                stack += size
            elif section["sh_type"] == "SHT_NOBITS":
                bss += size
            elif flags & 0x1:  # SHF_WRITE: initialised data, stored in flash, copied to RAM
                data += size
                flash += size
            else:
                flash += size
    return SectionSizes(flash, data, bss, stack, data + bss)


def build_firmware(target: str, model_dir: Path | str = FAKE_MODEL_DIR, *,
                   build_root: Path | str = DEFAULT_BUILD_ROOT,
                   ram_size: int | None = None, flash_size: int | None = None,
                   stack_size: int | None = None, link_runtime: bool | None = None,
                   jobs: int = 2, board: "Board | None" = None,
                   baud: int | None = None, dry_run: bool = False,
                   sanitize: bool = False) -> BuildResult:
    """Builds (or reuses) the firmware for `target` with the model in `model_dir`.
    sanitize (host only): -fsanitize=address,undefined, any report aborts the process.

    board: the real board's own firmware when target is "serial" (or "board"); on an
    emulated target, the board's SRAM/flash limits (its linker-script ASSERTs).
    Explicit ram_size/flash_size win over both. dry_run: only resolve the options (the
    limits the link would enforce), build nothing."""
    if target in ("serial", "board"):
        if board is None:
            raise FirmwareBuildError(f"target {target!r} needs a board")
        if board.emulated_only and board.qemu_target in TARGETS:
            # an emulated board's firmware is its QEMU target's (whose UART ignores the
            # baud rate): one build, cached, whether QEMU's line is TCP or a pty
            target, baud = board.qemu_target, None
            spec = TARGETS[target]
        else:
            spec = board_target_spec(board)
    elif target in TARGETS:
        spec = TARGETS[target]
    else:
        raise FirmwareBuildError(f"unknown target {target!r}; known: {sorted(TARGETS)}")
    if shutil.which(spec.compiler) is None and not dry_run:
        raise FirmwareBuildError(f"compiler {spec.compiler} not found for target {target}")
    if board is not None and spec.toolchain_file is not None:
        ram_size = board.sram_bytes if ram_size is None else ram_size
        flash_size = board.flash_bytes if flash_size is None else flash_size
    ram_size = spec.ram_bytes if ram_size is None else ram_size
    flash_size = spec.flash_bytes if flash_size is None else flash_size
    model_dir = Path(model_dir).resolve()
    options = {"BOARD": spec.board, "MODEL_DIR": str(model_dir),
               "MDY_LINK_RUNTIME": {None: "AUTO", True: "ON", False: "OFF"}[link_runtime]}
    if spec.cpu_flags:
        options["MDY_CPU_FLAGS"] = " ".join(spec.cpu_flags)
    if sanitize:
        if spec.toolchain_file is not None:
            raise FirmwareBuildError("sanitizers exist for the host target only")
        flags = "-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g"
        options["CMAKE_C_FLAGS"] = flags
        options["CMAKE_EXE_LINKER_FLAGS"] = "-fsanitize=address,undefined"
    for name, value in (("RAM_SIZE", ram_size), ("FLASH_SIZE", flash_size),
                        ("STACK_SIZE", stack_size), ("UART_BAUD", baud)):
        if value is not None:
            options[name] = str(int(value))
    name = spec.board if target in ("serial", "board") else target
    build_dir = Path(build_root) / f"{name}-{_content_key(name, model_dir, options)}"
    artifact = build_dir / spec.artifact_name
    done = build_dir / ".medyate-built"   # written last: the artifact is whole
    if dry_run:
        return BuildResult(target, artifact, build_dir, done.is_file(), None, options)
    cached = done.is_file()
    if not cached:
        # one builder per cache entry; the others wait and then reuse its result
        Path(build_root).mkdir(parents=True, exist_ok=True)
        with open(build_dir.with_name(build_dir.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            cached = done.is_file()
            if not cached:
                _configure_and_build(spec, options, build_dir, jobs)
                done.write_text(str(artifact) + "\n")
    sizes = elf_section_sizes(artifact) if spec.toolchain_file is not None else None
    return BuildResult(target, artifact, build_dir, cached, sizes, options)


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise FirmwareBuildError(f"{what} failed ({' '.join(command)}):\n"
                                 f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")


def _configure_and_build(spec: TargetSpec, options: dict[str, str], build_dir: Path,
                         jobs: int) -> None:
    build_dir.mkdir(parents=True, exist_ok=True)
    configure = ["cmake", "-G", "Ninja", "-S", str(FIRMWARE_DIR), "-B", str(build_dir)]
    configure += [f"-D{name}={value}" for name, value in options.items()]
    if spec.toolchain_file is not None:
        configure.append(f"-DCMAKE_TOOLCHAIN_FILE={spec.toolchain_file}")
    _run(configure, "firmware configure")
    _run(["cmake", "--build", str(build_dir), "-j", str(jobs)], "firmware build")
