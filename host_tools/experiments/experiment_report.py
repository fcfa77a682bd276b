"""Results of an experiment sweep: the Markdown table (mean +- std over seeds, paired
differences against `trady` with 95% t intervals) and the PNG plots."""
from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

BASELINE = "trady"
# two-sided 95% Student t quantiles by degrees of freedom
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
       9: 2.262, 10: 2.228, 15: 2.131, 20: 2.086, 30: 2.042}


def t95(df: int) -> float:
    if df in T95:
        return T95[df]
    larger = [d for d in T95 if d >= df]
    return T95[min(larger)] if larger else 1.96


def paired_ci(diffs: list[float]) -> tuple[float, float, float] | None:
    """Mean difference and its 95% interval; None with fewer than two pairs."""
    if len(diffs) < 2:
        return None
    d = np.asarray(diffs, dtype=np.float64)
    half = t95(len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
    return float(d.mean()), float(d.mean() - half), float(d.mean() + half)


def _group(results: list[dict[str, Any]]) -> dict[tuple[str, int, str], dict[int, dict[str, Any]]]:
    groups: dict[tuple[str, int, str], dict[int, dict[str, Any]]] = defaultdict(dict)
    for r in results:
        groups[(r["task"], r["budget_bytes"], r["policy"])][r["seed"]] = r
    return groups


def table_markdown(results: list[dict[str, Any]], policies: list[str]) -> str:
    groups = _group(results)
    lines = ["| task | budget | policy | final acc. % (mean +- std, n) | vs trady, points [95% CI] | "
             "schedule cost (mean B) | arena B (compile-time) |",
             "|---|---|---|---|---|---|---|"]
    tasks = list(dict.fromkeys(r["task"] for r in results))
    for task in tasks:
        budgets = sorted({r["budget_bytes"] for r in results if r["task"] == task})
        for budget in budgets:
            label = next(r["budget"] for r in results if r["budget_bytes"] == budget)
            base = groups.get((task, budget, BASELINE), {})
            for policy in policies:
                runs = groups.get((task, budget, policy), {})
                ok = {s: r for s, r in runs.items() if r["status"] == "ok"}
                if not ok:
                    status = next(iter(runs.values()), {"status": "missing", "reason": ""})
                    reason = status.get("reason", "")
                    lines.append(f"| {task} | {label} | {policy} | {status['status']}: {reason} | | | |")
                    continue
                acc = np.array([100 * r["final_accuracy"] for r in ok.values()])
                std = acc.std(ddof=1) if len(acc) > 1 else 0.0
                diffs = [100 * (ok[s]["final_accuracy"] - base[s]["final_accuracy"])
                         for s in ok if s in base and base[s]["status"] == "ok"]
                versus = "(baseline)" if policy == BASELINE else _verdict(paired_ci(diffs))
                cost = np.mean([np.mean(r["schedule_cost_bytes"]) for r in ok.values()])
                arena = next(iter(ok.values()))["memory_compile_time"].get("arena_bytes", "")
                lines.append(f"| {task} | {label} | {policy} | {acc.mean():.1f} +- {std:.1f} (n={len(acc)}) | "
                             f"{versus} | {cost:,.0f} | {arena:,} |")
    return "\n".join(lines)


def _pair_diffs(groups: dict[tuple[str, int, str], dict[int, dict[str, Any]]], task: str, budget: int,
                first: str, second: str) -> list[float]:
    """Per-seed accuracy differences first - second (points) where both runs trained."""
    a, b = groups.get((task, budget, first), {}), groups.get((task, budget, second), {})
    return [100 * (a[s]["final_accuracy"] - b[s]["final_accuracy"]) for s in sorted(a)
            if s in b and a[s]["status"] == "ok" and b[s]["status"] == "ok"]


def _verdict(ci: tuple[float, float, float] | None) -> str:
    if ci is None:
        return "n < 2"
    word = "within noise" if ci[1] <= 0 <= ci[2] else ("better" if ci[0] > 0 else "worse")
    return f"{ci[0]:+.1f} [{ci[1]:+.1f}, {ci[2]:+.1f}] {word}"


def comparisons_markdown(results: list[dict[str, Any]], pairs: list[list[str]]) -> str:
    """Paired differences between named policy pairs (config key "comparisons"), per task
    and budget, plus one row pooling every (task, budget, seed) pair of each comparison.
    The pooled interval treats those pairs as independent: a summary, not a replacement
    for the per-cell rows."""
    groups = _group(results)
    cells = list(dict.fromkeys((r["task"], r["budget_bytes"]) for r in results))
    labels = {r["budget_bytes"]: r["budget"] for r in results}
    lines = ["| comparison (first - second) | task | budget | points [95% CI], n |", "|---|---|---|---|"]
    for first, second in pairs:
        pooled: list[float] = []
        for task, budget in cells:
            diffs = _pair_diffs(groups, task, budget, first, second)
            pooled += diffs
            lines.append(f"| {first} - {second} | {task} | {labels[budget]} | "
                         f"{_verdict(paired_ci(diffs))}, n={len(diffs)} |")
        lines.append(f"| **{first} - {second}** | **all tasks pooled** | all | "
                     f"**{_verdict(paired_ci(pooled))}, n={len(pooled)}** |")
    return "\n".join(lines)


def plot_results(results: list[dict[str, Any]], policies: list[str], out: Path) -> list[Path]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ok = [r for r in results if r["status"] == "ok"]
    tasks = list(dict.fromkeys(r["task"] for r in ok))
    paths = []
    if not tasks:
        return paths
    fig, axes = plt.subplots(1, len(tasks), figsize=(6 * len(tasks), 4.5), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        for policy in policies:
            runs = [r for r in ok if r["task"] == task and r["policy"] == policy]
            budgets = sorted({r["budget_bytes"] for r in runs})
            if not budgets:
                continue
            means = [100 * np.mean([r["final_accuracy"] for r in runs if r["budget_bytes"] == b]) for b in budgets]
            stds = [100 * np.std([r["final_accuracy"] for r in runs if r["budget_bytes"] == b]) for b in budgets]
            ax.errorbar([b / 1024 for b in budgets], means, yerr=stds, marker="o", capsize=3, label=policy)
        ax.set_xscale("log")
        ax.set_xlabel("budget (KiB)")
        ax.set_ylabel("final test accuracy (%)")
        ax.set_title(task, fontsize=9)
    axes[0][-1].legend(fontsize=7, loc="best")
    fig.tight_layout()
    paths.append(out / "accuracy_vs_budget.png")
    fig.savefig(paths[-1], dpi=90)
    plt.close(fig)
    budgets_all = sorted({r["budget_bytes"] for r in ok})
    fig, axes = plt.subplots(len(tasks), len(budgets_all), figsize=(4.5 * len(budgets_all), 3.5 * len(tasks)),
                             squeeze=False)
    for row, task in zip(axes, tasks):
        for ax, budget in zip(row, budgets_all):
            for policy in policies:
                runs = [r for r in ok if r["task"] == task and r["policy"] == policy and r["budget_bytes"] == budget]
                if runs:
                    curve = 100 * np.mean([r["accuracy_per_epoch"] for r in runs], axis=0)
                    ax.plot(np.arange(1, len(curve) + 1), curve, marker=".", label=policy)
            ax.set_title(f"{task}\nbudget {budget / 1024:g} KiB", fontsize=8)
            ax.set_xlabel("epoch")
            ax.set_ylabel("test accuracy (%)")
    axes[0][-1].legend(fontsize=7)
    fig.tight_layout()
    paths.append(out / "accuracy_vs_epoch.png")
    fig.savefig(paths[-1], dpi=90)
    plt.close(fig)
    return paths


def target_description(target: str) -> tuple[str, str]:
    """(where the runs trained, what memory was measured) for the config's "target"."""
    if target == "host":
        return ("Host target: the generated C compiled natively.",
                " (the host has no device measurement)")
    if target == "reference":
        return "Reference target: the numpy executor.", " (nothing is measured)"
    return (f"Device target {target}: `medyate train` on it, the generated C in its firmware.",
            f"; each run's peak SRAM measured on {target} is in results.jsonl "
            "(measured_peak_sram_bytes)")


def write_report(results: list[dict[str, Any]], out: Path, config: dict[str, Any], config_name: str,
                 seconds: float, jobs: int) -> Path:
    policies = list(config["policies"])
    ok = sum(r["status"] == "ok" for r in results)
    where, memory = target_description(config.get("target", "host"))
    text = [f"# Experiment `{config_name}`", "",
            f"{len(results)} runs ({ok} trained), {jobs} worker processes, wall time {seconds:.0f} s "
            f"(measured). {where} Epochs {config['epochs']}, "
            f"batch {config.get('batch_size', 8)}, SGD lr {config.get('lr', 0.05)} with cosine decay "
            f"and the warm-up of medyate train, seeds {config['seeds']}.",
            "", "Paired differences are per seed against `trady` (same data subset, same seed); "
            "\"within noise\" = the 95% t interval contains 0. Memory: the arena column is the "
            f"compile-time plan from memory.json{memory}.", "",
            table_markdown(results, policies), ""]
    if config.get("comparisons"):
        text += ["## Paired comparisons", "",
                 "Per seed, first minus second, final accuracy in points; 95% t interval.", "",
                 comparisons_markdown(results, config["comparisons"]), ""]
    text += ["Plots: `accuracy_vs_budget.png`, `accuracy_vs_epoch.png`. Raw runs: `results.jsonl`.", ""]
    plot_results(results, policies, out)
    path = out / "results.md"
    path.write_text("\n".join(text))
    return path
