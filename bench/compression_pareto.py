"""Accuracy vs saved-activation memory of raw, svd, hosvd and asi (issue 6).

    python bench/compression_pareto.py experiments/compression.json [--out DIR] [--jobs 2]
        [--seeds 2 3 --append]      # more seeds added to an earlier sweep's results.jsonl

Every run is one `medyate train` (library call run_train) of the config's model on its
data with a fixed plan (the config's layers, every channel: policy "full"), so runs
differ only in how the saved activations are stored. asi runs on the host target (the
generated C), svd/hosvd on the reference target (numpy; the generated C has no SVD); raw
runs on both (they must agree). Activation memory per sample = over the plan's layers,
the compressed layer's stored bytes (peak and mean over the run, from RUNDIR/memory.json
"activation_compression") or the raw planes where the layer stays raw. Wall time is the
measured time of each run_train call.

Writes OUT/results.jsonl (one row per run and seed), OUT/results.md (mean +- std over
seeds) and OUT/pareto.png.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from medyate import PROJECT_ROOT
from medyate.codegen.frontend import load_graph
from medyate.codegen.plan import FLOAT_BYTES, Plan, resolve_layers

PLAN_BUDGET_BYTES = 64 << 20    # the "full" policy trains every channel: no budget limit


def run_label(run: dict[str, Any]) -> str:
    if run["method"] == "raw":
        return f"raw ({run['target']})"
    knob = f"rank {run['rank']}" if run["method"] == "asi" else f"eps {run['eps']}"
    return f"{run['method']} {knob}"


def write_plan(config: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps({"format": "medyate-plan/1", "budget_bytes": PLAN_BUDGET_BYTES,
                                "layers": [{"weight": w, "bias": True} for w in config["layers"]]}))
    return path


def raw_plane_bytes(model: Path, plan_path: Path) -> dict[str, int]:
    """Raw saved-activation bytes per plan layer with every channel scheduled."""
    graph = load_graph(model)
    layers = resolve_layers(graph, Plan.load(plan_path))
    return {l.onnx_weight: FLOAT_BYTES * l.in_channels * l.plane_elems for l in layers}


def one_run(config: dict[str, Any], run: dict[str, Any], seed: int, workdir: str) -> dict[str, Any]:
    from rich.console import Console
    from medyate.host_tools.commands.train import run_train
    model = (PROJECT_ROOT / config["model"]).resolve()
    work = Path(workdir)
    plan_path = write_plan(config, work / "plan.json")
    rundir = work / f"{run_label(run).replace(' ', '_').replace('(', '').replace(')', '')}_s{seed}"
    method = None if run["method"] == "raw" else run["method"]
    started = time.perf_counter()
    summary = run_train(model, plan_path, config["data"], run["target"], config["epochs"],
                        "full", rundir, lr=config["lr"], batch=config["batch"], seed=seed,
                        train_per_class=config["per_class"],
                        test_per_class=config["test_per_class"],
                        console=Console(quiet=True), compress=method,
                        eps=float(run.get("eps", 0.9)), rank=run.get("rank"))
    seconds = time.perf_counter() - started
    memory = json.loads((rundir / "memory.json").read_text())
    raw = raw_plane_bytes(model, plan_path)
    stats = (memory.get("activation_compression") or {}).get("layers", {})
    peak = sum(int(stats[w]["peak_bytes"]) if w in stats else raw[w] for w in raw)
    mean = sum(float(stats[w]["mean_bytes"]) if w in stats else raw[w] for w in raw)
    work_bytes = max((int(s["peak_work_bytes"]) for s in stats.values()), default=0)
    final = summary.epochs[-1]
    return {"label": run_label(run), **run, "seed": seed, "model": config["model"],
            "data": config["data"], "epochs": config["epochs"],
            "initial_test_accuracy": summary.initial_test_accuracy,
            "test_accuracy": final["test_accuracy"], "train_loss": final["train_loss"],
            "activation_peak_bytes": peak, "activation_mean_bytes": mean,
            "activation_raw_bytes": sum(raw.values()), "work_bytes": work_bytes,
            "compressed_layers": sorted(stats), "wall_seconds": seconds}


def run_all(config: dict[str, Any], out: Path, jobs: int, append: bool = False) -> list[dict[str, Any]]:
    """Compiled-target runs one after another (they share the firmware/model build
    folders), reference runs in a pool of `jobs` processes."""
    out.mkdir(parents=True, exist_ok=True)
    pending = [(run, seed) for run in config["runs"] for seed in config["seeds"]]
    rows: list[dict[str, Any]] = []
    if append and (out / "results.jsonl").is_file():
        rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
        done = {(r["label"], r["seed"]) for r in rows}
        pending = [(run, seed) for run, seed in pending if (run_label(run), seed) not in done]
    with tempfile.TemporaryDirectory(prefix="medyate-pareto-") as tmp:
        def workdir(i: int) -> str:
            path = Path(tmp) / f"w{i}"
            path.mkdir()
            return str(path)
        with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = [pool.submit(one_run, config, run, seed, workdir(i))
                       for i, (run, seed) in enumerate(pending) if run["target"] == "reference"]
            for i, (run, seed) in enumerate(pending):
                if run["target"] != "reference":
                    rows.append(one_run(config, run, seed, workdir(len(pending) + i)))
                    print(f"{rows[-1]['label']} seed {seed}: {rows[-1]['test_accuracy']:.3f} "
                          f"({rows[-1]['wall_seconds']:.1f} s)", flush=True)
            for future in futures:
                rows.append(future.result())
                print(f"{rows[-1]['label']} seed {rows[-1]['seed']}: "
                      f"{rows[-1]['test_accuracy']:.3f} ({rows[-1]['wall_seconds']:.1f} s)", flush=True)
    with open(out / "results.jsonl", "w") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
    return rows


def aggregate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per label: mean/std over seeds, and the accuracy difference to the raw run of the
    same seed (same data subset and initial draws), which is far less noisy."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["label"], []).append(row)
    baseline = next((label for label in ("raw (host)", "raw (reference)") if label in groups), None)
    raw_acc = {r["seed"]: r["test_accuracy"] for r in groups.get(baseline or "", [])}
    out = []
    for label, group in groups.items():
        acc = np.array([r["test_accuracy"] for r in group])
        diff = np.array([r["test_accuracy"] - raw_acc[r["seed"]] for r in group if r["seed"] in raw_acc])
        out.append({"label": label, "method": group[0]["method"], "target": group[0]["target"],
                    "seeds": len(group), "acc_mean": float(acc.mean()),
                    "acc_std": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
                    "diff_mean": float(diff.mean()) if len(diff) else float("nan"),
                    "diff_std": float(diff.std(ddof=1)) if len(diff) > 1 else 0.0,
                    "initial": float(np.mean([r["initial_test_accuracy"] for r in group])),
                    "peak": float(np.mean([r["activation_peak_bytes"] for r in group])),
                    "mean": float(np.mean([r["activation_mean_bytes"] for r in group])),
                    "raw": group[0]["activation_raw_bytes"],
                    "work": max(r["work_bytes"] for r in group),
                    "wall": float(np.mean([r["wall_seconds"] for r in group]))})
    return sorted(out, key=lambda r: r["peak"])


def pareto_front(points: list[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point beats on both memory (lower) and accuracy (higher)."""
    return [i for i, (m, a) in enumerate(points)
            if not any((m2 <= m and a2 >= a) and (m2 < m or a2 > a) for m2, a2 in points)]


