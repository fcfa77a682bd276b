"""`compile --board` for the real boards: ELF + HEX + BIN built with the board's core
flags, placed at its flash/RAM addresses and linked against its SRAM/flash limits.
(The boards themselves cannot run here: these builds are compiled and linked only.)"""
from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from elftools.elf.elffile import ELFFile

import zoo
from medyate.cli import main
from medyate.codegen.frontend import load_graph
from medyate.codegen.plan import Plan
from medyate.host_tools.device.boards import BOARDS, get_board
from medyate.host_tools.device.firmware_build import (FAKE_MODEL_DIR, FirmwareBuildError,
                                               build_firmware)

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                reason="needs arm-none-eabi-gcc")

#: board -> (flash origin, RAM origin, readelf's FP architecture of its core)
LAYOUT = {"stm32f746g-disco": (0x08000000, 0x20000000, "FPv5/FP-D16 for ARMv8"),
          "nucleo-f446re": (0x08000000, 0x20000000, "VFPv4-D16"),
          "nrf52840-dk": (0x00000000, 0x20000000, "VFPv4-D16")}


@pytest.fixture(scope="module")
def model_and_plan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("boards_build")
    model = zoo.exported("mbv2_tiny", "torchscript", True, tmp)
    plan = tmp / "plan.json"
    plan.write_text(json.dumps(Plan.all_layers(load_graph(model), 8 * 1024).to_dict()))
    return model, plan


def fp_arch(elf: Path) -> str:
    text = subprocess.run(["arm-none-eabi-readelf", "-A", str(elf)], capture_output=True,
                          text=True, check=True).stdout
    return next(line.split(":", 1)[1].strip() for line in text.splitlines()
                if "Tag_FP_arch" in line)


def check_images(board: str, out: Path, flash_bytes: int) -> None:
    """ELF at the board's addresses with its core's FP architecture, HEX and BIN beside."""
    profile = get_board(board)
    elf, hexfile, binfile = out / "firmware.elf", out / "firmware.hex", out / "firmware.bin"
    flash_origin, ram_origin, fp = LAYOUT[board]
    with open(elf, "rb") as handle:
        sections = {s.name: s for s in ELFFile(handle).iter_sections()}
        vectors = sections[".isr_vector"]
        assert vectors["sh_addr"] == flash_origin
        initial_sp = int.from_bytes(vectors.data()[:4], "little")
        stack_top = sections[".stack"]["sh_addr"] + sections[".stack"]["sh_size"]
    assert initial_sp == stack_top and ram_origin < stack_top <= ram_origin + profile.sram_bytes
    assert fp_arch(elf) == fp
    assert hexfile.read_text().startswith(":") and hexfile.read_text().rstrip().endswith(":00000001FF")
    # the raw image is the flash contents: code + constants + .data's load image
    assert binfile.stat().st_size == flash_bytes <= profile.flash_bytes


@pytest.mark.slow
def test_compile_board_writes_elf_hex_bin_with_a_size_report(
        model_and_plan: tuple[Path, Path], tmp_path: Path) -> None:
    """The whole path for the Cortex-M7 board: model + runtime kernels, built with -Werror."""
    model, plan = model_and_plan
    board, out = "stm32f746g-disco", tmp_path / "out"
    result = CliRunner().invoke(main, ["compile", str(model), "--plan", str(plan),
                                       "--board", board, "-o", str(out)])
    assert result.exit_code == 0, result.output
    profile = get_board(board)
    assert f"{board}: flash" in result.output and f"of {profile.flash_bytes:,} B" in result.output
    memory = json.loads((out / "memory.json").read_text())
    assert memory["board"] == board and memory["board_sram_bytes"] == profile.sram_bytes
    check_images(board, out, memory["flash_bytes"])


@pytest.mark.parametrize("board", ["nucleo-f446re", "nrf52840-dk"])
def test_the_m4f_boards_build_and_link(board: str, tmp_path: Path) -> None:
    """Their board code, startup and linker script (the M4F runtime kernels are built for
    qemu-mps2-an386/qemu-netduinoplus2 in the QEMU tests)."""
    build = build_firmware("serial", FAKE_MODEL_DIR, build_root=tmp_path, link_runtime=False,
                           board=get_board(board))
    assert build.sizes is not None
    check_images(board, build.build_dir, build.sizes.flash_bytes)


def test_a_qemu_target_takes_the_boards_limits(tmp_path: Path) -> None:
    nrf = build_firmware("qemu-mps2-an386", FAKE_MODEL_DIR, build_root=tmp_path,
                         link_runtime=False, board=get_board("nrf52840-dk"), dry_run=True)
    assert nrf.options["RAM_SIZE"] == str(256 * 1024)
    netduino = build_firmware("qemu-netduinoplus2", FAKE_MODEL_DIR, build_root=tmp_path,
                              link_runtime=False, dry_run=True)
    assert netduino.options["RAM_SIZE"] == str(128 * 1024)
    m7 = build_firmware("qemu-mps2-an500", FAKE_MODEL_DIR, build_root=tmp_path,
                        link_runtime=False, dry_run=True)
    assert "-mcpu=cortex-m7" in m7.options["MDY_CPU_FLAGS"]


def test_a_board_too_small_fails_the_link(tmp_path: Path) -> None:
    tiny = dataclasses.replace(get_board("nucleo-f446re"), name="tiny", sram_bytes=20 * 1024)
    with pytest.raises(FirmwareBuildError, match="RAM overflow"):
        build_firmware("serial", FAKE_MODEL_DIR, build_root=tmp_path, link_runtime=False,
                       board=tiny)


def test_boards_lists_every_board() -> None:
    result = CliRunner().invoke(main, ["boards"])
    assert result.exit_code == 0
    for name in BOARDS:
        assert name in result.output


@pytest.mark.parametrize("args, message", [
    (["--board", "no-such-board"], "unknown board 'no-such-board'"),
    (["--board", "nucleo-f446re", "--target", "host"], "--board applies to firmware targets"),
])
def test_compile_board_errors_are_one_line(model_and_plan: tuple[Path, Path], tmp_path: Path,
                                           args: list[str], message: str) -> None:
    model, plan = model_and_plan
    result = CliRunner().invoke(main, ["compile", str(model), "--plan", str(plan), *args,
                                       "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and message in result.output
    assert result.output.count("\n") == 1
    assert not (tmp_path / "out").exists()
