"""Boards under QEMU: the Cortex-M7 build (qemu-mps2-an500) and the STM32F4 USART/startup
path (qemu-netduinoplus2, 128 KiB) fine-tune end to end with measured peak SRAM, and so
does `--target serial --port <pty>` against QEMU started with `-serial pty` (pyserial on
a real pseudo-terminal, as on a USB virtual COM port): all to the same weights as the
default target for the same seed. Then the failures of real lines, each one line."""
from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper
from rich.console import Console

import zoo
from medyate.codegen.errors import MedyateError
from medyate.codegen.frontend import load_graph
from medyate.codegen.plan import Plan
from medyate.host_tools.device import serial_target
from medyate.host_tools.device.boards import get_board
from medyate.host_tools.commands.train import run_train
from medyate.host_tools.device.device_model import build_device_model
from medyate.host_tools.device.firmware_build import FAKE_MODEL_DIR, build_firmware
from medyate.host_tools.device.qemu import QemuProcess
from toolchain_marks import needs_qemu_and_arm

pytestmark = [
    pytest.mark.qemu,
    needs_qemu_and_arm,
]

SEED = 3
QUIET = Console(quiet=True)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("boards_qemu")
    model = zoo.exported("mbv2_tiny", "torchscript", True, tmp)
    # the model card: `mnist` is then sent as uint8 (a quarter of float32 on the line)
    model.with_suffix(".json").write_text(json.dumps(
        {"input_normalisation": {"mean": [0.1307], "std": [0.3081]}}))
    plan = Plan.all_layers(load_graph(model), budget_bytes=8 * 1024)
    (tmp / "plan.json").write_text(json.dumps(plan.to_dict()))
    return {"tmp": tmp, "model": model, "plan": tmp / "plan.json", "runs": {}}


def train(setup: dict, target: str, name: str | None = None, epochs: int = 2, **options) -> Path:
    run = setup["tmp"] / f"run-{name or target}"
    run_train(setup["model"], setup["plan"], "mnist", target, epochs, "trady", run, lr=0.1,
              batch=5, seed=SEED, train_per_class=1, test_per_class=1, console=QUIET,
              **options)
    return run


def weights(run: Path) -> dict[str, np.ndarray]:
    return {i.name: numpy_helper.to_array(i)
            for i in onnx.load(str(run / "finetuned.onnx")).graph.initializer}


