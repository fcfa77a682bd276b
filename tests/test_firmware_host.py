"""The firmware built for the host board, driven through a pipe: protocol robustness and
an honest fake model checked against a numpy reference."""
from __future__ import annotations

import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from medyate.host_tools.device.device import Device, ScheduleError
from medyate.host_tools.device.firmware_build import build_firmware
from medyate.host_tools.device.link import DeviceErrorReply, LinkTimeout, PipeTransport
from medyate.host_tools.device.protocol import ErrorCode, MessageType, SampleEncoding, encode_frame

pytestmark = pytest.mark.skipif(shutil.which("cmake") is None or shutil.which("cc") is None,
                                reason="needs cmake and a C compiler")

SCHEDULE_COUNTS = [5, 6]
SCHEDULE_CHANNELS = [3, 0, 17, 31, 8, 15, 1, 4, 9, 2, 11]


@pytest.fixture(scope="module")
def host_firmware() -> Path:
    return build_firmware("host", link_runtime=False).artifact


def make_data(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(count, 2, 4, 4)).astype(np.float32), rng.integers(0, 4, count)


def reference_step(weights: list[np.ndarray], biases: list[np.ndarray], x: np.ndarray,
                   y: np.ndarray, lr: float, counts: list[int], channels: list[int]
                   ) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """numpy (float64) mini-batch SGD of the fake model with sparse input channels."""
    w0, w1 = (w.astype(np.float64) for w in weights)
    b0, b1 = (b.astype(np.float64) for b in biases)
    inputs = x.reshape(len(x), -1).astype(np.float64)
    pre = inputs @ w0.T + b0
    hidden = np.maximum(pre, 0)
    logits = hidden @ w1.T + b1
    shifted = logits - logits.max(axis=1, keepdims=True)
    probabilities = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    losses = -np.log(probabilities[np.arange(len(y)), y])
    dlogits = probabilities.copy()
    dlogits[np.arange(len(y)), y] -= 1
    dhidden = (dlogits @ w1) * (pre > 0)
    grads = [dhidden.T @ inputs / len(x), dlogits.T @ hidden / len(x)]
    masks = [np.zeros_like(w0, bool), np.zeros_like(w1, bool)]
    masks[0][:, channels[:counts[0]]] = True
    masks[1][:, channels[counts[0]:]] = True
    new_weights = [w - lr * g * m for w, g, m in zip((w0, w1), grads, masks)]
    new_biases = [b0 - lr * dhidden.mean(axis=0), b1 - lr * dlogits.mean(axis=0)]
    return new_weights, new_biases, losses


def read_all(device: Device) -> list[np.ndarray]:
    return [device.read_weights(0), device.read_bias(0), device.read_weights(1), device.read_bias(1)]


def test_hello_reports_model_and_layer_capacities(host_firmware: Path) -> None:
    with Device.open_host(host_firmware) as device:
        info = device.info
        assert info.board == "host" and info.timer_unit == "ns"
        assert info.model_hash == "fake-mlp-2x4x4-16-4-v1"
        assert info.input_shape == (2, 4, 4) and info.num_classes == 4
        assert [(l.in_channels, l.out_channels, l.channel_cost_bytes) for l in info.layers] == \
            [(32, 16, 68), (16, 4, 20)]
        assert info.channel_pool_bytes == 1024


def test_training_matches_numpy_reference(host_firmware: Path) -> None:
    x, y = make_data(24)
    with Device.open_host(host_firmware) as device:
        device.set_schedule(SCHEDULE_COUNTS, SCHEDULE_CHANNELS)
        w0, b0, w1, b1 = read_all(device)
        weights = [w0.reshape(16, 32), w1.reshape(4, 16)]
        biases = [b0, b1]
        for batch in range(3):
            xb, yb = x[batch * 8:(batch + 1) * 8], y[batch * 8:(batch + 1) * 8]
            results = device.train_batch(xb, yb, lr=0.2)
            weights, biases, losses = reference_step(weights, biases, xb, yb, 0.2,
                                                     SCHEDULE_COUNTS, SCHEDULE_CHANNELS)
            np.testing.assert_allclose(results.losses, losses, rtol=1e-5, atol=1e-6)
        got = read_all(device)
        np.testing.assert_allclose(got[0].reshape(16, 32), weights[0], atol=1e-6)
        np.testing.assert_allclose(got[2].reshape(4, 16), weights[1], atol=1e-6)
        np.testing.assert_allclose(got[1], biases[0], atol=1e-6)
        np.testing.assert_allclose(got[3], biases[1], atol=1e-6)
        stats = device.epoch_stats()
        assert stats.train.samples == 24 and stats.num_updates == 3
        assert [len(n) for n in stats.channel_norms] == SCHEDULE_COUNTS
        assert np.all(np.concatenate(stats.channel_norms) > 0)


