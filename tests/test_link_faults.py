"""`medyate train` on QEMU through a byte-level fault proxy (1% of the bytes dropped or
corrupted), with the link's DEFAULT settings: two epochs finish and the fine-tuned weights
are bit-identical to a clean run of the same seed, for preloaded and streamed samples.

Measured 73 s (preloaded) and 292 s (streamed) on 2 loaded cores, so it runs only with
MEDYATE_LONG_TESTS=1 (bench/link_faults.sh); the CI-sized check with the same defaults is
tests/test_qemu_device.py::test_faulty_link_* on the small fake model."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper
from rich.console import Console

from medyate import PROJECT_ROOT
from medyate.codegen.frontend import load_graph
from medyate.codegen.plan import Plan
from medyate.host_tools.commands import train as train_command
from medyate.host_tools.device.device import Device
from medyate.host_tools.device.faulty_proxy import FaultyProxy
from toolchain_marks import needs_qemu_and_arm

MODEL = Path(PROJECT_ROOT) / "models" / "mbv2_fashion_mnist.onnx"
TARGET = "qemu-mps2-an386"

pytestmark = [
    pytest.mark.qemu,
    needs_qemu_and_arm,
    pytest.mark.skipif(not MODEL.is_file(), reason="shipped model missing"),
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("MEDYATE_LONG_TESTS") != "1",
                       reason="minutes long: set MEDYATE_LONG_TESTS=1 (bench/link_faults.sh)"),
]


@pytest.fixture(scope="module")
def plan_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    graph = load_graph(MODEL)
    full = Plan.all_layers(graph, 32 * 1024)
    path = tmp_path_factory.mktemp("plan") / "plan.json"
    path.write_text(json.dumps(Plan(full.budget_bytes, full.layers[-1:]).to_dict()))
    return path


def weights(rundir: Path) -> dict[str, np.ndarray]:
    model = onnx.load(str(rundir / "finetuned.onnx"))
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


def train(plan_path: Path, rundir: Path, proxy: FaultyProxy | None, preload: bool,
          monkeypatch: pytest.MonkeyPatch) -> list[Device]:
    opened: list[Device] = []

    def opener(artifact: Path, model_hash: str, image: Path | None) -> Device:
        device = Device.open_qemu(artifact, expected_model_hash=model_hash, preload=image,
                                  url_wrapper=proxy.wrap if proxy else None)
        opened.append(device)
        return device

    with monkeypatch.context() as patch:
        patch.setitem(train_command.DEVICE_OPENERS, TARGET, opener)
        if not preload:
            patch.setattr(train_command, "PRELOADING_TARGETS", set())
        train_command.run_train(MODEL, plan_path, "mnist", TARGET, 2, "trady", rundir,
                                lr=0.2, batch=4, seed=5, train_per_class=1, test_per_class=1,
                                console=Console(quiet=True))
    return opened


@pytest.mark.parametrize("preload", [True, False], ids=["preloaded", "streamed"])
def test_two_epochs_through_a_noisy_line_give_the_clean_weights(
        plan_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, preload: bool) -> None:
    train(plan_path, tmp_path / "clean", None, preload, monkeypatch)
    with FaultyProxy(drop_rate=0.005, corrupt_rate=0.005, seed=11) as proxy:
        (device,) = train(plan_path, tmp_path / "noisy", proxy, preload, monkeypatch)
        assert proxy.dropped > 10 and proxy.corrupted > 10
    stats = device.link.stats
    assert stats.failed_attempts > 0 and stats.retransmits > 0
    clean, noisy = weights(tmp_path / "clean"), weights(tmp_path / "noisy")
    assert clean.keys() == noisy.keys()
    for name in clean:
        np.testing.assert_array_equal(noisy[name], clean[name], err_msg=name)
    metrics = [json.loads(line) for line in (tmp_path / "noisy" / "metrics.jsonl").read_text().splitlines()]
    assert [m["data_path"] for m in metrics] == ["psram-preload" if preload else "serial"] * 2
