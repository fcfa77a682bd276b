"""Accuracy cost of the int8 frozen backbone (--frozen int8), measured.

1. Top-1 agreement: every shipped model (models/*.onnx + its card's dataset), its test
   split, the float32 build vs the int8-backbone build (calibrated on 256 training
   samples), both the generated C on the host; for a plan of the last layer only (the
   largest int8 region) and of the demo's last six layers.
2. Fine-tuning: the demo (mbv2_fashion_mnist -> MNIST, six deepest layers, 32 KiB, TraDy)
   with fp32 vs int8 frozen layers, same seeds, on the host target.

    python bench/int8_accuracy.py [--limit N] [--seeds 0 1] [--epochs 3] [--skip-finetune]
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

from medyate.codegen.compiler import compile_model  # noqa: E402
from medyate.codegen.frontend import load_graph  # noqa: E402
from medyate.codegen.plan import Plan  # noqa: E402
from medyate.codegen.quantize import apply_frozen, frozen_weight_bytes  # noqa: E402
from medyate.host_tools.device.host_model import build_host_library, load_private  # noqa: E402
from medyate.host_tools.data.model_data import model_card, prepare_data  # noqa: E402


def host_logits(model: Path, plan: Plan, graph, xs: np.ndarray, tag: str) -> np.ndarray:
    with tempfile.TemporaryDirectory(prefix="medyate-int8-bench-") as tmp:
        compile_model(model, plan, Path(tmp), graph=graph)
        lib = build_host_library(Path(tmp))
    runner = load_private(lib, tag)
    classes = graph.tensors[graph.output].size
    return np.stack([runner.forward(x, classes) for x in xs])


def agreement_rows(model: Path, limit: int | None) -> list[list[str]]:
    card = model_card(model)
    data = prepare_data(model, card["dataset"])
    x_test, y_test = data.x_test, data.y_test
    if limit:
        x_test, y_test = x_test[:limit], y_test[:limit]
    calib = data.x_train[np.linspace(0, len(data.x_train) - 1, 256).astype(np.int64)]
    graph = load_graph(model)
    every = Plan.all_layers(graph)
    rows = []
    float_logits = None
    for k in (1, 6):
        if k >= len(every.layers):        # nothing left below the plan to quantize
            continue
        plan = Plan(0, every.layers[-k:])
        t0 = time.time()
        q = apply_frozen(graph, plan, "int8", calib)
        if float_logits is None:
            float_logits = host_logits(model, plan, graph, x_test, f"{model.stem}-fp32")
        int8_logits = host_logits(model, plan, q, x_test, f"{model.stem}-int8-{k}")
        f_pred, q_pred = float_logits.argmax(1), int8_logits.argmax(1)
        weights = [l["weight"] for l in plan.layers]
        rows.append([model.stem, f"last {k}", str(sum(n.op.startswith("q") for n in q.nodes)),
                     str(len(x_test)), f"{(f_pred == y_test).mean():.4f}",
                     f"{(q_pred == y_test).mean():.4f}", f"{(f_pred == q_pred).mean():.4f}",
                     f"{frozen_weight_bytes(graph, weights, 'fp32'):,}",
                     f"{frozen_weight_bytes(graph, weights, 'int8'):,}", f"{time.time() - t0:.0f}"])
        print(" | ".join(rows[-1]), flush=True)
    return rows


def finetune(seeds: list[int], epochs: int) -> list[list[str]]:
    from medyate.host_tools.commands.train import run_train
    model = ROOT / "models" / "mbv2_fashion_mnist.onnx"
    graph = load_graph(model)
    every = Plan.all_layers(graph, 32 * 1024)
    rows = []
    with tempfile.TemporaryDirectory(prefix="medyate-int8-ft-") as tmp:
        plan_path = Path(tmp) / "plan.json"
        plan_path.write_text(json.dumps(Plan(every.budget_bytes, every.layers[-6:]).to_dict()))
        for seed in seeds:
            for frozen in ("fp32", "int8"):
                t0 = time.time()
                with contextlib.redirect_stdout(io.StringIO()):
                    from rich.console import Console
                    summary = run_train(model, plan_path, "mnist", "host", epochs, "trady",
                                        Path(tmp) / f"run-{frozen}-{seed}", seed=seed,
                                        train_per_class=50, test_per_class=20,
                                        console=Console(file=io.StringIO()), frozen=frozen)
                final = summary.epochs[-1]["test_accuracy"]
                rows.append([str(seed), frozen, f"{summary.initial_test_accuracy:.4f}",
                             f"{final:.4f}", f"{time.time() - t0:.0f}"])
                print(" | ".join(rows[-1]), flush=True)
    return rows


def table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("-|-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", type=Path)
    parser.add_argument("--limit", type=int, help="first N test samples only")
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--skip-finetune", action="store_true")
    parser.add_argument("--skip-agreement", action="store_true")
    args = parser.parse_args()
    models = list(args.models) or sorted((ROOT / "models").glob("*.onnx"))
    if not args.skip_agreement:
        rows = [r for m in models for r in agreement_rows(m, args.limit)]
        print()
        table(["model", "plan", "int8 ops", "test samples", "fp32 top-1", "int8 top-1",
               "agreement", "frozen flash fp32 B", "int8 B", "s"], rows)
    if not args.skip_finetune:
        rows = finetune(args.seeds, args.epochs)
        print()
        print(f"demo fine-tuning (mbv2_fashion_mnist -> MNIST, last 6 layers, 32 KiB, trady, "
              f"{args.epochs} epochs, 50/class train, 20/class test, host target)")
        table(["seed", "frozen", "pretrained acc", "final acc", "s"], rows)


if __name__ == "__main__":
    sys.exit(main())