def metrics(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def default_run(setup: dict) -> Path:
    return train(setup, "qemu-mps2-an386")


@pytest.mark.slow
@pytest.mark.parametrize("target, ram", [("qemu-mps2-an500", 320 * 1024),
                                         ("qemu-netduinoplus2", 128 * 1024)])
def test_emulated_boards_train_to_the_default_targets_weights(setup: dict, default_run: Path,
                                                               target: str, ram: int) -> None:
    run = train(setup, target)
    reference, trained = weights(default_run), weights(run)
    assert reference.keys() == trained.keys()
    for key in reference:
        np.testing.assert_array_equal(trained[key], reference[key], err_msg=key)
    memory = json.loads((run / "memory.json").read_text())
    assert memory["measured_peak_sram_bytes"] == (memory["static_ram_bytes"]
                                                  + memory["measured_stack_bytes"])
    assert memory["static_ram_bytes"] + memory["reserved_stack_bytes"] <= ram
    # both count instructions (SysTick x icount): the same C work to within the board code
    ours, theirs = metrics(run), metrics(default_run)
    for mine, default in zip(ours, theirs):
        assert mine["device_counter_unit"].startswith("instructions")
        assert abs(mine["device_instructions"] - default["device_instructions"]) \
            < 0.01 * default["device_instructions"]
    if target == "qemu-netduinoplus2":      # no PSRAM: the STM32F4 USART carried the samples
        assert all(m["data_path"] == "serial" for m in ours)


@pytest.fixture(scope="module")
def serial_build(setup: dict):  # type: ignore[no-untyped-def]
    """The netduinoplus2 board's own firmware, as `--target serial --board netduinoplus2`
    builds it (cached: run_train finds the same build)."""
    graph = load_graph(setup["model"])
    board = get_board("netduinoplus2")
    return build_device_model("serial", setup["model"], Plan.load(setup["plan"]), graph,
                              board=board, baud=board.baud)


def pty_qemu(elf: Path, board: str = "netduinoplus2", extra: tuple[str, ...] = ()) -> QemuProcess:
    return QemuProcess(Path(elf), board=board, serial="pty", extra_args=extra).start()


@pytest.mark.slow
def test_serial_target_on_a_pty_trains_to_the_default_targets_weights(
        setup: dict, default_run: Path, serial_build) -> None:  # type: ignore[no-untyped-def]
    with pty_qemu(serial_build.build.artifact) as qemu:
        assert qemu.pty_path and qemu.pty_path.startswith("/dev/")
        run = train(setup, "serial", "serial", board="netduinoplus2", port=qemu.pty_path)
    reference, trained = weights(default_run), weights(run)
    for key in reference:
        np.testing.assert_array_equal(trained[key], reference[key], err_msg=key)
    summary = json.loads((run / "summary.json").read_text())
    line = summary["serial_line"]
    assert summary["board"] == "netduinoplus2"
    assert line["bytes_sent"] > 2 * 10 * 784 and line["bytes_per_second"] > 0
    assert summary["memory"]["measured_peak_sram_bytes"] > 0
    assert all(m["data_path"] == "serial" and m["device_instructions"] > 0 for m in metrics(run))


# ------------------------------------------------------------------ resilience
def test_missing_port_is_one_line(setup: dict) -> None:
    with pytest.raises(MedyateError, match="cannot open serial port /dev/medyate-no-such-tty"):
        train(setup, "serial", "missing", board="netduinoplus2", port="/dev/medyate-no-such-tty")


def test_silent_line_names_the_baud_rate(setup: dict, serial_build,  # type: ignore[no-untyped-def]
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A board at another baud rate (or not flashed) never answers HELLO intelligibly."""
    monkeypatch.setattr(serial_target, "HELLO_TIMEOUT_S", 0.2)
    master, slave = os.openpty()
    try:
        with pytest.raises(MedyateError, match=r"no answer from .* at 57600 baud"):
            train(setup, "serial", "silent", board="netduinoplus2", port=os.ttyname(slave),
                  baud=57600)
    finally:
        os.close(master)
        os.close(slave)


def test_other_board_and_other_model_are_refused(setup: dict, serial_build) -> None:  # type: ignore[no-untyped-def]
    other_board = build_firmware("qemu-mps2-an386", FAKE_MODEL_DIR, link_runtime=False)
    with pty_qemu(other_board.artifact, board="mps2-an386") as qemu:
        with pytest.raises(MedyateError, match="answers as board 'mps2-an386', not 'netduinoplus2'"):
            train(setup, "serial", "other-board", board="netduinoplus2", port=qemu.pty_path)
    other_model = build_firmware("serial", FAKE_MODEL_DIR, link_runtime=False,
                                 board=get_board("netduinoplus2"))
    with pty_qemu(other_model.artifact) as qemu:
        with pytest.raises(MedyateError, match="runs model .* expected .* flash"):
            train(setup, "serial", "other-model", board="netduinoplus2", port=qemu.pty_path)


def _after_first_epoch(run: Path, action) -> threading.Thread:  # type: ignore[no-untyped-def]
    def watch() -> None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if (run / "metrics.jsonl").is_file() and (run / "metrics.jsonl").read_text().strip():
                action()
                return
            time.sleep(0.02)
    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def _completed_epochs_intact(run: Path, setup: dict) -> None:
    done = metrics(run)
    assert len(done) >= 1 and done[0]["epoch"] == 0
    onnx.checker.check_model(onnx.load(str(run / "finetuned.onnx")))
    assert len((run / "schedules.jsonl").read_text().splitlines()) >= len(done)


def test_a_board_reset_mid_run_is_reloaded_and_the_run_goes_on(  # type: ignore[no-untyped-def]
        setup: dict, serial_build, tmp_path: Path) -> None:
    """The board resets after epoch 0 (QEMU monitor system_reset): the host sees a fresh
    session, reloads the model's weights and retries the epoch once (issue 13)."""
    monitor = tmp_path / "monitor.sock"
    qemu = pty_qemu(serial_build.build.artifact,
                    extra=("-monitor", f"unix:{monitor},server=on,wait=off"))

    def reset() -> None:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(monitor))
            sock.sendall(b"system_reset\n")
            time.sleep(0.2)

    run = setup["tmp"] / "run-reset"
    watcher = _after_first_epoch(run, reset)
    try:
        train(setup, "serial", "reset", epochs=4, board="netduinoplus2", port=qemu.pty_path)
    finally:
        watcher.join(timeout=10)
        qemu.stop()
    assert [m["epoch"] for m in metrics(run)] == [0, 1, 2, 3]
    _completed_epochs_intact(run, setup)


def test_a_port_that_disappears_keeps_completed_epochs(  # type: ignore[no-untyped-def]
        setup: dict, serial_build) -> None:
    qemu = pty_qemu(serial_build.build.artifact)
    run = setup["tmp"] / "run-unplugged"
    watcher = _after_first_epoch(run, qemu.stop)
    try:
        with pytest.raises(MedyateError, match="went away") as caught:
            train(setup, "serial", "unplugged", epochs=6, board="netduinoplus2",
                  port=qemu.pty_path)
    finally:
        watcher.join(timeout=10)
        qemu.stop()
    assert "completed epoch(s) are in" in str(caught.value) and "\n" not in str(caught.value)
    _completed_epochs_intact(run, setup)
