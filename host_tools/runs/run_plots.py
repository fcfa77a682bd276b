"""Pictures of a `medyate train` RUNDIR (matplotlib, Agg):

    plot_memory(memory_json, RUNDIR / "memory.png")   predicted vs linked vs measured per
                                                      region, against the board's limits
    plot_curves(metrics_jsonl, RUNDIR / "curves.png") loss and accuracy per epoch
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from medyate.host_tools.selection.device_memory import REGIONS  # noqa: E402

COLORS = {
    "arena": "#4c72b0", "trainable_weights": "#dd8452", "gradient_buffers": "#c44e52",
    "app_buffers": "#8172b3", "runtime_static": "#937860", "stack": "#8c8c8c",
    "code": "#55a868", "frozen_weights": "#64b5cd", "trainable_init": "#e5ae38",
}


def _bars(device: Mapping[str, Any], memory: str) -> list[tuple[str, dict[str, int]]]:
    rows = [r for r in device["regions"] if r["memory"] == memory]
    bars = [("predicted", {r["region"]: r["predicted_bytes"] for r in rows})]
    if all(r["linked_bytes"] is not None for r in rows):
        bars.append(("linked (ELF)", {r["region"]: r["linked_bytes"] for r in rows}))
        if memory == "sram" and any(r["measured_bytes"] is not None for r in rows):
            # the device's peak: the linked statics plus the measured stack high-water
            bars.append(("measured\n(device peak)",
                         {r["region"]: (r["measured_bytes"] if r["measured_bytes"] is not None
                                        else r["linked_bytes"]) for r in rows}))
    return bars


def plot_memory(memory: Mapping[str, Any], path: Path) -> Path:
    """Stacked bars per region, one panel per memory, the board's limit as a red line."""
    device = memory["device_memory"]
    board = device.get("board") or {}
    fig, axes = plt.subplots(2, 1, figsize=(11.5, 6.5))
    for ax, mem, label in zip(axes, ("sram", "flash"), ("SRAM", "flash")):
        bars = _bars(device, mem)
        names = [r.name for r in REGIONS if r.memory == mem]
        for y, (bar, values) in enumerate(bars):
            left = 0.0
            for name in names:
                width = values[name] / 1024
                ax.barh(y, width, left=left, color=COLORS[name], edgecolor="white",
                        label=name if y == 0 else None)
                left += width
            ax.text(left, y, f"  {left:,.1f} KiB", va="center", fontsize=9)
        limit = board.get(f"{mem}_bytes")
        if limit:
            ax.axvline(limit / 1024, color="red", lw=2)
            ax.text(limit / 1024, -0.62, f"{board.get('name', 'board')} limit "
                    f"{limit / 1024:,.0f} KiB ", color="red", ha="right", va="center", fontsize=9)
        ax.set_yticks(range(len(bars)), [b for b, _ in bars])
        ax.set_ylim(len(bars) - 0.5, -0.85)     # top row of room for the limit's label
        top = max([sum(v.values()) for _, v in bars] + [limit or 0]) / 1024
        ax.set_xlim(0, top * 1.18)
        ax.set_xlabel(f"{label} (KiB)")
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    fig.suptitle(f"whole-device memory: predicted (plan) vs linked (firmware ELF) vs measured "
                 f"(device); frozen weights {device.get('frozen', 'fp32')}", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def read_metrics(metrics: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in metrics.read_text().splitlines() if line.strip()]


def plot_curves(records: list[Mapping[str, Any]], path: Path,
                initial_test_accuracy: float | None = None) -> Path:
    """Training loss (left) and train/test accuracy (right) per epoch; epoch 0 of the
    test accuracy is the model before fine-tuning when known."""
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 4))
    epochs = [r["epoch"] + 1 for r in records]
    loss_ax.plot(epochs, [r["train_loss"] for r in records], "o-", color="#c44e52")
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("training loss (cross-entropy)")
    loss_ax.set_title("loss")
    acc_ax.plot(epochs, [r["train_accuracy"] for r in records], "o-", label="train")
    tests = [(e, r["test_accuracy"]) for e, r in zip(epochs, records)
             if r.get("test_accuracy") is not None]
    if tests:
        xs, ys = zip(*tests)
        if initial_test_accuracy is not None:
            xs, ys = (0, *xs), (initial_test_accuracy, *ys)
        acc_ax.plot(xs, ys, "s-", label="test")
    acc_ax.set_xlabel("epoch (0 = before fine-tuning)")
    acc_ax.set_ylabel("accuracy")
    acc_ax.set_ylim(0, 1.02)
    acc_ax.set_title("accuracy")
    acc_ax.legend()
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
