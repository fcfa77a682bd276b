"""Firmware build: the linker script enforces the board's RAM and flash sizes."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from medyate.host_tools.device.firmware_build import FirmwareBuildError, build_firmware

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                reason="needs arm-none-eabi-gcc")


def test_ram_overflow_fails_the_link(tmp_path: Path) -> None:
    # .data + .bss (~9.5 KB) + 16 KiB stack cannot fit 20 KiB
    with pytest.raises(FirmwareBuildError, match="RAM overflow"):
        build_firmware("qemu-mps2-an386", build_root=tmp_path, ram_size=20 * 1024,
                       link_runtime=False)


def test_flash_overflow_fails_the_link(tmp_path: Path) -> None:
    with pytest.raises(FirmwareBuildError, match="flash overflow|FLASH"):
        build_firmware("qemu-mps2-an386", build_root=tmp_path, flash_size=4096,
                       link_runtime=False)


def test_sizes_are_read_from_the_elf(tmp_path: Path) -> None:
    result = build_firmware("qemu-mps2-an386", build_root=tmp_path, ram_size=64 * 1024,
                            stack_size=8192, link_runtime=False)
    assert result.sizes is not None and result.sizes.stack_bytes == 8192
    assert 4096 < result.sizes.flash_bytes < 64 * 1024
    again = build_firmware("qemu-mps2-an386", build_root=tmp_path, ram_size=64 * 1024,
                           stack_size=8192, link_runtime=False)
    assert again.cached and again.artifact == result.artifact
