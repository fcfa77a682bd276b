"""Host side of the medyate serial protocol (docs/protocol.md).

Frame before COBS: ``[u8 version][u8 type][u16 seq][u16 length][payload][u32 crc32]``,
little endian; CRC-32 is zlib's over header + payload. On the wire each frame is
COBS-encoded and delimited by 0x00 on both sides.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from enum import IntEnum

PROTOCOL_VERSION = 2
HEADER = struct.Struct("<BBHH")
CRC = struct.Struct("<I")
MAX_PAYLOAD = 1024
SEQ_NONE = 0xFFFF
RESPONSE_FLAG = 0x80


class MessageType(IntEnum):
    HELLO = 0x01
    LAYER_INFO = 0x02
    SET_AFFINE = 0x03
    SCHEDULE_DATA = 0x04
    SCHEDULE_COMMIT = 0x05
    PING = 0x06
    TRAIN = 0x10
    EVALUATE = 0x11
    SAMPLE_CHUNK = 0x12
    TRAIN_STAGED = 0x13
    EVALUATE_STAGED = 0x14
    TRAIN_PRELOADED = 0x15
    EVALUATE_PRELOADED = 0x16
    APPLY_UPDATE = 0x20
    ZERO_GRAD = 0x21
    RESET_WEIGHTS = 0x22
    EPOCH_END = 0x23
    CHANNEL_NORMS = 0x24
    MEMORY = 0x25
    READ_TENSOR = 0x26
    WRITE_TENSOR = 0x27
    SHUTDOWN = 0x2F
    ERROR = 0xFF


class ErrorCode(IntEnum):
    BAD_CRC = 1
    BAD_FRAME = 2
    OVERFLOW = 3
    BAD_VERSION = 4
    SEQUENCE = 5
    UNKNOWN_TYPE = 6
    BAD_LENGTH = 7
    MODEL = 8
    CAPACITY = 9
    STATE = 10
    UNSUPPORTED = 11
    FAULT = 12


#: Errors that mean "your frame did not arrive intact": the host retransmits.
TRANSPORT_ERRORS = frozenset({ErrorCode.BAD_CRC, ErrorCode.BAD_FRAME, ErrorCode.OVERFLOW})


class PingMode(IntEnum):
    STATUS = 0   # the seq already ran: answer [1, its type] instead of its cached reply
    REPLAY = 1   # the seq already ran: re-send its cached reply


class SampleEncoding(IntEnum):
    F32 = 0
    U8 = 1  # x = u8 * scale[c] + offset[c], set with SET_AFFINE
    #: int8 quantized with the model input's (scale, zero point): offered (HELLO's
    #: encodings bitmask) by firmware whose model takes int8 input
    S8 = 2


class TensorKind(IntEnum):
    WEIGHT = 0
    BIAS = 1
    WEIGHT_GRAD = 2
    BIAS_GRAD = 3


MODEL_ERROR_NAMES = {0: "MDY_OK", 1: "MDY_ERR_POOL", 2: "MDY_ERR_RANGE", 3: "MDY_ERR_LABEL",
                     4: "MDY_ERR_STATE"}

PRELOAD_MAGIC = 0x4459444D  # "MDYD"
PRELOAD_HEADER = struct.Struct("<IIIIIIII")  # magic, version, count, elems, encoding,
#                                              labels offset, samples offset, reserved


class FrameError(ValueError):
    """A received block is not a valid frame (COBS, length or CRC)."""


@dataclass(frozen=True)
class Frame:
    type: int
    seq: int
    payload: bytes
    version: int = PROTOCOL_VERSION


def cobs_encode(data: bytes) -> bytes:
    """COBS as the firmware does it (a full 254-byte block is always followed by a code)."""
    out = bytearray([0])
    code_index, code = 0, 1
    for byte in data:
        if byte != 0:
            out.append(byte)
            code += 1
        if byte == 0 or code == 0xFF:
            out[code_index] = code
            code_index = len(out)
            out.append(0)
            code = 1
    out[code_index] = code
    return bytes(out)


def cobs_decode(block: bytes) -> bytes:
    out = bytearray()
    index = 0
    while index < len(block):
        code = block[index]
        index += 1
        if code == 0 or index + code - 1 > len(block):
            raise FrameError("invalid COBS block")
        chunk = block[index:index + code - 1]
        if 0 in chunk:
            raise FrameError("zero byte inside a COBS block")
        out += chunk
        index += code - 1
        if code != 0xFF and index < len(block):
            out.append(0)
    return bytes(out)


def encode_frame(message_type: int, seq: int, payload: bytes = b"",
                 version: int = PROTOCOL_VERSION) -> bytes:
    """Wire bytes of one frame, delimiters included."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    raw = HEADER.pack(version, message_type, seq, len(payload)) + payload
    raw += CRC.pack(zlib.crc32(raw))
    return b"\x00" + cobs_encode(raw) + b"\x00"


