"""The link adapts to the line it measures (host firmware behind an in-process noisy
transport, fast): under 1% byte errors its frames shrink and training still gives the
clean weights bit for bit; once the line is clean they grow back; a dead line ends in
one clear error that gives the failure rate seen."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from medyate.host_tools.device.device import Device
from medyate.host_tools.device.firmware_build import build_firmware
from medyate.host_tools.device.link import LinkTimeout, PipeTransport

pytestmark = pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")

COUNTS, CHANNELS = [6, 8], [0, 2, 4, 30, 31, 9, 1, 3, 5, 7, 9, 11, 13, 15]


class NoisyPipe(PipeTransport):
    """Drops and corrupts a seeded fraction of the bytes each way."""

    def __init__(self, command: list[str], rate: float, seed: int) -> None:
        super().__init__(command)
        self.rate, self.rng = rate, np.random.default_rng(seed)

    def _mangle(self, data: bytes) -> bytes:
        if not data or self.rate == 0:
            return data
        draw = self.rng.random(len(data))
        values = np.frombuffer(data, np.uint8).copy()
        corrupt = draw < self.rate / 2
        values[corrupt] ^= self.rng.integers(1, 256, int(corrupt.sum()), dtype=np.uint8)
        return values[~((draw >= self.rate / 2) & (draw < self.rate))].tobytes()

    def write(self, data: bytes) -> None:
        super().write(self._mangle(data))

    def read(self, timeout_s: float) -> bytes:
        return self._mangle(super().read(timeout_s))


@pytest.fixture(scope="module")
def firmware():  # type: ignore[no-untyped-def]
    return build_firmware("host", link_runtime=False).artifact


def open_noisy(firmware, rate: float, seed: int = 0, **options) -> Device:  # type: ignore[no-untyped-def]
    from medyate.host_tools.device.link import Link
    link = Link(NoisyPipe([str(firmware)], rate, seed), **options)
    return Device._connect(Device(link, description="noisy host firmware"), None)


def train(device: Device) -> list[np.ndarray]:
    rng = np.random.default_rng(21)
    x, y = rng.normal(size=(24, 2, 4, 4)).astype(np.float32), rng.integers(0, 4, 24)
    device.set_schedule(COUNTS, CHANNELS)
    for first in range(0, 24, 8):
        device.train_batch(x[first:first + 8], y[first:first + 8], lr=0.1)
    return [device.read_weights(0), device.read_bias(0), device.read_weights(1),
            device.read_bias(1)]


def test_frames_shrink_on_a_noisy_line_and_grow_back_when_clean(firmware) -> None:  # type: ignore[no-untyped-def]
    with open_noisy(firmware, 0.0) as device:
        clean = train(device)
        assert device.link.payload_limit == device.max_payload == 1024
    with open_noisy(firmware, 0.01, seed=4) as device:
        noisy = train(device)
        stats = device.link.stats
        assert stats.failed_attempts > 10
        assert device.link.payload_limit < 200            # cut to what the line carries
        device.link.transport.rate = 0.0                  # the line heals
        for _ in range(40):
            device.read_weights(0)
        assert device.link.payload_limit > 500            # and frames grow back
    for got, expected in zip(noisy, clean):
        np.testing.assert_array_equal(got, expected)


def test_a_dead_line_is_one_clear_error_with_the_rate_seen(firmware) -> None:  # type: ignore[no-untyped-def]
    with open_noisy(firmware, 0.0) as device:
        device.link.transport.rate = 1.0                  # every byte lost from now on
        device.link.timeout_s = 0.05
        with pytest.raises(LinkTimeout, match=r"no valid reply to MEMORY after \d+ attempts.*"
                                              r"frame exchanges failed \(\d+\.\d%"):
            device.memory_report()


def test_preloaded_work_is_cut_into_requests_of_a_few_samples() -> None:
    """The device answers a preloaded request only when every sample in it ran: a whole
    test split in one request (100 samples of a 96x96 MobileNetV2) outlasted the link's
    patience, so each request carries at most PRELOADED_SAMPLES_PER_REQUEST samples."""
    import struct

    from medyate.host_tools.device.device import PRELOADED_SAMPLES_PER_REQUEST
    from medyate.host_tools.device.messages import DeviceInfo
    from medyate.host_tools.device.protocol import MessageType

    class Recorder(Device):
        def __init__(self) -> None:
            self.sent: list[tuple[int, int]] = []
            fields = {name: 0 for name in DeviceInfo.__dataclass_fields__}
            self.info = DeviceInfo(**{**fields, "num_classes": 10})

        @property
        def _limit(self) -> int:
            return 1024

        def request(self, message_type: int, payload: bytes = b"", timeout_s: float | None = None,
                    *, reply_bytes: int | None = None, resizable: bool = False) -> bytes:
            first, count, flags = struct.unpack("<IHB", payload)
            self.sent.append((first, count))
            assert message_type == MessageType.EVALUATE_PRELOADED
            return struct.pack("<HH", count, 0) + struct.pack("<fH", 0.5, 1) * count

    device = Recorder()
    results = device.evaluate_preloaded(400, 100)
    assert len(results.losses) == 100
    assert all(count <= PRELOADED_SAMPLES_PER_REQUEST for _, count in device.sent)
    assert [first for first, _ in device.sent] == list(range(400, 500, PRELOADED_SAMPLES_PER_REQUEST))
