"""`medyate compile MODEL.onnx --plan P --target TARGET -o OUTDIR`."""
from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from medyate.codegen.compiler import compile_model
from medyate.codegen.plan import Plan


def run_compile(model: Path, plan_path: Path, target: str, outdir: Path, png: bool) -> None:
    plan = Plan.load(plan_path)
    generated, layers = compile_model(model, plan, outdir)
    mem = generated.memory
    console = Console(width=120)
    table = Table(title=f"{model.name} -> {outdir} ({target})")
    table.add_column("memory")
    table.add_column("bytes", justify="right")
    for key in ("arena_bytes", "arena_lower_bound_bytes", "channel_pool_bytes",
                "const_weight_bytes", "ram_weight_bytes", "bias_grad_bytes"):
        table.add_row(key, f"{mem[key]:,}")
    table.add_row("arena / lower bound", f"{mem['arena_ratio']:.3f}")
    console.print(table)
    if target != "host" and target != "reference":
        from medyate.host_tools import firmware_build  # noqa: F401 - device builds: see train
    if png:
        from medyate.host_tools.arena_plot import plot_arena
        path = plot_arena(mem, outdir / "arena.png")
        console.print(f"arena over time: {path}")
    console.print(f"{len(layers)} trainable layers; wrote model.c, model.h, memory.json")