def write_report(config: dict[str, Any], table: list[dict[str, Any]], out: Path) -> None:
    front = set(pareto_front([(r["peak"], r["acc_mean"]) for r in table]))
    lines = [f"# Compressed activations: accuracy vs saved-activation memory",
             "",
             f"{config['model']} fine-tuned on {config['data']} ({config['per_class']} train / "
             f"{config['test_per_class']} test images per class), {config['epochs']} epochs, "
             f"batch {config['batch']}, lr {config['lr']}, policy full (every channel) on "
             f"{len(config['layers'])} layers, seeds {config['seeds']}. Activation bytes per "
             f"sample summed over those layers (compressed layers: stored factors + core, peak "
             f"and mean over the run's samples; raw layers: their planes). Work = the largest "
             f"single layer's work buffers. Wall = measured seconds per run (shared 2-core "
             f"machine, reference runs 2 at a time). * = on the Pareto front.",
             "",
             f"Paired diff = test accuracy minus the raw (host) run's of the same seed.",
             "",
             "| method | target | test acc (mean +- std) | paired diff vs raw | act. peak B | act. mean B | x smaller | work B | wall s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for i, r in enumerate(table):
        lines.append(f"| {r['label']}{' *' if i in front else ''} | {r['target']} | "
                     f"{r['acc_mean']:.3f} +- {r['acc_std']:.3f} | {r['diff_mean']:+.3f} +- {r['diff_std']:.3f} | "
                     f"{r['peak']:.0f} | {r['mean']:.0f} | "
                     f"{r['raw'] / max(r['peak'], 1):.1f} | {r['work']} | {r['wall']:.1f} |")
    total = sum(r["wall"] * r["seeds"] for r in table)
    lines += ["", f"Test accuracy before fine-tuning: {table[0]['initial']:.3f}. Sum of the "
              f"runs' wall times: {total:.0f} s.", ""]
    (out / "results.md").write_text("\n".join(lines))


def plot(table: list[dict[str, Any]], out: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    colors = {"raw": "black", "svd": "tab:blue", "hosvd": "tab:orange", "asi": "tab:green"}
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for r in table:
        ax.errorbar(r["peak"], r["acc_mean"], yerr=r["acc_std"], fmt="o",
                    color=colors[r["method"]], capsize=3)
        ax.annotate(r["label"], (r["peak"], r["acc_mean"]), fontsize=7,
                    xytext=(4, 3), textcoords="offset points")
    front = sorted((table[i] for i in pareto_front([(r["peak"], r["acc_mean"]) for r in table])),
                   key=lambda r: r["peak"])
    ax.step([r["peak"] for r in front], [r["acc_mean"] for r in front], where="post",
            color="grey", linestyle="--", label="Pareto front")
    for method, color in colors.items():
        ax.plot([], [], "o", color=color, label=method)
    ax.set_xscale("log")
    ax.set_xlabel("saved activations per sample, peak (bytes, log)")
    ax.set_ylabel("test accuracy after fine-tuning")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = out / "pareto.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("--out", type=Path, help="default: experiments/results/<config name>")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seeds", type=int, nargs="+", help="override the config's seeds")
    parser.add_argument("--append", action="store_true",
                        help="keep OUT/results.jsonl and run only the missing (run, seed) pairs")
    args = parser.parse_args(argv)
    config = json.loads(args.config.read_text())
    if args.seeds:
        config["seeds"] = args.seeds
    out = args.out or PROJECT_ROOT / "experiments" / "results" / config["name"]
    started = time.perf_counter()
    before = len((out / "results.jsonl").read_text().splitlines()) \
        if args.append and (out / "results.jsonl").is_file() else 0
    rows = run_all(config, out, args.jobs, args.append)
    config["seeds"] = sorted({r["seed"] for r in rows})
    table = aggregate(rows)
    write_report(config, table, out)
    plot(table, out)
    total = time.perf_counter() - started
    with open(out / "results.md", "a") as handle:
        handle.write(f"The last invocation ran {len(rows) - before} of the {len(rows)} runs "
                     f"in {total:.0f} s wall.\n")
    print(f"{len(rows)} runs in {total:.0f} s; wrote {out}/results.md, pareto.png, results.jsonl")
    return 0


if __name__ == "__main__":
    sys.exit(main())
