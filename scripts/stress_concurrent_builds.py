"""Issue 13 acceptance: two concurrent `medyate train` runs of different plans of one model
each train their own plan, N rounds (default 20). Each round starts both runs at once on
the host target and checks every run's finetuned.onnx against a solo run of its plan.

    python scripts/stress_concurrent_builds.py [--rounds 20]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import zoo  # noqa: E402
from medyate.codegen.frontend import load_graph  # noqa: E402
from medyate.codegen.plan import Plan  # noqa: E402


def train(model: Path, plan: Path, data: Path, run: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "medyate.cli", "train", str(model), "--plan",
                             str(plan), "--data", str(data), "--target", "host", "--epochs",
                             "1", "--policy", "trady", "--run", str(run), "--overwrite"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    tmp = Path(tempfile.mkdtemp(prefix="medyate-stress-"))
    model = zoo.exported("plain_cnn", "torchscript", True, tmp)
    full = Plan.all_layers(load_graph(model), budget_bytes=24 * 1024)
    plans = []
    for name, layers in (("last", full.layers[-1:]), ("first", full.layers[:1])):
        path = tmp / f"{name}.json"
        path.write_text(json.dumps(Plan(full.budget_bytes, layers).to_dict()))
        plans.append(path)
    rng = np.random.default_rng(0)
    np.savez(tmp / "data.npz", x_train=rng.standard_normal((12, 1, 28, 28)).astype(np.float32),
             y_train=rng.integers(0, 10, 12))
    solo = []
    for i, plan in enumerate(plans):
        process = train(model, plan, tmp / "data.npz", tmp / f"solo{i}")
        assert process.wait() == 0, process.stderr.read() if process.stderr else ""
        solo.append((tmp / f"solo{i}" / "finetuned.onnx").read_bytes())
    wrong = 0
    for r in range(rounds):
        processes = [train(model, plan, tmp / "data.npz", tmp / f"run{i}")
                     for i, plan in enumerate(plans)]
        codes = [p.wait() for p in processes]
        same = [c == 0 and (tmp / f"run{i}" / "finetuned.onnx").read_bytes() == solo[i]
                for i, c in enumerate(codes)]
        wrong += not all(same)
        print(f"round {r + 1}: exit codes {codes}, each run trained its own plan: {all(same)}",
              flush=True)
    print(f"{rounds - wrong} of {rounds} rounds correct")
    sys.exit(1 if wrong else 0)


if __name__ == "__main__":
    main()