def decode_frame(block: bytes) -> Frame:
    """Checks and decodes one COBS block (without delimiters)."""
    raw = cobs_decode(block)
    if len(raw) < HEADER.size + CRC.size:
        raise FrameError(f"frame of {len(raw)} bytes is shorter than header + CRC")
    version, message_type, seq, length = HEADER.unpack_from(raw)
    if len(raw) != HEADER.size + length + CRC.size:
        raise FrameError(f"length field {length} does not match a {len(raw)}-byte frame")
    (crc,) = CRC.unpack_from(raw, HEADER.size + length)
    if zlib.crc32(raw[:HEADER.size + length]) != crc:
        raise FrameError("CRC mismatch")
    return Frame(message_type, seq, raw[HEADER.size:HEADER.size + length], version)


class FrameReader:
    """Splits a byte stream on 0x00 into frames; bad blocks are reported, not raised."""

    def __init__(self, max_block: int = 2 * MAX_PAYLOAD) -> None:
        self._buffer = bytearray()
        self._max_block = max_block
        self.bad_blocks = 0

    def feed(self, data: bytes) -> list[Frame]:
        frames: list[Frame] = []
        self._buffer += data
        while True:
            end = self._buffer.find(0)
            if end < 0:
                if len(self._buffer) > self._max_block:  # a lost delimiter: resynchronise
                    self._buffer.clear()
                    self.bad_blocks += 1
                return frames
            block = bytes(self._buffer[:end])
            del self._buffer[:end + 1]
            if not block:
                continue
            try:
                frames.append(decode_frame(block))
            except FrameError:
                self.bad_blocks += 1


@dataclass(frozen=True)
class DeviceError:
    """Decoded payload of an ERROR frame."""
    code: int
    detail: int
    request_type: int
    extra: tuple[int, ...]

    @classmethod
    def parse(cls, payload: bytes) -> "DeviceError":
        if len(payload) < 6:
            return cls(int(ErrorCode.BAD_FRAME), 0xFFFF, 0, ())
        code, detail, request_type = struct.unpack_from("<HHB", payload)
        count = (len(payload) - 6) // 4
        extra = struct.unpack_from(f"<{count}I", payload, 6) if count else ()
        return cls(code, detail, request_type, tuple(extra))

    def describe(self) -> str:
        try:
            name = ErrorCode(self.code).name
        except ValueError:
            name = f"code {self.code}"
        try:
            request = MessageType(self.request_type).name
        except ValueError:
            request = f"type 0x{self.request_type:02x}"
        text = f"{name} (detail {self.detail}) for {request}"
        if self.code == ErrorCode.MODEL:
            text += f" [{MODEL_ERROR_NAMES.get(self.detail, '?')}]"
        if self.code == ErrorCode.FAULT and len(self.extra) >= 3:
            text += f" pc=0x{self.extra[0]:08x} cfsr=0x{self.extra[1]:08x} hfsr=0x{self.extra[2]:08x}"
        return text
