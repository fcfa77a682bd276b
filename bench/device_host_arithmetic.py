"""Where the Cortex-M4F firmware (under QEMU) and the host library part, on one plan: the
logits of N test images, the losses of one 16-sample training step and the trained
weights after it, for the firmware as built and for a diagnostic firmware whose runtime
is compiled with -ffp-contract=off (a patched copy of runtime_c/CMakeLists.txt in a
temporary folder; the repository is not touched). Both targets get the same float32
inputs. Prints the share of bit-equal values and the largest difference.

    python bench/device_host_arithmetic.py [--model models/mbv2_mnist.onnx] [--policy trady]
        [--budget 32KiB] [--samples 50]

Reading (docs in experiments/README.md, "Device == host"): the runtime is built with
-ffp-contract=fast, so arm-none-eabi-gcc fuses multiply-adds into vfma (one rounding)
where the x86-64 build (no FMA) rounds twice; newlib's expf/logf are not glibc's.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

from medyate.codegen.compiler import compile_model  # noqa: E402
from medyate.codegen.frontend import load_graph  # noqa: E402
from medyate.codegen.plan import Plan, resolve_layers  # noqa: E402
from medyate.host_tools.commands.plan import plan_document  # noqa: E402
from medyate.host_tools.commands.train import load_train_data  # noqa: E402
from medyate.host_tools.device.device import Device  # noqa: E402
from medyate.host_tools.device.device_model import build_device_model  # noqa: E402
from medyate.host_tools.device.device_training import device_schedule  # noqa: E402
from medyate.host_tools.device.host_device import HostModelDevice  # noqa: E402
from medyate.host_tools.device.host_model import build_host_library, load_private  # noqa: E402
from medyate.host_tools.selection.policies import make_policy  # noqa: E402
from medyate.host_tools.selection.ranking import layer_specs, rank_model  # noqa: E402

TARGET = "qemu-mps2-an386"
CONTRACT_FAST = "list(APPEND MDY_RUNTIME_OPTIONS -ffp-contract=fast)"


def uncontracted_firmware(options: dict[str, str], folder: Path) -> Path:
    """The same firmware (same model folder, same options) with the runtime's
    -ffp-contract=fast replaced by -ffp-contract=off, built from a copy of the committed
    sources (git archive HEAD: uncommitted runtime edits are not in it)."""
    src = folder / "src"
    src.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "HEAD", "firmware", "cmake",
                              "runtime_c"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    cmake = src / "runtime_c" / "CMakeLists.txt"
    text = cmake.read_text()
    if CONTRACT_FAST not in text:
        sys.exit(f"{cmake}: no '{CONTRACT_FAST}' line to patch; update this benchmark")
    cmake.write_text(text.replace(CONTRACT_FAST, CONTRACT_FAST.replace("fast", "off")))
    build = folder / "build"
    configure = ["cmake", "-G", "Ninja", "-S", str(src / "firmware"), "-B", str(build),
                 *[f"-D{k}={v}" for k, v in options.items()],
                 f"-DCMAKE_TOOLCHAIN_FILE={src / 'cmake' / 'arm-none-eabi.cmake'}"]
    subprocess.run(configure, check=True, capture_output=True)
    subprocess.run(["cmake", "--build", str(build), "-j", "2"], check=True, capture_output=True)
    return build / "firmware.elf"


def fused_ops(elf: Path) -> dict[str, int]:
    """vfma/vfms/vfnm instructions per function of an ARM ELF."""
    listing = subprocess.run(["arm-none-eabi-objdump", "-d", str(elf)], check=True,
                             capture_output=True, text=True).stdout
    counts: dict[str, int] = {}
    function = "?"
    for line in listing.splitlines():
        if line.endswith(">:"):
            function = line.split("<", 1)[1][:-2]
        elif any(op in line for op in ("\tvfma", "\tvfms", "\tvfnm")):
            counts[function] = counts.get(function, 0) + 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "mbv2_mnist.onnx")
    parser.add_argument("--data", default="animal-mnist")
    parser.add_argument("--policy", default="trady")
    parser.add_argument("--budget", default="32KiB")
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args()
    graph = load_graph(args.model)
    classes = int(graph.tensors[graph.output].size)
    data = load_train_data(args.data, args.model, graph.tensors[graph.input].shape[-3:], seed=0,
                           train_per_class=20, test_per_class=50, uint8=False,
                           num_classes=classes)
    with tempfile.TemporaryDirectory(prefix="medyate-arith-") as tmp:
        ranking = Path(tmp) / "ranking.json"
        ranking.write_text(json.dumps(rank_model(args.model, args.data, seed=0)))
        document = plan_document(args.model, args.budget, ranking=ranking, policy=args.policy,
                                 method="rgn", seed=0)
        plan = Plan(document["budget_bytes"], document["layers"])
        layers = resolve_layers(graph, plan)
        specs = layer_specs(graph, layers)
        stats = {s.weight: np.asarray(json.loads(ranking.read_text())["stats"][s.weight])
                 for s in specs}
        lists = device_schedule(make_policy(args.policy, specs, plan.budget_bytes, 0, stats)
                                .schedule(0), layers)
        counts, channels = [len(c) for c in lists], [c for cs in lists for c in cs]
        x, y = data.x_test[:args.samples], data.y_test[:args.samples]
        xt, yt = data.x_train[:16], data.y_train[:16]

        def run(device) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            logits = device.evaluate(x, y, return_logits=True).logits.astype(np.float32)
            device.set_schedule(counts, channels)
            losses = np.asarray(device.train_batch(xt, yt, 0.05).losses, np.float32)
            weights = np.concatenate([np.ravel(device.read_weights(l.index)) for l in layers])
            return logits, losses, weights

        compile_model(args.model, plan, Path(tmp) / "host")
        host = run(HostModelDevice(load_private(build_host_library(Path(tmp) / "host"), "arith"),
                                   layers, classes))
        built = build_device_model(TARGET, args.model, plan, graph)
        firmwares = {"firmware as built (-ffp-contract=fast)": built.build.artifact,
                     "diagnostic firmware (-ffp-contract=off)":
                         uncontracted_firmware(built.build.options, Path(tmp) / "nofma")}
        print(f"{args.model.name}, {args.policy} plan at {args.budget}: {len(layers)} layers; "
              f"{args.samples} test images, one training step of 16 samples; {TARGET} vs host")
        print("| firmware | fused ops (vfma/vfms) | logits bit-equal | max abs diff | "
              "train losses bit-equal | max abs diff | weights after the step bit-equal | "
              "max abs diff |")
        print("|---|---|---|---|---|---|---|---|")
        for name, elf in firmwares.items():
            with Device.open_qemu(elf, expected_model_hash=built.model_hash, board="mps2-an386") as device:
                ours = run(device)
            fused = fused_ops(elf)
            where = ", ".join(f"{f} {n}" for f, n in sorted(fused.items(), key=lambda i: -i[1])[:3])
            cells = [name, f"{sum(fused.values())} ({where}{', ...' if len(fused) > 3 else ''})"]
            for a, b in zip(ours, host):
                cells += [f"{100 * np.mean(a == b):.1f}%",
                          f"{np.max(np.abs(a.astype(np.float64) - b)):.2e}"]
            print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