def test_weight_gradient_is_zero_outside_scheduled_channels(host_firmware: Path) -> None:
    x, y = make_data(4, seed=3)
    with Device.open_host(host_firmware) as device:
        device.set_schedule(SCHEDULE_COUNTS, SCHEDULE_CHANNELS)
        device.train_samples(x, y)
        grad = device.read_weight_grad(0).reshape(16, 32)
        scheduled = SCHEDULE_CHANNELS[:SCHEDULE_COUNTS[0]]
        others = [c for c in range(32) if c not in scheduled]
        assert np.all(grad[:, others] == 0) and np.any(grad[:, scheduled] != 0)
        device.zero_grad()
        assert not np.any(device.read_weight_grad(0))
        assert not np.any(device.read_bias_grad(1))


def test_uint8_samples_with_affine_equal_float_samples(host_firmware: Path) -> None:
    rng = np.random.default_rng(5)
    raw = rng.integers(0, 256, size=(6, 2, 4, 4), dtype=np.uint8)
    scale, offset = np.float32([0.02, 0.01]), np.float32([-1.0, -0.5])
    as_float = raw.astype(np.float32) * scale[None, :, None, None] + offset[None, :, None, None]
    y = rng.integers(0, 4, 6)
    with Device.open_host(host_firmware) as device:
        device.set_affine(scale, offset)
        from_u8 = device.evaluate(raw, y, return_logits=True, encoding=SampleEncoding.U8)
        from_f32 = device.evaluate(as_float, y, return_logits=True)
        np.testing.assert_array_equal(from_u8.logits, from_f32.logits)


def test_schedule_over_the_pool_is_refused(host_firmware: Path) -> None:
    with Device.open_host(host_firmware) as device:
        with pytest.raises(ScheduleError, match="MDY_ERR_POOL.*2496 bytes.*1024"):
            device.set_schedule([32, 16], list(range(32)) + list(range(16)))
        with pytest.raises(ScheduleError, match="MDY_ERR_RANGE"):
            device.set_schedule([2, 0], [4, 4])


