"""`medyate compile MODEL.onnx --plan P --target TARGET -o OUTDIR`.

Every target gets the generated C, memory.json and the planner table; `host` also builds
the native shared library and a device target the firmware image (its flash and static
RAM, read from the ELF, are added to memory.json), so a model that does not compile or
does not fit fails here rather than at `train` time.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from rich.console import Console
from rich.table import Table

from medyate.codegen.compiler import compile_model
from medyate.codegen.errors import PlanError, MedyateError
from medyate.codegen.frontend import load_graph
from medyate.codegen.ir import Graph
from medyate.codegen.plan import Plan
from medyate.codegen.quantize import CALIBRATION_SAMPLES, apply_frozen, frozen_choice
from medyate.host_tools.device.boards import Board, get_board
from medyate.host_tools.selection.compression_budget import compression_config


BOARD_TARGET = "board"      # compile --board B without --target: B's own firmware


def _check_target(target: str, board: Board | None) -> None:
    from medyate.host_tools.device.firmware_build import TARGETS
    if target == BOARD_TARGET and board is not None:
        return
    if target not in TARGETS and target != "reference":
        raise MedyateError(f"unknown target '{target}' (known: reference, "
                           f"{', '.join(sorted(TARGETS))})")
    if board is not None and target in ("host", "reference"):
        raise MedyateError(f"--board applies to firmware targets, not {target!r} (drop "
                           f"--target to build the board's own firmware)")


def _build_for_target(target: str, outdir: Path, memory: dict,
                      board: Board | None) -> tuple[str, Path | None]:
    if target == "reference":
        return "reference target: nothing to build", None
    if target == "host":
        from medyate.host_tools.device.host_model import build_host_library
        return f"host library: {build_host_library(outdir)}", None
    from medyate.host_tools.device.firmware_build import FirmwareBuildError, build_firmware
    try:
        build = build_firmware(target, outdir, board=board,
                               baud=board.baud if board is not None else None)
    except FirmwareBuildError as exc:
        where = f"board {board.name}" if board is not None else target
        raise MedyateError(f"firmware for {where} failed to build or link: "
                           f"{_link_error(str(exc))}") from None
    if build.sizes is not None:
        memory.update(flash_bytes=build.sizes.flash_bytes,
                      static_ram_bytes=build.sizes.static_ram_bytes,
                      stack_reserved_bytes=build.sizes.stack_bytes)
        if board is not None:
            memory.update(board=board.name, board_sram_bytes=board.sram_bytes,
                          board_flash_bytes=board.flash_bytes)
        (outdir / "memory.json").write_text(json.dumps(memory, indent=1))
    images = [build.artifact]
    if target == BOARD_TARGET:
        images = copy_images(build.build_dir, outdir)
    return "firmware: " + ", ".join(str(p) for p in images), build.artifact


def device_memory_entry(model: Path, plan: Plan, memory: dict, elf: Path | None,
                        compress: object = None, board_name: str | None = None,
                        frozen: str = "fp32") -> dict | None:
    """The whole-device breakdown (host_tools/selection/device_memory.py): predicted for the plan's
    board and frozen dtype beside the linked ELF's regions (None without compression
    support in the predictor, i.e. when activations are stored compressed). The board:
    board_name (a --board option), else the plan's "board" entry, else the default."""
    from medyate.codegen.frontend import load_graph
    from medyate.host_tools.device.boards import get_board
    from medyate.host_tools.selection.device_memory import predict_plan
    from medyate.host_tools.selection.memory_report import linked_breakdown, memory_record

    if compress is not None:
        return None
    planned = plan.extra.get("board")
    board = get_board(board_name or (planned if isinstance(planned, str) else None))
    predicted = predict_plan(load_graph(model), plan, pool_bytes=memory["channel_pool_bytes"],
                             frozen=frozen)
    linked = linked_breakdown(elf) if elf is not None else None
    return memory_record(predicted, linked, board)


def frozen_graph(model: Path, plan: Plan, frozen: str | None, data: str | None) -> Graph:
    """The float graph, or with its frozen prefix in int8 calibrated on DATA's training split."""
    graph = load_graph(model)
    choice = frozen_choice(frozen, plan)
    if choice == "fp32":
        return graph
    if data is None:
        if graph.quant_given:          # a QDQ model: its own scales, nothing to calibrate
            return apply_frozen(graph, plan, choice, None)
        raise MedyateError("--frozen int8 needs --data: the calibration samples")
    from medyate.host_tools.data.model_data import prepare_data
    samples = prepare_data(model, data, per_class=32).x_train
    print(f"frozen layers: int8, calibrated on {min(len(samples), CALIBRATION_SAMPLES)} samples of {data}")
    return apply_frozen(graph, plan, choice, samples)


