"""Measured figures of the emulated boards (docs/boards.md): fine-tune the shipped
mbv2_mnist (its last --layers layers, 16 KiB channel budget) on every QEMU target that fits
it and through `--target serial` on a QEMU pty; print peak SRAM, flash, instructions per
training sample, wall-clock samples/s and the serial line's average throughput.

    python bench/boards.py [--epochs 2] [--per-class 3] [--layers 1]

QEMU counts instructions (-icount shift=0), not cycles; wall-clock rates depend on the
host's load. Real boards are not measured here (none attached).
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from medyate import PROJECT_ROOT
from medyate.codegen.errors import MedyateError
from medyate.codegen.frontend import load_graph
from medyate.codegen.plan import Plan
from medyate.host_tools.device.boards import get_board
from medyate.host_tools.commands.train import run_train
from medyate.host_tools.device.device_model import build_device_model
from medyate.host_tools.device.qemu import QemuProcess

MODEL = Path(PROJECT_ROOT) / "models" / "mbv2_mnist.onnx"
TARGETS = ["qemu-mps2-an386", "qemu-mps2-an500", "qemu-netduinoplus2"]
SERIAL_BOARDS = ["mps2-an386", "netduinoplus2"]


def row(name: str, run: Path) -> list[str]:
    metrics = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines()]
    summary = json.loads((run / "summary.json").read_text())
    memory = summary["memory"]
    line = summary.get("serial_line")
    last = metrics[-1]
    unit = "instructions" if "device_instructions" in last else "cycles"
    return [name, f"{memory['measured_peak_sram_bytes']:,}", f"{memory['flash_bytes']:,}",
            f"{last[f'{unit}_per_training_sample']:,} {unit}", f"{last['samples_per_second']}",
            last["data_path"],
            "-" if line is None else f"{line['bytes_per_second'] / 1e3:.1f} kB/s"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--per-class", type=int, default=3)
    parser.add_argument("--layers", type=int, default=1, help="trainable layers (the last ones)")
    args = parser.parse_args()
    console = Console(width=160)
    graph = load_graph(MODEL)
    full = Plan.all_layers(graph, 16 * 1024)
    table = Table(title=f"{MODEL.name}, last {args.layers} layers, {args.per_class} samples/class, "
                        f"{args.epochs} epochs (measured under QEMU 7.2 on this host)")
    for column in ("target", "peak SRAM B", "flash B", "per training sample", "samples/s",
                   "samples via", "serial line"):
        table.add_column(column)
    with tempfile.TemporaryDirectory() as tmp:
        plan = Path(tmp) / "plan.json"
        plan.write_text(json.dumps(Plan(full.budget_bytes, full.layers[-args.layers:]).to_dict()))
        options = dict(lr=0.1, batch=8, seed=1, train_per_class=args.per_class,
                       test_per_class=1, console=Console(quiet=True))
        for target in TARGETS:
            run = Path(tmp) / target
            try:
                run_train(MODEL, plan, "mnist", target, args.epochs, "trady", run, **options)
            except MedyateError as exc:
                table.add_row(target, "does not fit", "", str(exc)[:60], "", "", "")
                continue
            table.add_row(*row(target, run))
        for name in SERIAL_BOARDS:
            board = get_board(name)
            try:
                built = build_device_model("serial", MODEL, Plan.load(plan), graph, board=board,
                                           baud=board.baud)
            except MedyateError as exc:
                table.add_row(f"serial ({name}, pty)", "does not fit", "", str(exc)[:60], "", "", "")
                continue
            run = Path(tmp) / f"serial-{name}"
            with QemuProcess(built.build.artifact, board=board.firmware_dir, serial="pty") as qemu:
                run_train(MODEL, plan, "mnist", "serial", args.epochs, "trady", run,
                          board=name, port=qemu.pty_path, **options)
            table.add_row(*row(f"serial ({name}, pty)", run))
    console.print(table)


if __name__ == "__main__":
    main()
