"""SIGTERM / SIGHUP of `medyate train` act like Ctrl-C (message, last finished epoch kept,
nothing left behind), and an emulator or host firmware dies with its parent even when the
parent is killed outright (SIGKILL)."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import zoo
from medyate.codegen.frontend import load_graph
from medyate.codegen.plan import Plan
from medyate.host_tools.device.firmware_build import build_firmware


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(condition, timeout_s: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


CHILD = """
import sys, time
from pathlib import Path
kind, artifact = sys.argv[1], Path(sys.argv[2])
if kind == "qemu":
    from medyate.host_tools.device.qemu import QemuProcess
    child = QemuProcess(artifact).start().process
else:
    from medyate.host_tools.device.link import PipeTransport
    child = PipeTransport([str(artifact)]).process
print(child.pid, flush=True)
time.sleep(120)
"""


@pytest.mark.parametrize("kind", ["host", pytest.param("qemu", marks=pytest.mark.qemu)])
def test_the_device_process_dies_with_a_killed_parent(kind: str) -> None:
    if kind == "qemu" and (shutil.which("qemu-system-arm") is None
                           or shutil.which("arm-none-eabi-gcc") is None):
        pytest.skip("needs qemu-system-arm and arm-none-eabi-gcc")
    target = "qemu-mps2-an386" if kind == "qemu" else "host"
    artifact = build_firmware(target, link_runtime=False).artifact
    parent = subprocess.Popen([sys.executable, "-c", CHILD, kind, str(artifact)],
                              stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert alive(child)
    parent.kill()   # SIGKILL: no handler, no atexit
    parent.wait()
    assert wait_until(lambda: not alive(child), 10), f"{kind} child {child} outlived its parent"


@pytest.fixture(scope="module")
def setup(zoo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("signals")
    model = zoo.exported("plain_cnn", "torchscript", True, zoo_dir)
    plan = Plan.all_layers(load_graph(model), budget_bytes=24 * 1024)
    (tmp / "plan.json").write_text(json.dumps(plan.to_dict()))
    rng = np.random.default_rng(0)
    np.savez(tmp / "data.npz", x_train=rng.standard_normal((20, 1, 28, 28)).astype(np.float32),
             y_train=rng.integers(0, 10, 20))
    return {"tmp": tmp, "model": model}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_of_train_keep_the_last_epoch(setup: dict, tmp_path: Path,
                                                        sig: signal.Signals) -> None:
    run, temp = tmp_path / "run", tmp_path / "tmp"
    temp.mkdir()
    command = [sys.executable, "-m", "medyate.cli", "train", str(setup["model"]), "--plan",
               str(setup["tmp"] / "plan.json"), "--data", str(setup["tmp"] / "data.npz"),
               "--target", "host", "--epochs", "200", "--policy", "trady", "--run", str(run)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={**os.environ, "TMPDIR": str(temp)})
    try:
        assert wait_until(lambda: (run / "metrics.jsonl").is_file()
                          and (run / "metrics.jsonl").read_text().strip(), 240)
        firmware = [p for p in Path("/proc").iterdir() if p.name.isdigit()
                    and (p / "stat").is_file() and _parent(p) == process.pid]
        process.send_signal(sig)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 128 + int(sig)
    assert f"interrupted ({sig.name})" in err and "Traceback" not in err
    epochs = (run / "metrics.jsonl").read_text().splitlines()
    assert 1 <= len(epochs) < 200
    assert (run / "finetuned.onnx").is_file() and (run / "checkpoint.json").is_file()
    assert json.loads((run / "checkpoint.json").read_text())["epochs_done"] == len(epochs)
    assert not list(tmp_path.glob(".run.*")), "work folders left beside RUNDIR"
    assert not list(temp.iterdir()), "temporary folders left behind"
    assert firmware and all(wait_until(lambda: not alive(int(p.name)), 10) for p in firmware)


def _parent(proc: Path) -> int:
    try:
        return int((proc / "stat").read_text().split(")")[-1].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


@pytest.mark.qemu
def test_a_killed_emulator_is_a_link_error_not_a_traceback() -> None:
    if shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("needs qemu-system-arm and arm-none-eabi-gcc")
    from medyate.host_tools.device.device import Device
    from medyate.host_tools.device.link import LinkError
    elf = build_firmware("qemu-mps2-an386", link_runtime=False).artifact
    with Device.open_qemu(elf) as device:
        device.qemu.process.kill()
        device.qemu.process.wait()
        with pytest.raises(LinkError):
            device.memory_report()