class FaultInjectingTransport:
    """Wraps a transport; applies one scripted fault to chosen writes (request attempts)."""

    def __init__(self, inner: PipeTransport, faults: dict[int, str]) -> None:
        self.inner, self.faults, self.writes = inner, faults, 0
        self.held_back: bytes | None = None
        self.drop_next_reply = False

    def write(self, data: bytes) -> None:
        fault = self.faults.get(self.writes)
        self.writes += 1
        if self.held_back is not None and fault is None:   # deliver a stale, reordered frame
            self.inner.write(self.held_back)
            self.held_back = None
        if fault == "flip":
            corrupted = bytearray(data)
            corrupted[len(data) // 2] ^= 0x10
            self.inner.write(bytes(corrupted))
        elif fault == "truncate":
            self.inner.write(data[:len(data) // 2])
        elif fault == "duplicate":
            self.inner.write(data + data)
        elif fault == "reorder":
            self.inner.write(data)
            self.held_back = data
        elif fault == "lose_reply":
            self.inner.write(data)
            self.drop_next_reply = True
        else:
            self.inner.write(data)

    def read(self, timeout_s: float) -> bytes:
        data = self.inner.read(timeout_s)
        if self.drop_next_reply and data:
            self.drop_next_reply = False
            return b""
        return data

    def close(self) -> None:
        self.inner.close()


def train_epoch(device: Device, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    device.set_schedule(SCHEDULE_COUNTS, SCHEDULE_CHANNELS)
    for first in range(0, len(x), 5):
        device.train_batch(x[first:first + 5], y[first:first + 5], lr=0.1)
    return read_all(device)


def test_damaged_lost_duplicated_reordered_frames_train_each_sample_once(host_firmware: Path) -> None:
    x, y = make_data(30, seed=11)
    with Device.open_host(host_firmware) as clean:
        clean_weights = train_epoch(clean, x, y)
        clean_losses = clean.epoch_stats().train.loss_sum

    with Device.open_host(host_firmware, timeout_s=0.3) as device:
        # writes 0..2 were hello + layer infos; train requests follow the schedule frames
        # 15/16: the reply is lost, then its retransmission arrives damaged: the device
        # must still answer the next copy from its cached reply, not from the error
        faults = {5: "flip", 7: "truncate", 9: "duplicate", 12: "reorder", 15: "lose_reply",
                  16: "flip", 19: "flip", 21: "lose_reply", 23: "duplicate"}
        injector = FaultInjectingTransport(device.link.transport, faults)  # type: ignore[arg-type]
        device.link.transport = injector
        weights = train_epoch(device, x, y)
        stats = device.epoch_stats()
    assert stats.train.samples == 30 and stats.num_updates == 6
    assert stats.train.loss_sum == clean_losses
    for got, expected in zip(weights, clean_weights):
        np.testing.assert_array_equal(got, expected)
    link_stats = device.link.stats
    assert link_stats.retransmits >= 5 and link_stats.stale_frames >= 2


def test_invalid_requests_get_error_replies_and_the_device_keeps_working(host_firmware: Path) -> None:
    with Device.open_host(host_firmware) as device:
        with pytest.raises(DeviceErrorReply) as unknown:
            device.request(0x55, b"\x01\x02")
        assert unknown.value.error.code == ErrorCode.UNKNOWN_TYPE
        with pytest.raises(DeviceErrorReply) as bad_length:
            device.request(MessageType.TRAIN, struct.pack("<BBH", 0, 0, 3) + bytes(10))
        assert bad_length.value.error.code == ErrorCode.BAD_LENGTH
        with pytest.raises(DeviceErrorReply) as label:
            device.evaluate(*make_data(1)[:1], np.array([9]))
        assert label.value.error.code == ErrorCode.MODEL
        with pytest.raises(DeviceErrorReply) as no_schedule:
            device.train_samples(*make_data(2))
        assert no_schedule.value.error.detail == 4   # MDY_ERR_STATE
        transport = device.link.transport
        transport.write(encode_frame(MessageType.MEMORY, 999, b"", version=7))
        assert b"" != transport.read(1.0)   # an error frame, not silence
        assert device.evaluate(*make_data(3)).losses.shape == (3,)
        assert device.epoch_stats().evaluation.samples == 3


def test_a_silent_device_raises_a_clear_timeout(tmp_path: Path) -> None:
    silent = tmp_path / "silent.sh"
    silent.write_text("#!/bin/sh\nexec cat > /dev/null\n")
    silent.chmod(0o755)
    with pytest.raises(LinkTimeout, match="does not answer.*HELLO"):
        Device.open_host(silent, timeout_s=0.1, max_attempts=2)


def test_schedule_commit_with_output_slots_reaches_model_set_schedule_ex(host_firmware: Path) -> None:
    """SCHEDULE_COMMIT's optional second field (the offset of the output counts) sends
    the staged output-channel slots to model_set_schedule_ex (the fake model refuses any
    with MDY_ERR_RANGE); an offset that is not layers + input channels is a bad frame."""
    with Device.open_host(host_firmware) as device:
        with pytest.raises(ScheduleError, match="MDY_ERR_RANGE"):
            device.set_schedule([1, 0], [3], [0, 2], [0, 1])
        device.set_schedule([1, 0], [3], [0, 0], [])       # no output slot: accepted
        with pytest.raises(DeviceErrorReply) as bad:
            device.request(MessageType.SCHEDULE_COMMIT, struct.pack("<HH", 7, 2))
        assert bad.value.error.code == ErrorCode.BAD_LENGTH


def test_a_float_input_model_does_not_offer_int8_samples(host_firmware: Path) -> None:
    """Encoding S8 exists only where the model takes int8 input (HELLO's bitmask); a
    float-input firmware refuses it on every sample path and the host does not send it."""
    x, y = make_data(1)
    with Device.open_host(host_firmware) as device:
        assert device.info is not None and device.info.encodings == 0b011
        record = struct.pack("<H", 0) + bytes(x[0].size)
        with pytest.raises(DeviceErrorReply) as inline:
            device.request(MessageType.EVALUATE, struct.pack("<BBH", SampleEncoding.S8, 0, 1) + record)
        assert inline.value.error.code == ErrorCode.BAD_LENGTH
        with pytest.raises(DeviceErrorReply) as chunk:
            device.request(MessageType.SAMPLE_CHUNK, struct.pack("<BBHI", SampleEncoding.S8, 0, 0, 0) + bytes(4))
        assert chunk.value.error.code == ErrorCode.BAD_LENGTH
        with pytest.raises(ValueError, match="does not accept S8"):
            device.evaluate(x.astype(np.int8), y, encoding=SampleEncoding.S8)
        assert device.evaluate(x, y).losses.shape == (1,)
