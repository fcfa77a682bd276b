"""Skip marks for tests that need the Cortex-M toolchain or the emulator."""
from __future__ import annotations

import shutil

import pytest

needs_qemu_and_arm = pytest.mark.skipif(
    shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
    reason="needs qemu-system-arm and arm-none-eabi-gcc")
