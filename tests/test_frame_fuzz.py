"""A bounded frame fuzzer against the host firmware built with
-fsanitize=address,undefined: no sanitizer report, no crash, no hang, and the session
still answers afterwards. scripts/fuzz_frames.py runs the long version."""
from __future__ import annotations

import shutil

import pytest

from frame_fuzz import fuzz
from medyate.host_tools.device.device import Device
from medyate.host_tools.device.firmware_build import build_firmware

pytestmark = pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")


@pytest.fixture(scope="module")
def sanitized():  # type: ignore[no-untyped-def]
    artifact = build_firmware("host", link_runtime=False, sanitize=True).artifact
    binary = artifact.read_bytes()
    assert b"__asan" in binary and b"__ubsan" in binary   # the sanitizers are really in
    return artifact


@pytest.mark.parametrize("seed", [1, 2])
def test_fuzzed_frames_never_trip_the_sanitizers(sanitized, seed: int) -> None:  # type: ignore[no-untyped-def]
    result = fuzz(sanitized, frames=3000, seed=seed, timeout_s=120)
    assert "Sanitizer" not in result.report and "runtime error" not in result.report, result.report
    assert result.exit_code == 0, result.report
    assert result.bytes_received > 0


def test_the_sanitized_firmware_still_trains_after_garbage(sanitized) -> None:  # type: ignore[no-untyped-def]
    import numpy as np
    with Device.open_host(sanitized) as device:
        device.link.transport.write(bytes(range(1, 256)) * 8 + b"\x00")   # a burst of noise
        device.set_schedule([2, 1], [0, 1, 3])
        rng = np.random.default_rng(0)
        results = device.train_batch(rng.standard_normal((3, 2, 4, 4)).astype(np.float32),
                                     np.array([0, 1, 2]), lr=0.1)
    assert len(results.losses) == 3 and np.all(np.isfinite(results.losses))
