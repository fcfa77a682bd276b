"""`medyate train` on QEMU end to end: it learns, writes every run file, the fine-tuned
ONNX reproduces the device's logits in onnxruntime, and failures leave no QEMU behind."""
from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from rich.console import Console

from medyate import PROJECT_ROOT
from medyate.codegen.errors import MedyateError
from medyate.codegen.frontend import load_graph
from medyate.codegen.plan import Plan
from medyate.host_tools.commands import train as train_command
from medyate.host_tools.device.device import Device
from medyate.host_tools.device.device_model import build_device_model
from medyate.host_tools.device.device_training import DeviceTrainer, TrainConfig
from medyate.host_tools.selection.ranking import layer_specs
from medyate.host_tools.selection.policies import make_policy
from medyate.host_tools.device.protocol import SampleEncoding
from medyate.host_tools.runs.run_files import RunFiles
from toolchain_marks import needs_qemu_and_arm

MODEL = Path(PROJECT_ROOT) / "models" / "mbv2_fashion_mnist.onnx"
TARGET = "qemu-mps2-an386"

pytestmark = [
    pytest.mark.qemu,
    needs_qemu_and_arm,
    pytest.mark.skipif(not MODEL.is_file(), reason="shipped model missing"),
]


def qemu_running(artifact: Path) -> bool:
    return subprocess.run(["pgrep", "-f", str(artifact)], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def plan_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    graph = load_graph(MODEL)
    full = Plan.all_layers(graph, 32 * 1024)
    path = tmp_path_factory.mktemp("plan") / "plan.json"
    path.write_text(json.dumps(Plan(full.budget_bytes, full.layers[-6:]).to_dict()))
    return path


@pytest.fixture(scope="module")
def built(plan_path: Path):  # type: ignore[no-untyped-def]
    graph = load_graph(MODEL)
    return graph, build_device_model(TARGET, MODEL, Plan.load(plan_path), graph)


def test_two_epochs_improve_accuracy_and_write_run_files(plan_path: Path, tmp_path: Path) -> None:
    rundir = tmp_path / "run"
    summary = train_command.run_train(MODEL, plan_path, "mnist", TARGET, 2, "trady", rundir,
                                      lr=0.3, batch=8, train_per_class=15, test_per_class=10,
                                      console=Console(quiet=True), pictures=True)
    metrics = [json.loads(line) for line in (rundir / "metrics.jsonl").read_text().splitlines()]
    assert [m["epoch"] for m in metrics] == [0, 1]
    for m in metrics:
        assert m["samples"] == 150 and m["device_instructions"] > 0
        assert "instructions" in m["device_counter_unit"]
        assert m["sample_encoding"].startswith("uint8")
    assert summary.initial_test_accuracy is not None
    assert metrics[-1]["test_accuracy"] > summary.initial_test_accuracy + 0.03
    schedules = [json.loads(line) for line in (rundir / "schedules.jsonl").read_text().splitlines()]
    assert [s["epoch"] for s in schedules] == [0, 1]
    assert all(s["format"] == "medyate-schedule/1" and 0 < s["cost_bytes"] <= 32 * 1024
               for s in schedules)
    memory = json.loads((rundir / "memory.json").read_text())
    assert memory["measured_peak_sram_bytes"] == memory["static_ram_bytes"] + memory["measured_stack_bytes"]
    assert memory["arena_lower_bound_bytes"] <= memory["arena_bytes"]
    assert memory["static_ram_bytes"] + memory["reserved_stack_bytes"] <= 320 * 1024
    assert (rundir / "finetuned.onnx").is_file()
    # the whole-device breakdown: predicted >= linked per region, the device's measurement
    device = memory["device_memory"]
    assert device["measured"]["sram_peak_bytes"] == memory["measured_peak_sram_bytes"]
    assert device["linked"]["sram_bytes"] == memory["static_ram_bytes"] + memory["reserved_stack_bytes"]
    for row in device["regions"]:
        assert row["predicted_bytes"] >= row["linked_bytes"], row
    stack = next(r for r in device["regions"] if r["region"] == "stack")
    assert stack["measured_bytes"] == memory["measured_stack_bytes"]
    for picture in ("memory.png", "curves.png"):
        assert (rundir / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_finetuned_onnx_gives_the_device_logits(built, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    graph, device_model = built
    data = train_command.load_train_data("mnist", MODEL, (1, 28, 28), seed=1,
                                         train_per_class=4, test_per_class=2)
    config = TrainConfig(epochs=1, lr=0.1, batch=8, seed=1)
    run = RunFiles(tmp_path)
    policy = make_policy("medyate", layer_specs(graph, device_model.layers), 32 * 1024, 1)
    with Device.open_qemu(device_model.build.artifact,
                          expected_model_hash=device_model.model_hash) as device:
        DeviceTrainer(device, model=MODEL, graph=graph, layers=device_model.layers, policy=policy,
                      policy_name="medyate", data=data, config=config, run=run, preloaded=False,
                      console=Console(quiet=True)).train()
        device_logits = device.evaluate(data.x_test, data.y_test, return_logits=True).logits
        # the uint8 path (1 byte per pixel, normalised on the device) gives the same logits
        assert data.u8 is not None
        u8_logits = device.evaluate(data.u8.x_test, data.y_test, return_logits=True,
                                    encoding=SampleEncoding.U8).logits
    np.testing.assert_allclose(u8_logits, device_logits, rtol=1e-4, atol=1e-4)
    session = ort.InferenceSession(str(run.finetuned), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    onnx_logits = np.concatenate([session.run(None, {name: x[None]})[0] for x in data.x_test])
    pretrained = ort.InferenceSession(str(MODEL), providers=["CPUExecutionProvider"])
    before = np.concatenate([pretrained.run(None, {name: x[None]})[0] for x in data.x_test])
    assert np.abs(onnx_logits - before).max() > 1e-3        # the weights did change
    np.testing.assert_allclose(onnx_logits, device_logits, rtol=1e-3, atol=1e-3)


def test_schedule_over_the_pool_is_a_clear_error(built, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    graph, device_model = built
    data = train_command.load_train_data("mnist", MODEL, (1, 28, 28), seed=0,
                                         train_per_class=1, test_per_class=None)
    greedy = make_policy("trady", layer_specs(graph, device_model.layers), 4 * 32 * 1024, 0)
    with Device.open_qemu(device_model.build.artifact) as device:
        trainer = DeviceTrainer(device, model=MODEL, graph=graph, layers=device_model.layers,
                                policy=greedy, policy_name="trady", data=data,
                                config=TrainConfig(1), run=RunFiles(tmp_path), preloaded=False,
                                console=Console(quiet=True))
        with pytest.raises(MedyateError, match="refused the schedule.*channel pool holds 32768"):
            trainer.set_schedule(0)
    assert not qemu_running(device_model.build.artifact)


def test_model_hash_mismatch_is_a_clear_error(built, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, device_model = built
    wrong = dataclasses.replace(device_model, model_hash="0" * 16)
    data = train_command.load_train_data("mnist", MODEL, (1, 28, 28), seed=0,
                                         train_per_class=1, test_per_class=None)
    with pytest.raises(MedyateError, match="expected '0000000000000000'"):
        train_command.open_device(TARGET, wrong, data, TrainConfig(1), tmp_path,
                                  Console(quiet=True))
    assert not qemu_running(device_model.build.artifact)


def test_silent_device_is_a_clear_error(built, plan_path: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    _, device_model = built
    frozen = lambda artifact, model_hash, preload: Device.open_qemu(  # noqa: E731
        artifact, expected_model_hash=model_hash, qemu_args=["-S"], timeout_s=0.3, max_attempts=2)
    monkeypatch.setitem(train_command.DEVICE_OPENERS, TARGET, frozen)
    with pytest.raises(MedyateError, match="does not answer"):
        train_command.run_train(MODEL, plan_path, "mnist", TARGET, 1, "trady", tmp_path / "run",
                                train_per_class=1, console=Console(quiet=True))
    assert not qemu_running(device_model.build.artifact)
