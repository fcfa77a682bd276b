"""Bad input through the real CLI (issue 13 item 2, issue 17 item 3): every broken model,
plan, schedule, ranking, data file, model card, experiment config and CLI value below
exits with status 2 and ONE line on stderr naming the file and the field, never a
traceback, and writes no output."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
from click.testing import CliRunner

from hostile_models import ROLES, save, tiny_model, tiny_plan
from medyate.cli import main

NAMES = list(ROLES)          # plain names: conv_w, gemm_w, ...
BIG = "9" * 400


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    t = tmp_path_factory.mktemp("validation")
    save(tiny_model(NAMES), t / "tiny.onnx")
    (t / "plan.json").write_text(json.dumps(tiny_plan(NAMES)))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 1, 6, 6)).astype(np.float32)
    y = rng.integers(0, 3, 8)
    np.savez(t / "data.npz", x_train=x, y_train=y, x_test=x[:4], y_test=y[:4])
    np.save(t / "x.npy", x[:2])
    np.save(t / "y.npy", y[:2])
    (t / "a_file").write_text("not a folder")
    return t


def _write(path: Path, content: Any) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content)
    else:
        path.write_text(json.dumps(content))
    return path


def _plan(**changes: Any) -> dict:
    plan = tiny_plan(NAMES)
    plan.update(changes)
    return plan


def _layer(**changes: Any) -> dict:
    return _plan(layers=[{"weight": "conv_w", "bias": True, **changes}])


def _sched(channels: Any = None, **changes: Any) -> dict:
    doc: dict[str, Any] = {"format": "medyate-schedule/1", "epoch": 0,
                           "channels": {"conv_w": [0]} if channels is None else channels}
    doc.update(changes)
    return doc


def _npz(path: Path, **arrays: Any) -> Path:
    np.savez(path, **arrays)
    return path


def _good_arrays(n: int = 4) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    return {"x_train": rng.standard_normal((n, 1, 6, 6)).astype(np.float32),
            "y_train": rng.integers(0, 3, n)}


def _with(**changes: Any) -> dict[str, np.ndarray]:
    arrays = _good_arrays()
    arrays.update(changes)
    return arrays


def _nan_pixels() -> dict[str, np.ndarray]:
    arrays = _good_arrays()
    arrays["x_train"][2, 0, 3, 3] = np.nan
    return arrays


def _truncated_npz(path: Path) -> Path:
    _npz(path.with_suffix(".full.npz"), **_good_arrays())
    path.write_bytes(path.with_suffix(".full.npz").read_bytes()[:300])
    return path


def _object_npz(path: Path) -> Path:
    arrays = _good_arrays()
    np.savez(path, x_train=np.array([{"a": 1}, None], dtype=object), y_train=arrays["y_train"][:2],
             allow_pickle=True)
    return path


def _empty_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w"):
        pass
    return path


def _bad_name_model(path: Path, role: str) -> Path:
    good = tiny_model(NAMES).SerializeToString()
    name = role.encode()
    path.write_bytes(good.replace(name, b"\xff" * len(name)))
    return path


# ----------------------------------------------------------------- the corpus
# (case id, command builder (workspace, tmp) -> argv, text the one line must contain)
Case = tuple[str, Callable[[Path, Path], list[str]], str]


def compile_plan(content: Any) -> Callable[[Path, Path], list[str]]:
    return lambda ws, t: ["compile", str(ws / "tiny.onnx"), "--plan", str(_write(t / "p.json", content)),
                          "--target", "host", "-o", str(t / "out")]


def grad_schedule(content: Any) -> Callable[[Path, Path], list[str]]:
    return lambda ws, t: ["grad", str(ws / "tiny.onnx"), "--plan", str(ws / "plan.json"),
                          "--schedule", str(_write(t / "s.json", content)),
                          "--inputs", str(ws / "x.npy"), "--labels", str(ws / "y.npy"),
                          "-o", str(t / "out.npz")]


def grad_arrays(x: Any = None, y: Any = None) -> Callable[[Path, Path], list[str]]:
    def argv(ws: Path, t: Path) -> list[str]:
        xs = ws / "x.npy" if x is None else x(t)
        ys = ws / "y.npy" if y is None else y(t)
        return ["grad", str(ws / "tiny.onnx"), "--plan", str(ws / "plan.json"), "--inputs", str(xs),
                "--labels", str(ys), "-o", str(t / "out.npz")]
    return argv


def npy(array: Any, name: str = "a.npy", **kw: Any) -> Callable[[Path], Path]:
    def make(t: Path) -> Path:
        np.save(t / name, array, **kw)
        return t / name
    return make


def train(data: Callable[[Path], Path] | None, *extra: str, epochs: str = "1") -> Callable[[Path, Path], list[str]]:
    """train on the reference target (data None: the valid workspace data)."""
    def argv(ws: Path, t: Path) -> list[str]:
        d = str(ws / "data.npz") if data is None else str(data(t))
        return ["train", str(ws / "tiny.onnx"), "--plan", str(ws / "plan.json"), "--data", d,
                "--target", "reference", "--epochs", epochs, "--policy", "full",
                "--run", str(t / "run"), *extra]
    return argv


def train_data(**arrays: Any) -> Callable[[Path, Path], list[str]]:
    return train(lambda t: _npz(t / "d.npz", **arrays))


def model_case(make: Callable[[Path], Path], command: str = "import") -> Callable[[Path, Path], list[str]]:
    def argv(ws: Path, t: Path) -> list[str]:
        model = str(make(t))
        if command == "import":
            return ["import", model]
        if command == "plan":
            return ["plan", model, "--budget", "4KiB", "-o", str(t / "out.json")]
        return ["compile", model, "--plan", str(ws / "plan.json"), "--target", "host", "-o", str(t / "out")]
    return argv


def card_case(card: Any) -> Callable[[Path, Path], list[str]]:
    def argv(ws: Path, t: Path) -> list[str]:
        save(tiny_model(NAMES), t / "carded.onnx")
        _write(t / "carded.json", card)
        return ["train", str(t / "carded.onnx"), "--plan", str(ws / "plan.json"), "--data", "mnist",
                "--target", "reference", "--epochs", "1", "--policy", "full", "--run", str(t / "run")]
    return argv


def plan_ranking(content: Any) -> Callable[[Path, Path], list[str]]:
    return lambda ws, t: ["plan", str(ws / "tiny.onnx"), "--budget", "4KiB", "--ranking",
                          str(_write(t / "r.json", content)), "-o", str(t / "out.json")]


def experiment(content: Any) -> Callable[[Path, Path], list[str]]:
    return lambda ws, t: ["experiment", str(_write(t / "e.json", content)), "--out", str(t / "out")]


GOOD_RANKING = {"format": "medyate-ranking/1", "stats": {"conv_w": [0.1], "gemm_w": [0.1] * 32},
                "layers": []}
GOOD_EXPERIMENT = {"policies": ["trady"], "budgets": ["4KiB"], "seeds": [0], "epochs": 1,
                   "tasks": [{"model": "models/cnn4_mnist.onnx", "target": "mnist", "per_class": 2}]}
GOOD_CARD = {"format": "medyate-model-card/1", "input_normalisation": {"mean": [0.1], "std": [0.3]}}


def _card(**norm: Any) -> dict:
    return {**GOOD_CARD, "input_normalisation": {**GOOD_CARD["input_normalisation"], **norm}}


CASES: list[Case] = [
    # --- models
    ("model-garbage", model_case(lambda t: _write(t / "g.onnx", bytes(range(256)) * 7)), "cannot read ONNX model"),
    ("model-truncated", model_case(lambda t: _write(t / "t.onnx", tiny_model(NAMES).SerializeToString()[:150])), "t.onnx"),
    ("model-empty-file", model_case(lambda t: _write(t / "e.onnx", b""), "plan"), "e.onnx"),
    ("model-non-utf8-node", model_case(lambda t: _bad_name_model(t / "n.onnx", "relu_node")), "not valid UTF-8"),
    ("model-non-utf8-init-plan", model_case(lambda t: _bad_name_model(t / "i.onnx", "gemm_b"), "plan"), "not valid UTF-8"),
    ("model-non-utf8-tensor-compile", model_case(lambda t: _bad_name_model(t / "c.onnx", "flat_out"), "compile"), "not valid UTF-8"),
    ("model-is-directory", model_case(lambda t: t), "is a directory"),
    # --- plans (issue 17: "bias": "false" and friends)
    ("plan-bias-string", compile_plan(_layer(bias="false")), "layers[0].bias"),
    ("plan-bias-null", compile_plan(_layer(bias=None)), "layers[0].bias"),
    ("plan-bias-int", compile_plan(_layer(bias=1)), "layers[0].bias"),
    ("plan-weight-list", compile_plan(_layer(weight=["conv_w"])), "layers[0].weight"),
    ("plan-weight-missing", compile_plan(_plan(layers=[{"bias": True}])), "layers[0].weight"),
    ("plan-layers-object", compile_plan(_plan(layers={"weight": "conv_w"})), "layers"),
    ("plan-layers-missing", compile_plan({"format": "medyate-plan/1", "budget_bytes": 1}), "layers"),
    ("plan-layers-empty", compile_plan(_plan(layers=[])), "no layer"),
    ("plan-duplicate-layer", compile_plan(_plan(layers=[{"weight": "conv_w"}, {"weight": "conv_w"}])), "twice"),
    ("plan-duplicate-key", compile_plan('{"format": "medyate-plan/1", "layers": [{"weight": "conv_w", "bias": true, "bias": false}]}'), "'bias' appears twice"),
    ("plan-budget-string", compile_plan(_plan(budget_bytes="4096")), "budget_bytes"),
    ("plan-budget-float", compile_plan(_plan(budget_bytes=4096.5)), "budget_bytes"),
    ("plan-budget-negative", compile_plan(_plan(budget_bytes=-1)), "budget_bytes"),
    ("plan-budget-huge", compile_plan(f'{{"format": "medyate-plan/1", "budget_bytes": {BIG}, "layers": []}}'), "budget_bytes"),
    ("plan-format", compile_plan(_plan(format="medyate-plan/9")), "format"),
    ("plan-unknown-weight", compile_plan(_layer(weight="nope")), "nope"),
    ("plan-unknown-weight-newline", compile_plan(_layer(weight="no\nsuch\r\u2028")), "no\\nsuch\\r\\u2028"),
    ("plan-not-object", compile_plan([1, 2]), "JSON object"),
    ("plan-invalid-json", compile_plan('{"format": '), "not valid JSON"),
    ("plan-nan", compile_plan('{"format": "medyate-plan/1", "budget_bytes": NaN, "layers": []}'), "NaN"),
    ("plan-non-utf8", compile_plan(b'{"format": "medyate-plan/1", "layers": [{"weight": "\xff\xfe"}]}'), "not UTF-8"),
    ("plan-missing", lambda ws, t: ["compile", str(ws / "tiny.onnx"), "--plan", str(t / "none.json"), "-o", str(t / "o")], "not found"),
    ("plan-directory", lambda ws, t: ["compile", str(ws / "tiny.onnx"), "--plan", str(t), "-o", str(t / "o")], "directory"),
    # --- schedules (issue 17: channel 1.7 and true)
    ("sched-channel-float", grad_schedule(_sched({"conv_w": [1.7]})), "channels.conv_w[0]"),
    ("sched-channel-true", grad_schedule(_sched({"conv_w": [True]})), "channels.conv_w[0]"),
    ("sched-channel-integral-float", grad_schedule(_sched({"conv_w": [0.0]})), "channels.conv_w[0]"),
    ("sched-channel-string", grad_schedule(_sched({"conv_w": ["0"]})), "channels.conv_w[0]"),
    ("sched-channels-number", grad_schedule(_sched({"conv_w": 3})), "channels.conv_w"),
    ("sched-channels-null", grad_schedule(_sched({"conv_w": None})), "channels.conv_w"),
    ("sched-channels-list", grad_schedule(_sched([0, 1])), "channels"),
    ("sched-name-list", grad_schedule('{"format": "medyate-schedule/1", "channels": [["conv_w", [0]]]}'), "channels"),
    ("sched-output-channels-list", grad_schedule(_sched(output_channels=[0])), "output_channels"),
    ("sched-negative", grad_schedule(_sched({"conv_w": [-1]})), "channels.conv_w[0]"),
    ("sched-duplicate", grad_schedule(_sched({"conv_w": [0, 0]})), "twice"),
    ("sched-out-of-range", grad_schedule(_sched({"gemm_w": [32]})), "out of range"),
    ("sched-unknown-weight", grad_schedule(_sched({"nope": [0]})), "nope"),
    ("sched-epoch-string", grad_schedule(_sched(epoch="0")), "epoch"),
    ("sched-epoch-negative", grad_schedule(_sched(epoch=-1)), "epoch"),
    ("sched-format", grad_schedule(_sched(format=None)), "format"),
    ("sched-non-utf8", grad_schedule(b'{"format": "medyate-schedule/1", "channels": {"\xc3": [0]}}'), "not UTF-8"),
    ("sched-huge-channel", grad_schedule(f'{{"format": "medyate-schedule/1", "channels": {{"conv_w": [{BIG}]}}}}'), "channels.conv_w[0]"),
    # --- grad inputs/labels
    ("grad-inputs-npz", grad_arrays(x=lambda t: _npz(t / "x.npz", x=np.zeros((2, 1, 6, 6), np.float32))), ".npz archive"),
    ("grad-inputs-nan", grad_arrays(x=npy(np.full((2, 1, 6, 6), np.nan, np.float32))), "NaN"),
    ("grad-inputs-inf", grad_arrays(x=npy(np.full((2, 1, 6, 6), np.inf, np.float32))), "inf"),
    ("grad-inputs-object", grad_arrays(x=npy(np.array([None, {}], dtype=object), allow_pickle=True)), "object arrays"),
    ("grad-inputs-strings", grad_arrays(x=npy(np.array(["a", "b"]))), "real numbers"),
    ("grad-inputs-garbage", grad_arrays(x=lambda t: _write(t / "g.npy", b"\x93NUMPY garbage")), "cannot read inputs"),
    ("grad-inputs-empty", grad_arrays(x=npy(np.zeros((0, 1, 6, 6), np.float32))), "no samples"),
    ("grad-inputs-wrong-shape", grad_arrays(x=npy(np.zeros((2, 3, 6, 6), np.float32))), "shape"),
    ("grad-labels-range", grad_arrays(y=npy(np.array([0, 3]))), "out of range"),
    ("grad-labels-huge", grad_arrays(y=npy(np.array([0, 70000]))), "out of range"),
    ("grad-labels-fraction", grad_arrays(y=npy(np.array([0.5, 1.0]))), "integers"),
    ("grad-labels-missing", grad_arrays(y=lambda t: t / "none.npy"), "not found"),
    # --- DATA .npz (train)
    ("data-not-zip", train(lambda t: _write(t / "d.npz", b"this is not a zip")), "cannot read data"),
    ("data-empty-file", train(lambda t: _write(t / "d.npz", b"")), "d.npz"),
    ("data-empty-zip", train(lambda t: _empty_zip(t / "d.npz")), "lacks"),
    ("data-truncated", train(lambda t: _truncated_npz(t / "d.npz")), "d.npz"),
    ("data-object-arrays", train(lambda t: _object_npz(t / "d.npz")), "object arrays"),
    ("data-no-samples", train_data(x_train=np.zeros((0, 1, 6, 6), np.float32), y_train=np.zeros(0, np.int64)), "no samples"),
    ("data-nan-pixels", train_data(**_nan_pixels()), "NaN"),
    ("data-labels-out-of-range", train_data(**_with(y_train=np.array([0, 1, 2, 3]))), "out of range"),
    ("data-labels-beyond-uint16", train_data(**_with(y_train=np.array([0, 1, 2, 65536]))), "65535"),
    ("data-labels-negative", train_data(**_with(y_train=np.array([0, -1, 2, 1]))), "out of range"),
    ("data-labels-float", train_data(**_with(y_train=np.array([0.0, 1.0, 2.0, 1.0]))), "integers"),
    ("data-labels-count", train_data(**_with(y_train=np.array([0, 1]))), "y_train"),
    ("data-x-3d", train_data(**_with(x_train=np.zeros((4, 6, 6), np.float32))), "x_train"),
    ("data-x-strings", train_data(**_with(x_train=np.full((4, 1, 6, 6), "a"))), "real numbers"),
    ("data-test-without-labels", train_data(**_with(x_test=np.zeros((2, 1, 6, 6), np.float32))), "x_test and y_test"),
    ("data-wrong-sample-shape", train_data(**_with(x_train=np.zeros((4, 1, 5, 5), np.float32))), "the model takes"),
    ("data-directory", train(lambda t: (t / "dir.npz").mkdir() or t / "dir.npz"), "directory"),
    # --- model cards (a raw named dataset needs the card)
    ("card-invalid-json", card_case("{not json"), "model card"),
    ("card-missing-std", card_case({**GOOD_CARD, "input_normalisation": {"mean": [0.1]}}), "input_normalisation.std"),
    ("card-std-zero", card_case(_card(std=[0.0])), "input_normalisation.std"),
    ("card-std-string", card_case(_card(std="0.3")), "input_normalisation.std"),
    ("card-mean-bool", card_case(_card(mean=True)), "input_normalisation.mean"),
    ("card-not-object", card_case([1]), "model card"),
    ("card-non-utf8", card_case(b'{"name": "\xff"}'), "not UTF-8"),
    # --- rankings
    ("ranking-stats-string", plan_ranking({**GOOD_RANKING, "stats": {"conv_w": ["0.1"]}}), "stats.conv_w[0]"),
    ("ranking-stats-negative", plan_ranking({**GOOD_RANKING, "stats": {"conv_w": [-1]}}), "stats.conv_w[0]"),
    ("ranking-format", plan_ranking({**GOOD_RANKING, "format": "x"}), "format"),
    ("ranking-missing-stats", plan_ranking({"format": "medyate-ranking/1"}), "stats"),
    ("ranking-layers-wrong", plan_ranking({**GOOD_RANKING, "layers": [{"weight": 3}]}), "layers[0]"),
    # --- experiment configs
    ("experiment-seeds-string", experiment({**GOOD_EXPERIMENT, "seeds": "0"}), "seeds"),
    ("experiment-epochs-float", experiment({**GOOD_EXPERIMENT, "epochs": 1.5}), "epochs"),
    ("experiment-missing-tasks", experiment({k: v for k, v in GOOD_EXPERIMENT.items() if k != "tasks"}), "tasks"),
    ("experiment-task-per-class", experiment({**GOOD_EXPERIMENT, "tasks": [{"model": "m", "target": "mnist", "per_class": "2"}]}), "tasks[0].per_class"),
    ("experiment-lr-zero", experiment({**GOOD_EXPERIMENT, "lr": 0}), "lr"),
    ("experiment-budget-overflow", experiment({**GOOD_EXPERIMENT, "budgets": [BIG]}), "budget"),
    # --- CLI values
    ("cli-lr-nan", train(None, "--lr", "nan"), "--lr"),
    ("cli-lr-inf", train(None, "--lr", "inf"), "--lr"),
    ("cli-lr-zero", train(None, "--lr", "0"), "--lr"),
    ("cli-lr-negative", train(None, "--lr=-0.1"), "--lr"),
    ("cli-lr-text", train(None, "--lr", "fast"), "--lr"),
    ("cli-seed-negative", train(None, "--seed=-1"), "--seed"),
    ("cli-epochs-zero", train(None, epochs="0"), "--epochs"),
    ("cli-batch-zero", train(None, "--batch", "0"), "--batch"),
    ("cli-per-class-zero", train(None, "--train-per-class", "0"), "--train-per-class"),
    ("cli-eps-nan", lambda ws, t: grad_arrays()(ws, t) + ["--compress", "svd", "--eps", "nan"], "--eps"),
    ("cli-budget-400-nines", lambda ws, t: ["plan", str(ws / "tiny.onnx"), "--budget", BIG, "-o", str(t / "p.json")], "1 TiB"),
    ("cli-budget-text", lambda ws, t: ["plan", str(ws / "tiny.onnx"), "--budget", "lots", "-o", str(t / "p.json")], "budget"),
    ("cli-train-budget-overflow", train(None, "--budget", BIG), "1 TiB"),
    ("cli-output-under-file", lambda ws, t: ["plan", str(ws / "tiny.onnx"), "--budget", "4KiB", "-o", str(ws / "a_file" / "p.json")], "-o"),
    ("cli-output-folder-missing", lambda ws, t: ["plan", str(ws / "tiny.onnx"), "--budget", "4KiB", "-o", str(t / "no" / "p.json")], "does not exist"),
    ("cli-output-in-proc", lambda ws, t: ["plan", str(ws / "tiny.onnx"), "--budget", "4KiB", "-o", "/proc/medyate.json"], "/proc"),
    ("cli-grad-output-in-proc", lambda ws, t: grad_arrays()(ws, t)[:-1] + ["/proc/self/g.npz"], "/proc"),
    ("cli-compile-output-is-file", lambda ws, t: ["compile", str(ws / "tiny.onnx"), "--plan", str(ws / "plan.json"), "-o", str(ws / "a_file")], "not a folder"),
    ("cli-compile-output-under-file", lambda ws, t: ["compile", str(ws / "tiny.onnx"), "--plan", str(ws / "plan.json"), "-o", str(ws / "a_file" / "out")], "a file"),
    ("cli-rank-output-is-dir", lambda ws, t: ["rank", str(ws / "tiny.onnx"), "--data", str(ws / "data.npz"), "-o", str(t)], "folder"),
    ("cli-missing-option", lambda ws, t: ["grad", str(ws / "tiny.onnx")], "Missing option"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_exit_2(ws: Path, tmp_path: Path, case: Case) -> None:
    _, argv, expected = case
    args = argv(ws, tmp_path)
    result = CliRunner().invoke(main, args)
    stderr = result.stderr.strip()
    assert result.exit_code == 2, (args, result.output, repr(result.exception))
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert len(stderr.splitlines()) == 1, stderr
    assert stderr.startswith("error: ")
    assert expected in stderr, stderr
    # nothing was written: no output file, no generated C, no run files
    assert not (tmp_path / "out.npz").exists() and not (tmp_path / "out.json").exists()
    assert not (tmp_path / "out" / "model.c").exists()
    assert not (tmp_path / "run" / "metrics.jsonl").exists()


def test_good_inputs_of_the_corpus_still_work(ws: Path, tmp_path: Path) -> None:
    """The corpus's valid baseline passes, so the failures above are the mutations'."""
    ok = CliRunner().invoke(main, ["grad", str(ws / "tiny.onnx"), "--plan", str(ws / "plan.json"),
                                   "--schedule", str(_write(tmp_path / "s.json", _sched({"conv_w": [0]}))),
                                   "--inputs", str(ws / "x.npy"), "--labels", str(ws / "y.npy"),
                                   "-o", str(tmp_path / "g.npz")])
    assert ok.exit_code == 0, ok.output
    grads = np.load(tmp_path / "g.npz")
    assert np.all(grads["conv_w"][:, 1:] == 0) and np.any(grads["conv_w"][:, 0] != 0)
    ranked = CliRunner().invoke(main, ["plan", str(ws / "tiny.onnx"), "--budget", "4KiB", "--ranking",
                                       str(_write(tmp_path / "r.json", GOOD_RANKING)),
                                       "-o", str(tmp_path / "p.json")])
    assert ranked.exit_code == 0, ranked.output
