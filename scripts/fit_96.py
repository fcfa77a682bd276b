#!/usr/bin/env python3
"""Issue #9's "bigger" acceptance run: torchvision's MobileNetV2-w0.35 at 96x96 planned
for an STM32F746G-DISCO (320 KiB SRAM, 1 MiB flash) and fine-tuned on the emulated
Cortex-M with that board's limits linked in. No network needed.

    python scripts/fit_96.py [--out runs/fit96] [--epochs 2] [--size 96]

1. Data: Fashion-MNIST (source) and MNIST (target) from the offline packages, 28x28
   grey resized to SIZExSIZE (bilinear) and repeated over 3 channels, normalised with
   the source's statistics; the target is written as a DATA .npz (float32, as a user
   would bring it).
2. Model: the layer table of torchvision.models.mobilenet_v2(width_mult=0.35,
   num_classes=10) (tests/zoo.py torchvision_mbv2, 408,938 parameters), pretrained
   briefly on the source on CPU (one thread), exported as a plain float ONNX file
   (torchscript exporter, BatchNorm folded).
3. `medyate plan MODEL --board stm32f746g-disco --data DATA -o plan.json` (ranks the
   layers on DATA, picks int8 frozen layers when fp32 does not fit, sizes the pool).
4. `medyate train MODEL --plan plan.json --data DATA --target qemu-mps2-an386 --board
   stm32f746g-disco --epochs N --policy trady`.
5. Prints (and writes OUT/figures.md) the predicted / linked / device-measured memory per
   region, the measured peak SRAM and flash image against the board, and the accuracy
   per epoch. Exit status: 0 only when every step succeeded and the device's measured
   peak SRAM and the flash image are within the board's limits.

Samples travel as int8 (the model's int8 backbone starts at its input): QEMU preloads
them into its 16 MiB PSRAM when every epoch's order plus the test split fits (2 x 200 +
100 samples of 96x96x3 do; at --size 112 use --train-per-class 15 --test-per-class 5),
else they stream over the emulated UART at ~15 kB/s.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests"))  # the architectures live with the test zoo

from medyate.host_tools.data.datasets import load_dataset  # noqa: E402
from medyate.host_tools.device.boards import get_board  # noqa: E402
from zoo import export_onnx, torchvision_mbv2  # noqa: E402

SOURCE, TARGET = "fashion-mnist", "mnist"
MEAN, STD = 0.2860, 0.3530          # Fashion-MNIST's raw [0, 1] statistics


def resized(x: np.ndarray, size: int) -> np.ndarray:
    """(N, 1, 28, 28) in [0, 1] -> (N, 3, size, size) normalised float32."""
    t = F.interpolate(torch.from_numpy(x), size=(size, size), mode="bilinear", align_corners=False)
    return ((t.repeat(1, 3, 1, 1) - MEAN) / STD).numpy().astype(np.float32)


def pretrain(size: int, per_class: int, epochs: int, seed: int) -> tuple[torch.nn.Module, float]:
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    data = load_dataset(SOURCE, per_class=per_class, test_per_class=50, seed=seed)
    x, y = torch.from_numpy(resized(data.x_train, size)), torch.from_numpy(data.y_train)
    model = torchvision_mbv2(0.35, 10)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    steps = epochs * ((len(x) + 31) // 32)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, 3e-3, total_steps=steps)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        for batch in torch.randperm(len(x), generator=generator).split(32):
            loss = F.cross_entropy(model(x[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
    model.eval()
    assert data.x_test is not None and data.y_test is not None
    with torch.no_grad():
        logits = model(torch.from_numpy(resized(data.x_test, size)))
    accuracy = float((logits.argmax(1).numpy() == data.y_test).mean())
    return model, accuracy


def medyate(*args: str) -> None:
    exe = Path(sys.executable).with_name("medyate")
    command = [str(exe if exe.exists() else shutil.which("medyate") or "medyate"), *args]
    print("$ medyate " + " ".join(args), flush=True)
    result = subprocess.run(command)
    if result.returncode != 0:
        sys.exit(f"medyate {args[0]} failed with exit status {result.returncode}")


def figures(run: Path, plan: dict, board_name: str, pretrained_source: float) -> tuple[str, bool]:
    """Markdown: memory per region (predicted, linked, measured), totals vs the board,
    accuracy per epoch; and whether the device fits the board."""
    board = get_board(board_name)
    summary = json.loads((run / "summary.json").read_text())
    memory = summary["memory"]
    device = memory["device_memory"]
    metrics = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    peak, flash = memory["measured_peak_sram_bytes"], memory["flash_bytes"]
    rows = ["| memory | region | predicted (plan) | linked (ELF) | measured (device) |",
            "|---|---|---:|---:|---:|"]
    for r in device["regions"]:
        cells = [r["predicted_bytes"], r["linked_bytes"], r["measured_bytes"]]
        rows.append(f"| {r['memory']} | {r['region']} | " +
                    " | ".join("-" if v is None else f"{v:,}" for v in cells) + " |")
    rows.append(f"| sram | **total** | {device['predicted']['sram_bytes']:,} | "
                f"{device['linked']['sram_bytes']:,} | **{peak:,}** (peak) |")
    rows.append(f"| flash | **total** | {device['predicted']['flash_bytes']:,} | "
                f"**{device['linked']['flash_bytes']:,}** | - |")
    layers = ", ".join(l["weight"] for l in plan["layers"])
    lines = [
        f"board {board.name}: SRAM {board.sram_bytes:,} B, flash {board.flash_bytes:,} B; "
        f"plan: {len(plan['layers'])} layer(s) ({layers}), channel budget "
        f"{plan['budget_bytes']:,} B, frozen layers {plan.get('frozen')}",
        f"measured peak SRAM {peak:,} B of {board.sram_bytes:,} B; flash image {flash:,} B of "
        f"{board.flash_bytes:,} B",
        f"pretrained on {SOURCE}: {pretrained_source:.3f} test accuracy (torch, float); "
        f"on the device before fine-tuning: {TARGET} test accuracy "
        f"{summary['initial_test_accuracy']:.3f}", "", *rows, "",
        "| epoch | train loss | train acc | test acc | instructions / training sample |",
        "|---:|---:|---:|---:|---:|"]
    for m in metrics:
        lines.append(f"| {m['epoch']} | {m['train_loss']:.3f} | {m['train_accuracy']:.3f} | "
                     f"{m.get('test_accuracy', float('nan')):.3f} | "
                     f"{m.get('instructions_per_training_sample', '-'):,} |")
    fits = peak is not None and peak <= board.sram_bytes and flash <= board.flash_bytes
    return "\n".join(lines) + "\n", fits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "runs" / "fit96")
    parser.add_argument("--size", type=int, default=96)
    parser.add_argument("--board", default="stm32f746g-disco")
    parser.add_argument("--epochs", type=int, default=2, help="on-device fine-tuning epochs")
    parser.add_argument("--pretrain-per-class", type=int, default=100)
    parser.add_argument("--pretrain-epochs", type=int, default=3)
    parser.add_argument("--train-per-class", type=int, default=20)
    parser.add_argument("--test-per-class", type=int, default=10)
    parser.add_argument("--lr", default="0.05")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    model = out / f"mbv2_w035_{args.size}.onnx"
    data = out / f"{TARGET}_{args.size}.npz"

    target = load_dataset(TARGET, per_class=args.train_per_class, test_per_class=args.test_per_class,
                          seed=args.seed)
    assert target.x_test is not None
    np.savez(data, x_train=resized(target.x_train, args.size), y_train=target.y_train,
             x_test=resized(target.x_test, args.size), y_test=target.y_test)
    started = time.time()
    net, source_accuracy = pretrain(args.size, args.pretrain_per_class, args.pretrain_epochs, args.seed)
    print(f"pretrained on {SOURCE} ({args.pretrain_per_class} per class, {args.pretrain_epochs} "
          f"epochs, {time.time() - started:.0f} s): test accuracy {source_accuracy:.3f}")
    export_onnx(net, model, (1, 3, args.size, args.size))

    plan_path, run = out / "plan.json", out / "run"
    medyate("plan", str(model), "--board", args.board, "--data", str(data), "-o", str(plan_path))
    medyate("train", str(model), "--plan", str(plan_path), "--data", str(data),
            "--target", "qemu-mps2-an386", "--board", args.board, "--epochs", str(args.epochs),
            "--policy", "trady", "--lr", args.lr, "--batch", "8", "--seed", str(args.seed),
            "--run", str(run), "--overwrite")
    text, fits = figures(run, json.loads(plan_path.read_text()), args.board, source_accuracy)
    (out / "figures.md").write_text(text)
    print(text)
    if not fits:
        sys.exit(f"the device does not fit {args.board}")


if __name__ == "__main__":
    main()
