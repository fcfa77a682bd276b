#!/usr/bin/env bash
# Demo: fine-tune the shipped MobileNetV2-style model (pretrained on Fashion-MNIST) onto
# MNIST on an emulated Cortex-M4F (QEMU mps2-an386, 320 KiB RAM / 1 MiB flash enforced),
# planned for an STM32F746G-DISCO's memory (plan --board), 32 KiB channel budget, TraDy.
# Prints the accuracy per epoch and the predicted vs linked vs measured memory per region;
# RUNDIR/memory.png and RUNDIR/curves.png draw them.
#   bash scripts/demo.sh [RUNDIR]        (EPOCHS, TRAIN_PER_CLASS, POLICY override)
set -euo pipefail
cd "$(dirname "$0")/.."

RUNDIR="${1:-runs/demo}"
EPOCHS="${EPOCHS:-3}"
TRAIN_PER_CLASS="${TRAIN_PER_CLASS:-50}"
POLICY="${POLICY:-trady}"
MODEL=models/mbv2_fashion_mnist.onnx
PLAN="${RUNDIR%/}.plan.json"      # beside the run folder: train wants RUNDIR empty or its own

bash scripts/install_deps.sh
mkdir -p "$(dirname "$RUNDIR")"

# The plan for an STM32F746G-DISCO (320 KiB SRAM / 1 MiB flash): plan --board picks the
# deepest layers whose whole-device memory fits (no ranking given), with a 32 KiB channel
# budget, and prints the predicted breakdown per region.
medyate plan "$MODEL" --board stm32f746g-disco --budget 32KiB --policy "$POLICY" -o "$PLAN"

# Trained on the emulated Cortex-M4, linked with the STM32F746G-DISCO's limits.
medyate train "$MODEL" --plan "$PLAN" --data mnist --target qemu-mps2-an386 --board stm32f746g-disco \
    --epochs "$EPOCHS" --policy "$POLICY" --run "$RUNDIR" --overwrite --lr 0.3 --batch 8 --seed 0 \
    --train-per-class "$TRAIN_PER_CLASS" --test-per-class 20

python - "$RUNDIR" <<'PY'
import json, sys
from pathlib import Path
run = Path(sys.argv[1])
summary = json.loads((run / "summary.json").read_text())
print(f"test accuracy: pretrained {summary['initial_test_accuracy']:.3f}")
for line in (run / "metrics.jsonl").read_text().splitlines():
    m = json.loads(line)
    print(f"  epoch {m['epoch']}: test accuracy {m['test_accuracy']:.3f} "
          f"(train loss {m['train_loss']:.3f}, {m['samples_per_second']} samples/s)")
memory = summary["memory"]
print(f"measured peak SRAM on the device: {memory['measured_peak_sram_bytes']} B "
      f"(stack high-water {memory['measured_stack_bytes']} B); flash {memory['flash_bytes']} B")
device = memory.get("device_memory")
if device:
    print(f"predicted by plan --board: SRAM {device['predicted']['sram_bytes']} B, flash "
          f"{device['predicted']['flash_bytes']} B (board {device['board']['name']}: "
          f"{device['board']['sram_bytes']} B / {device['board']['flash_bytes']} B)")
print(f"pictures: {run / 'memory.png'}, {run / 'curves.png'}")
PY
