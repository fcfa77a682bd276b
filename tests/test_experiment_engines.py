"""Sweep engines: the process pool and Ray give the same rows; a killed sweep resumes
with only the missing runs; a failing run is recorded and the sweep goes on."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from medyate.cli import main

TIMING_FIELDS = {"seconds"}


def tiny_config(tmp_path: Path, **overrides: Any) -> Path:
    config = {"policies": ["trady", "medyate", "static-random"], "budgets": ["4KiB"],
              "seeds": [0, 1], "epochs": 1, "batch_size": 8, "lr": 0.05, "rank": {"batches": 2, "batch_size": 8},
              "tasks": [{"model": "models/cnn4_mnist.onnx", "target": "animal-mnist",
                         "per_class": 2, "test_per_class": 3}], **overrides}
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(config))
    return path


def rows(out: Path) -> dict[str, dict[str, Any]]:
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    return {r["run_key"]: {k: v for k, v in r.items() if k not in TIMING_FIELDS}
            for r in records}


def sweep(config: Path, out: Path, *extra: str) -> str:
    result = CliRunner().invoke(main, ["experiment", str(config), "--jobs", "2", "--out",
                                       str(out), *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_ray_and_the_process_pool_give_identical_rows(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    config = tiny_config(tmp_path)
    sweep(config, tmp_path / "local")
    sweep(config, tmp_path / "ray", "--engine", "ray")
    local, on_ray = rows(tmp_path / "local"), rows(tmp_path / "ray")
    assert len(local) == 6 and all(r["status"] == "ok" for r in local.values())
    assert local == on_ray
    assert (tmp_path / "ray" / "results.md").exists()


def test_a_killed_sweep_reruns_only_the_missing_runs(tmp_path: Path) -> None:
    config = tiny_config(tmp_path)
    out = tmp_path / "out"
    sweep(config, out)
    complete = rows(out)
    journal = out / "results.jsonl"
    lines = journal.read_text().splitlines()
    # as if killed after 2 runs, halfway through writing the third line
    journal.write_text("\n".join(lines[:2]) + "\n" + lines[2][: len(lines[2]) // 2])
    kept = {json.loads(line)["run_key"]: json.loads(line) for line in lines[:2]}
    sweep(config, out)
    resumed = [json.loads(line) for line in journal.read_text().splitlines()]
    assert len(resumed) == 6     # the journal appends once per run: 4 ran again
    # the two finished runs were kept verbatim (same timing: not rerun)
    for key, record in kept.items():
        assert next(r for r in resumed if r["run_key"] == key) == record
    assert rows(out) == complete
    # a rerun of a finished sweep runs nothing; --fresh runs everything again
    before = journal.read_text()
    sweep(config, out)
    assert journal.read_text() == before
    sweep(config, out, "--fresh")
    assert rows(out) == complete and journal.read_text() != before


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy("models/cnn4_mnist.onnx", models / "cnn4_mnist.onnx")
    shutil.copy("models/cnn4_mnist.json", models / "cnn4_mnist.json")
    config = tiny_config(tmp_path, policies=["trady"], seeds=[0],
                         tasks=[{"model": str(models / "cnn4_mnist.onnx"),
                                 "target": "animal-mnist", "per_class": 2,
                                 "test_per_class": 3}])
    out = tmp_path / "out"
    sweep(config, out)     # ranks and trains
    (models / "cnn4_mnist.json").write_text("{}")   # the card loses its normalisation
    (out / "results.jsonl").unlink()
    output = sweep(config, out)
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["status"] for r in records] == ["failed"]
    assert "DataError" in records[0]["error"] and "failed:" in output
    assert "1 failed" in output


def test_engine_errors_are_one_line(tmp_path: Path) -> None:
    config = tiny_config(tmp_path)
    result = CliRunner().invoke(main, ["experiment", str(config), "--address", "1.2.3.4:1",
                                       "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "--address needs --engine ray" in result.output
    result = CliRunner().invoke(main, ["experiment", str(config), "--engine", "spark"])
    assert result.exit_code == 2 and "Traceback" not in result.output


@pytest.mark.qemu
def test_a_device_in_the_loop_sweep_runs_on_both_engines(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    config = tiny_config(tmp_path, policies=["trady"], seeds=[0], target="qemu-mps2-an386",
                         tasks=[{"model": "models/mbv2_mnist.onnx", "target": "animal-mnist",
                                 "per_class": 2, "test_per_class": 3}])
    sweep(config, tmp_path / "local")
    sweep(config, tmp_path / "ray", "--engine", "ray")
    local, on_ray = rows(tmp_path / "local"), rows(tmp_path / "ray")
    (record,) = local.values()
    assert record["status"] == "ok" and record["device"] == "qemu-mps2-an386"
    assert record["measured_peak_sram_bytes"] > record["memory_compile_time"]["arena_bytes"]
    assert local == on_ray


@pytest.mark.parametrize("token_file, token_env, mode_before, mode_after", [
    (True, None, None, "token"),        # the cluster's token saved by `ray start`
    (False, "s3cret", None, "token"),   # the token given in the environment
    (False, None, None, None),          # no token anywhere: leave Ray's default
    (True, None, "disabled", "disabled"),  # the user's explicit choice wins
])
def test_joining_a_cluster_sends_its_auth_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                token_file: bool, token_env: str | None,
                                                mode_before: str | None, mode_after: str | None) -> None:
    from medyate.host_tools.experiments.experiment_engines import _send_auth_token

    monkeypatch.setenv("HOME", str(tmp_path))
    for name, value in (("RAY_AUTH_TOKEN", token_env), ("RAY_AUTH_MODE", mode_before)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    if token_file:
        (tmp_path / ".ray").mkdir()
        (tmp_path / ".ray" / "auth_token").write_text("0" * 64)
    _send_auth_token()
    assert os.environ.get("RAY_AUTH_MODE") == mode_after


def test_a_cluster_running_other_code_is_refused_in_one_line() -> None:
    """Ray workers import their node's medyate: a stale cluster is named, not trusted."""
    from medyate.codegen.errors import MedyateError
    from medyate.host_tools.experiments.experiment_engines import check_cluster_code
    from medyate.host_tools.experiments.experiment_journal import code_version

    check_cluster_code(code_version(), "10.0.0.5:6379")   # same code: accepted
    with pytest.raises(MedyateError, match=r"10\.0\.0\.5:6379 runs other medyate code .*install the same"):
        check_cluster_code("0" * 64, "10.0.0.5:6379")


def test_an_unreachable_cluster_is_named_at_once(tmp_path: Path) -> None:
    """ray.init retries an address nothing answers on forever; the sweep says so instead."""
    import socket
    import time

    with socket.socket() as probe:      # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    result = CliRunner().invoke(main, ["experiment", str(tiny_config(tmp_path)), "--engine", "ray",
                                       "--address", f"127.0.0.1:{port}", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert f"cannot reach the Ray cluster at 127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output and time.monotonic() - started < 60
