"""RUNDIR of `medyate train`: never destroyed by a rerun, replayable from config.json, and
resumable after an interruption to exactly the weights of the uninterrupted run."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import zoo
from medyate.cli import main
from medyate.codegen.frontend import load_graph
from medyate.codegen.plan import Plan
from medyate.host_tools.commands.train import run_train
from medyate.host_tools.device.device_training import DeviceTrainer


@pytest.fixture(scope="module")
def setup(zoo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("run_folder")
    model = zoo.exported("plain_cnn", "torchscript", True, zoo_dir)
    graph = load_graph(model)
    plan = Plan.all_layers(graph, budget_bytes=24 * 1024)
    (tmp / "plan.json").write_text(json.dumps(plan.to_dict()))
    rng = np.random.default_rng(0)
    np.savez(tmp / "data.npz", x_train=rng.standard_normal((20, 1, 28, 28)).astype(np.float32),
             y_train=rng.integers(0, 10, 20),
             x_test=rng.standard_normal((6, 1, 28, 28)).astype(np.float32),
             y_test=rng.integers(0, 10, 6))
    return {"tmp": tmp, "model": model}


def args(setup: dict, run: Path, target: str = "reference", epochs: int = 3) -> list[str]:
    return [str(setup["model"]), "--plan", str(setup["tmp"] / "plan.json"), "--data",
            str(setup["tmp"] / "data.npz"), "--target", target, "--epochs", str(epochs),
            "--policy", "trady", "--run", str(run), "--lr", "0.1", "--batch", "6", "--seed", "4"]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def leftovers(folder: Path) -> list[Path]:
    return sorted(folder.parent.glob(f".{folder.name}.*"))


@pytest.fixture(scope="module")
def finished(setup: dict) -> Path:
    run = setup["tmp"] / "finished"
    result = CliRunner().invoke(main, ["train", *args(setup, run)])
    assert result.exit_code == 0, result.output
    # the pictures it names are where the published run has them (they are drawn in the
    # run's work folder, which is gone by now)
    shown = next(line for line in result.output.splitlines() if line.startswith("pictures: "))
    for picture in shown.removeprefix("pictures: ").split(", "):
        assert Path(picture).parent == run and Path(picture).is_file(), shown
    return run


def test_config_json_records_what_replays_the_run(finished: Path, setup: dict) -> None:
    config = json.loads((finished / "config.json").read_text())
    assert config["format"] == "medyate-run-config/1" and config["medyate_version"]
    assert (config["seed"], config["batch"], config["epochs"], config["policy"]) == (4, 6, 3, "trady")
    assert config["lr"]["base"] == 0.1 and config["lr"]["steps_per_epoch"] == 4
    assert 1 <= config["lr"]["warmup_steps"] < config["lr"]["total_steps"] == 12
    assert config["data"].endswith("data.npz") and config["subsample_seed"] == 4
    assert config["target"] == "reference"
    assert all(isinstance(layer["bias"], bool) for layer in config["plan"]["layers"])
    assert len(config["model_sha256"]) == 64
    assert not leftovers(finished)


@pytest.mark.parametrize("extra", [[], ["--policy", "nosuch", "--overwrite"],
                                   ["--lr", "-1", "--overwrite"]])
def test_a_rerun_never_touches_a_finished_run(finished: Path, setup: dict,
                                              extra: list[str]) -> None:
    before = snapshot(finished)
    result = CliRunner().invoke(main, ["train", *args(setup, finished), *extra])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    if not extra:
        assert "--overwrite" in result.output
    assert snapshot(finished) == before
    assert not leftovers(finished)


def test_overwrite_replaces_the_run_whole(finished: Path, setup: dict, tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "stale.txt").write_text("from an older run")
    result = CliRunner().invoke(main, ["train", *args(setup, run, epochs=1), "--overwrite"])
    assert result.exit_code == 0, result.output
    assert not (run / "stale.txt").exists()
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 1
    assert not leftovers(run)


def interrupt_after(monkeypatch: pytest.MonkeyPatch, epochs: int) -> None:
    original = DeviceTrainer.train_epoch

    def train_epoch(self: DeviceTrainer, epoch: int) -> dict:
        if epoch == epochs:
            raise KeyboardInterrupt
        return original(self, epoch)
    monkeypatch.setattr(DeviceTrainer, "train_epoch", train_epoch)


def same_run(resumed: Path, uninterrupted: Path) -> None:
    assert (resumed / "finetuned.onnx").read_bytes() == (uninterrupted / "finetuned.onnx").read_bytes()
    assert (resumed / "schedules.jsonl").read_text() == (uninterrupted / "schedules.jsonl").read_text()
    def measured(key: str) -> bool:   # timings and device counters are measurements
        return any(part in key for part in ("seconds", "second", "nanoseconds", "instructions",
                                            "device_ns", "device_eval_ns", "ns_per"))
    metrics = [[{k: v for k, v in json.loads(line).items() if not measured(k)}
                for line in (run / "metrics.jsonl").read_text().splitlines()]
               for run in (resumed, uninterrupted)]
    assert metrics[0] == metrics[1]


@pytest.fixture(scope="module")
def host_finished(setup: dict) -> Path:
    run = setup["tmp"] / "host-finished"
    result = CliRunner().invoke(main, ["train", *args(setup, run, "host")])
    assert result.exit_code == 0, result.output
    return run


@pytest.mark.parametrize("target,stop", [("reference", 1), ("reference", 2), ("host", 1)])
def test_resume_after_an_interruption_equals_the_uninterrupted_run(
        setup: dict, finished: Path, host_finished: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, target: str, stop: int) -> None:
    uninterrupted = finished if target == "reference" else host_finished
    run = tmp_path / "run"
    with monkeypatch.context() as patch:
        interrupt_after(patch, stop)
        result = CliRunner().invoke(main, ["train", *args(setup, run, target)])
    assert result.exit_code == 130
    assert len((run / "metrics.jsonl").read_text().splitlines()) == stop   # last finished epoch kept
    result = CliRunner().invoke(main, ["train", "--resume", str(run)])
    assert result.exit_code == 0, result.output
    assert "resuming after epoch" in result.output
    same_run(run, uninterrupted)
    assert not leftovers(run)


def test_resume_needs_a_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["train", "--resume", str(tmp_path / "none")])
    assert result.exit_code == 2 and "nothing to resume" in result.output
    result = CliRunner().invoke(main, ["train"])
    assert result.exit_code == 2 and "missing MODEL, --plan" in result.output


def test_a_device_reset_mid_epoch_is_reloaded_and_the_epoch_retried(
        setup: dict, host_finished: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The device reboots in epoch 1 (weights back to the image's, session lost: its next
    answer is ERROR SEQUENCE); the run reloads it, retries the epoch and ends exactly
    like the uninterrupted run."""
    from medyate.host_tools.device.device import Device
    original, calls = Device.train_batch, {"n": 0}

    def train_batch(self: Device, *a, **k):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 6:          # epoch 1, second batch (4 batches per epoch)
            self.reset_weights()     # what a reboot does to the weights ...
            self.link._seq += 7      # ... and to the session: our next seq is unknown
        return original(self, *a, **k)
    monkeypatch.setattr(Device, "train_batch", train_batch)
    run = tmp_path / "run"
    result = CliRunner().invoke(main, ["train", *args(setup, run, "host")])
    assert result.exit_code == 0, result.output
    assert "the device reset" in result.output
    same_run(run, host_finished)
