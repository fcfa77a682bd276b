#!/usr/bin/env bash
# Demo: fine-tune the shipped MobileNetV2-style model (pretrained on Fashion-MNIST) onto
# MNIST on an emulated Cortex-M4F (QEMU mps2-an386, 320 KiB RAM / 1 MiB flash enforced),
# training the six deepest layers under a 32 KiB channel budget with the TraDy policy.
# Prints the accuracy per epoch and the peak SRAM measured on the device.
#   bash scripts/demo.sh [RUNDIR]        (EPOCHS, TRAIN_PER_CLASS, POLICY override)
set -euo pipefail
cd "$(dirname "$0")/.."

RUNDIR="${1:-runs/demo}"
EPOCHS="${EPOCHS:-3}"
TRAIN_PER_CLASS="${TRAIN_PER_CLASS:-50}"
POLICY="${POLICY:-trady}"
MODEL=models/mbv2_fashion_mnist.onnx
PLAN="$RUNDIR/plan.json"

bash scripts/install_deps.sh
mkdir -p "$RUNDIR"

# The plan: the six deepest Conv/Gemm layers (with biases) and a 32 KiB channel budget.
python - "$MODEL" "$PLAN" <<'PY'
import json, sys
from medyate.codegen.frontend import load_graph
from medyate.codegen.plan import Plan
graph = load_graph(sys.argv[1])
every = Plan.all_layers(graph, 32 * 1024)
plan = Plan(every.budget_bytes, every.layers[-6:])
open(sys.argv[2], "w").write(json.dumps(plan.to_dict(), indent=1))
print(f"plan: {len(plan.layers)} layers, budget {plan.budget_bytes} B -> {sys.argv[2]}")
PY

medyate train "$MODEL" --plan "$PLAN" --data mnist --target qemu-mps2-an386 \
    --epochs "$EPOCHS" --policy "$POLICY" --run "$RUNDIR" --lr 0.3 --batch 8 --seed 0 \
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
PY
