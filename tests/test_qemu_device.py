"""The firmware on the Cortex-M4F image under QEMU (mps2-an386), driven over its UART."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from medyate.host_tools.device.device import Device, ScheduleError, write_preload_dataset
from medyate.host_tools.device.faulty_proxy import FaultyProxy
from medyate.host_tools.device.firmware_build import build_firmware
from medyate.host_tools.device.link import LinkTimeout
from toolchain_marks import needs_qemu_and_arm

pytestmark = [
    pytest.mark.qemu,
    needs_qemu_and_arm,
]

COUNTS = [6, 8]
CHANNELS = [0, 2, 4, 30, 31, 9, 1, 3, 5, 7, 9, 11, 13, 15]


@pytest.fixture(scope="module")
def elf() -> Path:
    return build_firmware("qemu-mps2-an386", link_runtime=False).artifact


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(21)
    return rng.normal(size=(40, 2, 4, 4)).astype(np.float32), rng.integers(0, 4, 40)


def train_epoch(device: Device, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    device.set_schedule(COUNTS, CHANNELS)
    for first in range(0, len(x), 8):
        device.train_batch(x[first:first + 8], y[first:first + 8], lr=0.1)
    return [device.read_weights(0), device.read_bias(0), device.read_weights(1), device.read_bias(1)]


@pytest.fixture(scope="module")
def clean_qemu_run(elf: Path, data: tuple[np.ndarray, np.ndarray]) -> dict:
    x, y = data
    with Device.open_qemu(elf) as device:
        weights = train_epoch(device, x, y)
        stats = device.epoch_stats()
        memory = device.memory_report()
        info = device.info
    return {"weights": weights, "stats": stats, "memory": memory, "info": info}


def test_qemu_training_matches_the_host_build(clean_qemu_run: dict, data) -> None:
    x, y = data
    host = build_firmware("host", link_runtime=False).artifact
    with Device.open_host(host) as device:
        host_weights = train_epoch(device, x, y)
        host_stats = device.epoch_stats()
    assert clean_qemu_run["info"].board == "mps2-an386"
    stats = clean_qemu_run["stats"]
    assert stats.timer_unit == "instructions" and stats.train.time > 0
    assert stats.train.samples == 40 and stats.num_updates == 5
    for got, expected in zip(clean_qemu_run["weights"], host_weights):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    for got, expected in zip(stats.channel_norms, host_stats.channel_norms):
        np.testing.assert_allclose(got, expected, rtol=1e-4)


def test_memory_report_is_measured_on_the_device(clean_qemu_run: dict, elf: Path) -> None:
    memory = clean_qemu_run["memory"]
    sizes = build_firmware("qemu-mps2-an386", link_runtime=False).sizes
    assert memory.stack_measured and memory.ram_bytes == 320 * 1024
    assert memory.stack_bytes == sizes.stack_bytes == 16384
    assert 64 < memory.stack_used_bytes < memory.stack_bytes
    assert (memory.data_bytes, memory.bss_bytes) == (sizes.data_bytes, sizes.bss_bytes)
    assert memory.peak_sram_bytes == memory.data_bytes + memory.bss_bytes + memory.stack_used_bytes
    assert memory.arena_bytes == clean_qemu_run["info"].arena_bytes


def test_faulty_link_completes_an_epoch_with_identical_weights(elf: Path, clean_qemu_run: dict,
                                                              data) -> None:
    x, y = data
    with FaultyProxy(drop_rate=0.005, corrupt_rate=0.005, seed=3) as proxy:
        # default settings: the link measures the line and cuts its frames to fit
        with Device.open_qemu(elf, url_wrapper=proxy.wrap) as device:
            weights = train_epoch(device, x, y)
            stats = device.epoch_stats()
            link_stats = device.link.stats
        assert proxy.dropped > 0 and proxy.corrupted > 0
    assert stats.train.samples == 40 and stats.num_updates == 5
    assert link_stats.retransmits > 0
    assert device.link.payload_limit < device.max_payload   # the link adapted to the line
    for got, expected in zip(weights, clean_qemu_run["weights"]):
        np.testing.assert_array_equal(got, expected)


def test_faulty_link_with_preloaded_samples_gives_identical_weights(
        elf: Path, clean_qemu_run: dict, data, tmp_path: Path) -> None:
    x, y = data
    image = write_preload_dataset(tmp_path / "data.bin", x, y)
    with FaultyProxy(drop_rate=0.005, corrupt_rate=0.005, seed=8) as proxy:
        with Device.open_qemu(elf, preload=image, url_wrapper=proxy.wrap) as device:
            device.set_schedule(COUNTS, CHANNELS)
            for first in range(0, 40, 8):
                device.train_preloaded(first, 8, lr=0.1)
            weights = [device.read_weights(0), device.read_bias(0), device.read_weights(1),
                       device.read_bias(1)]
            assert device.link.stats.failed_attempts > 0
    for got, expected in zip(weights, clean_qemu_run["weights"]):
        np.testing.assert_array_equal(got, expected)


def test_preloaded_dataset_trains_like_streamed_samples(elf: Path, clean_qemu_run: dict, data,
                                                        tmp_path: Path) -> None:
    x, y = data
    image = write_preload_dataset(tmp_path / "data.bin", x, y)
    with Device.open_qemu(elf, preload=image) as device:
        device.set_schedule(COUNTS, CHANNELS)
        for first in range(0, 40, 8):
            device.train_preloaded(first, 8, lr=0.1)
        weights = [device.read_weights(0), device.read_bias(0), device.read_weights(1),
                   device.read_bias(1)]
    for got, expected in zip(weights, clean_qemu_run["weights"]):
        np.testing.assert_array_equal(got, expected)


def test_schedule_over_pool_is_refused_on_the_device(elf: Path) -> None:
    with Device.open_qemu(elf) as device:
        with pytest.raises(ScheduleError, match="MDY_ERR_POOL"):
            device.set_schedule([32, 16], list(range(32)) + list(range(16)))
        device.set_schedule(COUNTS, CHANNELS)   # the device still accepts a valid one
        qemu = device.qemu
        device.shutdown()
        assert qemu.wait(5) == 0   # semihosting exit


def test_silent_device_times_out_and_qemu_is_cleaned_up(elf: Path) -> None:
    started = time.monotonic()
    with pytest.raises(LinkTimeout, match="does not answer"):
        # -S: the CPU never starts, so nothing ever answers
        Device.open_qemu(elf, qemu_args=["-S"], timeout_s=0.3, max_attempts=2)
    assert time.monotonic() - started < 10
    import medyate.host_tools.device.qemu as qemu_module
    assert not list(qemu_module._live)
