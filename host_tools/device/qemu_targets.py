"""`grad` on an emulated Cortex-M: the generated C in the real firmware under QEMU.

The channel pool is sized to hold the requested schedule (grad is a checking tool, as on
the host target); if the firmware then exceeds the board's default RAM/flash limits, it
is linked with the emulated machine's whole memory, and that is printed.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from medyate.codegen.compression import CompressionConfig
from medyate.codegen.errors import MedyateError
from medyate.codegen.gradients import check_batch
from medyate.codegen.ir import Graph
from medyate.codegen.plan import Plan, Schedule, TrainLayer
from medyate.codegen.quantize import input_quantizer, quantize_input_samples
from medyate.host_tools.device.device import Device, ModelHashMismatch, ScheduleError
from medyate.host_tools.device.device_model import build_device_model
from medyate.host_tools.device.device_targets import grad_pool_bytes, onnx_grads_from_ir
from medyate.host_tools.device.boards import Board, get_board
from medyate.host_tools.device.link import LinkError
from medyate.host_tools.device.protocol import SampleEncoding
from medyate.host_tools.device.qemu import TARGET_MACHINES
from medyate.host_tools.device.serial_target import (SERIAL_TARGET, check_board_options, describe_line_failure,
                            line_baud, open_serial_device)
from medyate.host_tools.device.targets import register_grad_target


def device_samples(device: Device, graph: Graph, x: np.ndarray) -> tuple[np.ndarray, SampleEncoding]:
    """The samples as the device takes them: int8 (quantized here as the reference's
    quantize step does) when the model takes int8 input and the firmware offers it."""
    flat = x.reshape(len(x), -1)
    if input_quantizer(graph) is not None and device.info is not None and \
            (device.info.encodings >> SampleEncoding.S8) & 1:
        return quantize_input_samples(graph, x).reshape(len(x), -1), SampleEncoding.S8
    return flat, SampleEncoding.F32


def device_grads(device: Device, graph: Graph, layers: list[TrainLayer], schedule: Schedule,
                 x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """One forward + backward per sample with gradients accumulated, no update; mean."""
    lists = schedule.for_layers(layers)
    outs = schedule.outputs_for_layers(layers)
    try:
        device.set_schedule([len(c) for c in lists], [int(c) for cs in lists for c in cs],
                            [len(o) for o in outs], [int(o) for os in outs for o in os])
    except ScheduleError as exc:
        raise MedyateError(str(exc)) from None
    device.zero_grad()
    samples, encoding = device_samples(device, graph, x)
    results = device.train_samples(samples, y, encoding)
    n = len(x)
    weight_grads = [device.read_weight_grad(l.index) / n for l in layers]
    bias_grads = [device.read_bias_grad(l.index) / n if l.train_bias else None for l in layers]
    logits = device.evaluate(samples, y, return_logits=True, encoding=encoding).logits
    out = {"loss": np.float32(np.mean(results.losses)), "logits": np.asarray(logits, np.float32)}
    out.update(onnx_grads_from_ir(graph, layers, weight_grads, bias_grads))
    return out


def qemu_grads(target: str, *, model: Path, graph: Graph, plan: Plan, layers: list[TrainLayer],
               schedule: Schedule, x: np.ndarray, y: np.ndarray,
               compress: CompressionConfig | None = None,
               board: Board | None = None) -> dict[str, np.ndarray]:
    x, y = check_batch(graph, x, y)
    built = build_device_model(target, model, plan, graph,
                               pool_bytes=grad_pool_bytes(layers, plan, schedule, graph, compress),
                               allow_full_memory=True, compress=compress, board=board)
    if built.full_memory:
        print(f"note: the firmware does not fit the board's default memory with a channel "
              f"pool of {built.memory['channel_pool_bytes']} B; linked with the emulated "
              f"machine's full memory instead")
    try:
        with Device.open_qemu(built.build.artifact, expected_model_hash=built.model_hash,
                              board=TARGET_MACHINES[target]) as device:
            return device_grads(device, graph, built.layers, schedule, x, y)
    except ModelHashMismatch as exc:
        raise MedyateError(str(exc)) from None
    except (LinkError, OSError) as exc:
        raise MedyateError(f"QEMU device failed: {exc}") from None


def _known(kwargs: dict[str, Any]) -> dict[str, Any]:
    known = {k: kwargs[k] for k in ("model", "graph", "plan", "layers", "schedule", "x", "y")}
    known["compress"] = kwargs.get("compress")
    return known


def _qemu_grad_target(target: str) -> None:
    @register_grad_target(target)
    def _grads(**kwargs: Any) -> dict[str, np.ndarray]:
        if kwargs.get("port") is not None or kwargs.get("baud") is not None:
            raise MedyateError("--port and --baud apply to --target serial only")
        board = get_board(kwargs["board"]) if kwargs.get("board") else None
        return qemu_grads(target, **_known(kwargs), board=board)


for _target in TARGET_MACHINES:
    _qemu_grad_target(_target)


@register_grad_target(SERIAL_TARGET)
def serial_grads(**kwargs: Any) -> dict[str, np.ndarray]:
    """grad on a real board behind --port (the firmware must already be flashed: the
    handshake checks the model hash). The pool holds the requested schedule, as on QEMU;
    a schedule that does not fit the board's SRAM fails the link with the shortfall."""
    board = check_board_options(SERIAL_TARGET, kwargs.get("board"), kwargs.get("port"),
                                kwargs.get("baud"), False)
    assert board is not None
    known = _known(kwargs)
    x, y = check_batch(known["graph"], known["x"], known["y"])
    built = build_device_model(SERIAL_TARGET, known["model"], known["plan"], known["graph"],
                               pool_bytes=grad_pool_bytes(known["layers"], known["plan"],
                                                          known["schedule"], known["graph"],
                                                          known["compress"]),
                               compress=known["compress"], board=board,
                               baud=line_baud(board, kwargs.get("baud")))
    baud = line_baud(board, kwargs.get("baud"))
    assert baud is not None
    port = str(kwargs["port"])
    with open_serial_device(port, board, baud=baud, expected_model_hash=built.model_hash,
                            memory=built.memory) as device:
        try:
            return device_grads(device, known["graph"], built.layers, known["schedule"], x, y)
        except (LinkError, OSError) as exc:
            raise MedyateError(describe_line_failure(exc, port, 0, "(no run files)")) from None
