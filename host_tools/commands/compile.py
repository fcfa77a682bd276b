"""`medyate compile MODEL.onnx --plan P --target TARGET -o OUTDIR`.

Every target gets the generated C, memory.json and the planner table; `host` also builds
the native shared library and a device target the firmware image (its flash and static
RAM, read from the ELF, are added to memory.json), so a model that does not compile or
does not fit fails here rather than at `train` time.
"""
from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from medyate.codegen.compiler import compile_model
from medyate.codegen.errors import MedyateError
from medyate.codegen.frontend import load_graph
from medyate.codegen.ir import Graph
from medyate.codegen.plan import Plan
from medyate.codegen.quantize import CALIBRATION_SAMPLES, apply_frozen, frozen_choice
from medyate.host_tools.compression_budget import compression_config


def _check_target(target: str) -> None:
    from medyate.host_tools.firmware_build import TARGETS
    if target not in TARGETS and target != "reference":
        raise MedyateError(f"unknown target '{target}' (known: reference, "
                           f"{', '.join(sorted(TARGETS))})")


def _build_for_target(target: str, outdir: Path, memory: dict) -> str:
    if target == "reference":
        return "reference target: nothing to build"
    if target == "host":
        from medyate.host_tools.host_model import build_host_library
        return f"host library: {build_host_library(outdir)}"
    from medyate.host_tools.firmware_build import FirmwareBuildError, build_firmware
    try:
        build = build_firmware(target, outdir)
    except FirmwareBuildError as exc:
        raise MedyateError(f"firmware for {target} failed to build or link: {exc}") from None
    if build.sizes is not None:
        memory.update(flash_bytes=build.sizes.flash_bytes,
                      static_ram_bytes=build.sizes.static_ram_bytes,
                      stack_reserved_bytes=build.sizes.stack_bytes)
        (outdir / "memory.json").write_text(json.dumps(memory, indent=1))
    return f"firmware: {build.artifact}"


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
    from medyate.host_tools.model_data import prepare_data
    samples = prepare_data(model, data, per_class=32).x_train
    print(f"frozen layers: int8, calibrated on {min(len(samples), CALIBRATION_SAMPLES)} samples of {data}")
    return apply_frozen(graph, plan, choice, samples)


def run_compile(model: Path, plan_path: Path, target: str, outdir: Path, png: bool, *,
                compress: str | None = None, eps: float = 0.9, rank: int | None = None,
                frozen: str | None = None, data: str | None = None) -> None:
    """compress (or the plan's "compression" entry): compressed saved activations in the
    generated C (asi: fixed ranks; svd/hosvd: ranks per sample, full-rank pool reservation)."""
    _check_target(target)          # before anything is written
    plan = Plan.load(plan_path)
    config = compression_config(compress, eps, rank, plan)
    graph = frozen_graph(model, plan, frozen, data)
    generated, layers = compile_model(model, plan, outdir, compress=config, graph=graph)
    memory = json.loads((outdir / "memory.json").read_text())
    built = _build_for_target(target, outdir, memory)
    console = Console(width=120)
    table = Table(title=f"{model.name} -> {outdir} ({target})")
    table.add_column("memory")
    table.add_column("bytes", justify="right")
    for key in ("arena_bytes", "arena_lower_bound_bytes", "channel_pool_bytes",
                "const_weight_bytes", "ram_weight_bytes", "bias_grad_bytes", "flash_bytes",
                "static_ram_bytes"):
        if key in memory:
            table.add_row(key, f"{memory[key]:,}")
    table.add_row("arena / lower bound", f"{memory['arena_ratio']:.3f}")
    console.print(table)
    if "activation_compression" in memory:
        ac = memory["activation_compression"]
        console.print(f"{ac['method']} activations (every channel scheduled): "
                      f"{ac['compressed_bytes']:,} B instead of {ac['raw_bytes_replaced']:,} B raw "
                      f"over {len(ac['layers'])} layers; work buffers up to {ac['work_bytes']:,} B")
    if png:
        from medyate.host_tools.arena_plot import plot_arena
        console.print(f"arena over time: {plot_arena(memory, outdir / 'arena.png')}")
    console.print(f"{len(layers)} trainable layers; wrote model.c, model.h, memory.json; {built}")
