"""--board/--port/--baud/--flash on train and grad: option mismatches are one line, exit
2, refused before anything is built; the line-failure messages name what happened."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import serial
from click.testing import CliRunner

from medyate import PROJECT_ROOT
from medyate.cli import main
from medyate.host_tools.device.link import DeviceErrorReply, LinkTimeout
from medyate.host_tools.device.protocol import DeviceError, ErrorCode
from medyate.host_tools.device.serial_target import describe_line_failure

MODEL = Path(PROJECT_ROOT) / "models" / "cnn4_mnist.onnx"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("serial_options")
    plan = tmp / "plan.json"
    plan.write_text(json.dumps({"format": "medyate-plan/1", "budget_bytes": 4096, "layers": []}))
    np.save(tmp / "x.npy", np.zeros((1, 1, 28, 28), np.float32))
    np.save(tmp / "y.npy", np.zeros(1, np.int64))
    return {"plan": plan, "x": tmp / "x.npy", "y": tmp / "y.npy", "run": tmp / "run"}


@pytest.mark.parametrize("args, message", [
    (["--target", "serial"], "--target serial needs --board BOARD and --port PORT"),
    (["--target", "serial", "--board", "nucleo-f446re"], "needs --board BOARD and --port"),
    (["--target", "qemu-mps2-an386", "--port", "/dev/ttyACM0"], "apply to --target serial only"),
    (["--target", "qemu-mps2-an386", "--flash"], "apply to --target serial only"),
    (["--target", "host", "--board", "nucleo-f446re"], "--board applies to QEMU and serial"),
    (["--target", "serial", "--board", "nope", "--port", "/dev/x"], "unknown board 'nope'"),
])
def test_train_option_errors_are_one_line(files: dict[str, Path], args: list[str],
                                          message: str) -> None:
    result = CliRunner().invoke(main, ["train", str(MODEL), "--plan", str(files["plan"]),
                                       "--data", "mnist", "--epochs", "1", "--policy", "trady",
                                       "--run", str(files["run"]), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and result.output.count("\n") == 1
    assert not files["run"].exists()


@pytest.mark.parametrize("args, message", [
    (["--target", "host", "--board", "nucleo-f446re"], "apply to device targets"),
    (["--target", "serial", "--board", "nucleo-f446re"], "needs --board BOARD and --port"),
])
def test_grad_option_errors_are_one_line(files: dict[str, Path], tmp_path: Path,
                                         args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["grad", str(MODEL), "--plan", str(files["plan"]),
                                       "--inputs", str(files["x"]), "--labels", str(files["y"]),
                                       "-o", str(tmp_path / "g.npz"), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and result.output.count("\n") == 1


@pytest.mark.parametrize("error, expected", [
    (DeviceErrorReply(DeviceError(int(ErrorCode.SEQUENCE), 0, 0, ())), "reset during the run"),
    (serial.SerialException("read failed: [Errno 5] Input/output error"), "went away"),
    (LinkTimeout("no valid reply"), "stopped answering"),
])
def test_line_failures_say_what_happened_and_where_the_epochs_are(error: Exception,
                                                                   expected: str) -> None:
    text = describe_line_failure(error, "/dev/ttyACM0", 2, "runs/x")
    assert expected in text and "the 2 completed epoch(s) are in runs/x" in text