def _link_error(text: str) -> str:
    """The linker's own overflow line when there is one (the rest is build noise)."""
    for line in text.splitlines():
        if "overflow" in line or "will not fit" in line:
            return line.strip()
    return text


def copy_images(build_dir: Path, outdir: Path) -> list[Path]:
    """firmware.elf/.hex/.bin of a board build into OUTDIR (what `medyate flash` takes)."""
    out = []
    for suffix in (".elf", ".hex", ".bin"):
        source = build_dir / f"firmware{suffix}"
        if not source.is_file():
            raise MedyateError(f"the board build produced no {source.name}")
        shutil.copyfile(source, outdir / source.name)
        out.append(outdir / source.name)
    return out


def run_compile(model: Path, plan_path: Path, target: str | None, outdir: Path, png: bool, *,
                compress: str | None = None, eps: float = 0.9, rank: int | None = None,
                board: str | None = None, frozen: str | None = None,
                data: str | None = None) -> None:
    """compress (or the plan's "compression" entry): compressed saved activations in the
    generated C (asi: fixed ranks; svd/hosvd: ranks per sample, full-rank pool reservation).
    board: on a qemu target its SRAM/flash limits; without a target its own firmware
    (ELF + HEX + BIN in OUTDIR)."""
    profile = get_board(board) if board is not None else None
    if target is None:
        target = BOARD_TARGET if profile is not None else "host"
    _check_target(target, profile)          # before anything is written
    plan = Plan.load(plan_path)
    if not plan.layers:     # the C would build, but a device image that trains nothing is a mistake
        raise PlanError(f"plan {plan_path}: the plan lists no layer to train (make one with "
                        "`medyate plan`)")
    config = compression_config(compress, eps, rank, plan)
    graph = frozen_graph(model, plan, frozen, data)
    generated, layers = compile_model(model, plan, outdir, compress=config, graph=graph)
    memory = json.loads((outdir / "memory.json").read_text())
    built, elf = _build_for_target(target, outdir, memory, profile)
    device = device_memory_entry(model, plan, memory, elf if memory.get("flash_bytes") else None,
                                 config, board, frozen_choice(frozen, plan))
    if device is not None:
        memory["device_memory"] = device
        (outdir / "memory.json").write_text(json.dumps(memory, indent=1))
    console = Console(width=120, markup=False)   # file names are not rich markup
    where = target if profile is None else (profile.name if target == BOARD_TARGET
                                            else f"{target}, board {profile.name}")
    table = Table(title=f"{model.name} -> {outdir} ({where})")
    table.add_column("memory")
    table.add_column("bytes", justify="right")
    for key in ("arena_bytes", "arena_lower_bound_bytes", "channel_pool_bytes",
                "const_weight_bytes", "ram_weight_bytes", "bias_grad_bytes", "flash_bytes",
                "static_ram_bytes"):
        if key in memory:
            table.add_row(key, f"{memory[key]:,}")
    table.add_row("arena / lower bound", f"{memory['arena_ratio']:.3f}")
    console.print(table)
    if device is not None:
        from medyate.host_tools.selection.memory_report import print_breakdown
        what = "predicted vs linked" if "linked" in device else "predicted (nothing linked)"
        print_breakdown(console, device, f"whole device: {what} ({device['board']['name']})")
    if profile is not None and "flash_bytes" in memory:
        ram = memory["static_ram_bytes"] + memory["stack_reserved_bytes"]
        console.print(f"{profile.name}: flash {memory['flash_bytes']:,} of "
                      f"{profile.flash_bytes:,} B ({memory['flash_bytes'] / profile.flash_bytes:.1%}), "
                      f"SRAM {ram:,} of {profile.sram_bytes:,} B "
                      f"({ram / profile.sram_bytes:.1%}: static {memory['static_ram_bytes']:,} + "
                      f"stack {memory['stack_reserved_bytes']:,}), read from the linked ELF")
    if "activation_compression" in memory:
        ac = memory["activation_compression"]
        console.print(f"{ac['method']} activations (every channel scheduled): "
                      f"{ac['compressed_bytes']:,} B instead of {ac['raw_bytes_replaced']:,} B raw "
                      f"over {len(ac['layers'])} layers; work buffers up to {ac['work_bytes']:,} B")
    if png:
        from medyate.host_tools.runs.arena_plot import plot_arena
        console.print(f"arena over time: {plot_arena(memory, outdir / 'arena.png')}")
    console.print(f"{len(layers)} trainable layers; wrote model.c, model.h, memory.json; {built}")
