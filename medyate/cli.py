"""The `medyate` command line. Each subcommand is a thin shell over the library; user
errors (MedyateError) print one line and exit with status 2, never a traceback."""
from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any, Callable

import click

from medyate.codegen.errors import MedyateError


def user_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except MedyateError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
    return wrapper


@click.group()
@click.version_option(package_name="medyate")
def main() -> None:
    """Fine-tune ONNX networks on a microcontroller with dynamic sparse-channel backprop."""


@main.command("import")
@click.argument("model", type=click.Path(dir_okay=False))
@user_errors
def import_cmd(model: str) -> None:
    """Load MODEL.onnx and print its layers, shapes, parameters, MACs and trainability."""
    from medyate.host_tools.commands.import_model import run_import
    run_import(Path(model))


@main.command("grad")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--plan", "plan_path", required=True, type=click.Path(dir_okay=False))
@click.option("--schedule", "schedule_path", type=click.Path(dir_okay=False))
@click.option("--inputs", "inputs_path", required=True, type=click.Path(dir_okay=False))
@click.option("--labels", "labels_path", required=True, type=click.Path(dir_okay=False))
@click.option("--target", default="reference", show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@user_errors
def grad_cmd(model: str, plan_path: str, schedule_path: str | None, inputs_path: str,
             labels_path: str, target: str, output: str) -> None:
    """One forward + backward over a batch (no update); writes GRADS.npz."""
    from medyate.host_tools.commands.grad import run_grad
    run_grad(Path(model), Path(plan_path), Path(schedule_path) if schedule_path else None,
             Path(inputs_path), Path(labels_path), target, Path(output))


@main.command("compile")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--plan", "plan_path", required=True, type=click.Path(dir_okay=False))
@click.option("--target", default="host", show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False))
@click.option("--png/--no-png", default=False, help="draw the arena over time (arena.png)")
@user_errors
def compile_cmd(model: str, plan_path: str, target: str, output: str, png: bool) -> None:
    """Lower MODEL.onnx + plan to static C (model.c, model.h, memory.json) in OUTDIR."""
    from medyate.host_tools.commands.compile import run_compile
    run_compile(Path(model), Path(plan_path), target, Path(output), png)


if __name__ == "__main__":
    main()
