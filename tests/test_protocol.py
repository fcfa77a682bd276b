"""Frame layer of the serial protocol: COBS, CRC-32, header checks (pure Python)."""
from __future__ import annotations

import struct
import zlib

import pytest
from hypothesis import given, strategies as st

from medyate.host_tools.device.protocol import (CRC, HEADER, PROTOCOL_VERSION, Frame, FrameError, FrameReader,
                                         MessageType, cobs_decode, cobs_encode, decode_frame,
                                         encode_frame)


@given(st.binary(max_size=1100))
def test_cobs_round_trip_has_no_zero_bytes(data: bytes) -> None:
    encoded = cobs_encode(data)
    assert 0 not in encoded
    assert len(encoded) <= len(data) + len(data) // 254 + 2
    assert cobs_decode(encoded) == data


def test_cobs_known_vectors() -> None:
    # Vectors from the COBS paper / Wikipedia (our encoder always closes a full block).
    assert cobs_encode(b"\x00") == b"\x01\x01"
    assert cobs_encode(b"\x11\x22\x00\x33") == b"\x03\x11\x22\x02\x33"
    assert cobs_encode(b"\x11\x00\x00\x00") == b"\x02\x11\x01\x01\x01"
    assert cobs_decode(b"\xff" + bytes(range(1, 255))) == bytes(range(1, 255))


def test_frame_layout_and_crc_is_zlibs() -> None:
    wire = encode_frame(MessageType.TRAIN, 0x1234, b"abc")
    assert wire[0] == 0 and wire[-1] == 0
    raw = cobs_decode(wire[1:-1])
    assert raw[:HEADER.size] == struct.pack("<BBHH", PROTOCOL_VERSION, 0x10, 0x1234, 3)
    assert raw[HEADER.size:-CRC.size] == b"abc"
    assert CRC.unpack(raw[-CRC.size:])[0] == zlib.crc32(raw[:-CRC.size])
    assert decode_frame(wire[1:-1]) == Frame(0x10, 0x1234, b"abc")


@given(st.binary(min_size=0, max_size=200), st.integers(0, 7), st.data())
def test_any_single_bit_flip_is_rejected(payload: bytes, bit: int, data: st.DataObject) -> None:
    wire = bytearray(encode_frame(MessageType.EVALUATE, 7, payload))
    index = data.draw(st.integers(1, len(wire) - 2))
    wire[index] ^= 1 << bit
    blocks = [block for block in bytes(wire).split(b"\x00") if block]
    for block in blocks:   # a flip to 0x00 splits the frame: every piece must fail
        with pytest.raises(FrameError):
            decode_frame(block)


def test_truncated_and_padded_frames_are_rejected() -> None:
    block = encode_frame(MessageType.HELLO, 1, b"payload")[1:-1]
    for cut in range(1, len(block)):
        with pytest.raises(FrameError):
            decode_frame(block[:cut])
    with pytest.raises(FrameError):
        decode_frame(block + b"\x05")


def test_reader_resynchronises_after_garbage() -> None:
    reader = FrameReader()
    good = encode_frame(MessageType.MEMORY, 3, b"\x01\x02")
    frames = reader.feed(b"\x13\x37garbage" + good[:5])
    frames += reader.feed(good[5:] + encode_frame(MessageType.HELLO, 4))
    assert [f.seq for f in frames] == [3, 4]
    assert reader.bad_blocks == 1


def test_oversized_payload_is_refused_by_encoder() -> None:
    with pytest.raises(ValueError):
        encode_frame(MessageType.TRAIN, 1, bytes(1025))
