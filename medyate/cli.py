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


def compression_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--compress/--eps/--rank, shared by grad, compile and train."""
    for option in reversed([
        click.option("--compress", type=click.Choice(["svd", "hosvd", "asi"]),
                     help="store the saved activations compressed (every target; default: the "
                          "plan's \"compression\" entry; on a device svd/hosvd reserve the "
                          "full-rank worst case, only asi saves SRAM)"),
        click.option("--eps", type=float, default=0.9, show_default=True,
                     help="explained-variance threshold of svd/hosvd ranks"),
        click.option("--rank", type=int, help="fixed rank of every mode for asi"),
    ]):
        fn = option(fn)
    return fn


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


@main.command("boards")
@user_errors
def boards_cmd() -> None:
    """List the boards (--board NAME) with CPU, SRAM, flash, clock and UART."""
    from medyate.host_tools.commands.boards import run_boards
    run_boards()


@main.command("grad")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--plan", "plan_path", required=True, type=click.Path(dir_okay=False))
@click.option("--schedule", "schedule_path", type=click.Path(dir_okay=False))
@click.option("--inputs", "inputs_path", required=True, type=click.Path(dir_okay=False))
@click.option("--labels", "labels_path", required=True, type=click.Path(dir_okay=False))
@click.option("--target", default="reference", show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@compression_options
@user_errors
def grad_cmd(model: str, plan_path: str, schedule_path: str | None, inputs_path: str,
             labels_path: str, target: str, output: str, compress: str | None, eps: float,
             rank: int | None) -> None:
    """One forward + backward over a batch (no update); writes GRADS.npz."""
    from medyate.host_tools.commands.grad import run_grad
    run_grad(Path(model), Path(plan_path), Path(schedule_path) if schedule_path else None,
             Path(inputs_path), Path(labels_path), target, Path(output),
             compress=compress, eps=eps, rank=rank)


@main.command("compile")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--plan", "plan_path", required=True, type=click.Path(dir_okay=False))
@click.option("--target", default="host", show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False))
@click.option("--png/--no-png", default=False, help="draw the arena over time (arena.png)")
@compression_options
@user_errors
def compile_cmd(model: str, plan_path: str, target: str, output: str, png: bool,
                compress: str | None, eps: float, rank: int | None) -> None:
    """Lower MODEL.onnx + plan to static C (model.c, model.h, memory.json) in OUTDIR."""
    from medyate.host_tools.commands.compile import run_compile
    run_compile(Path(model), Path(plan_path), target, Path(output), png,
                compress=compress, eps=eps, rank=rank)


@main.command("rank")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--data", required=True, help="bundled dataset name or DATA .npz")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.option("--batches", default=8, show_default=True)
@click.option("--batch-size", default=16, show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--target", default="host", show_default=True, help="host or reference")
@click.option("--lr", default=0.01, show_default=True, help="SGD step of the ranking pass")
@click.option("--lara-budget", default="64KiB", show_default=True,
              help="budget LaRa scores layers under (our reading)")
@click.option("--png/--no-png", default=True, help="plot next to the JSON")
@user_errors
def rank_cmd(model: str, data: str, output: str, batches: int, batch_size: int, seed: int,
             target: str, lr: float, lara_budget: str, png: bool) -> None:
    """Per-channel gradient norms, RGN and LaRa layer ranks; writes ranking.json."""
    from medyate.host_tools.commands.rank import run_rank
    run_rank(Path(model), data, Path(output), batches=batches, batch_size=batch_size, seed=seed,
             target=target, lr=lr, lara_budget=lara_budget, png=png)


@main.command("plan")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--budget", required=True, help="e.g. 96KiB, 128kB, 65536")
@click.option("--ranking", "ranking_path", type=click.Path(dir_okay=False))
@click.option("--policy", default="medyate", show_default=True)
@click.option("--method", default="rgn", show_default=True, type=click.Choice(["rgn", "lara"]))
@click.option("--seed", default=0, show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.option("--compress", type=click.Choice(["asi"]),
              help="charge the budget with asi-compressed saved activations (fixed ranks; "
                   "recorded as the plan's \"compression\" entry)")
@click.option("--rank", type=int, help="fixed asi rank of every mode")
@user_errors
def plan_cmd(model: str, budget: str, ranking_path: str | None, policy: str, method: str,
             seed: int, output: str, compress: str | None, rank: int | None) -> None:
    """Choose the layers POLICY may train under BUDGET; writes plan.json."""
    from medyate.host_tools.commands.plan import run_plan
    run_plan(Path(model), budget, Path(output), ranking=Path(ranking_path) if ranking_path else None,
             policy=policy, method=method, seed=seed, compress=compress, rank=rank)


@main.command("experiment")
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--jobs", default=2, show_default=True, type=click.IntRange(min=1),
              help="worker processes (local) or CPUs of the local Ray instance")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="results directory (default: next to the config, named after it)")
@click.option("--engine", default="local", show_default=True, type=click.Choice(["local", "ray"]),
              help="local process pool, or Ray (one task per run; pip install 'medyate[ray]')")
@click.option("--address", help="join this Ray cluster (e.g. 10.0.0.5:6379) instead of "
                                "starting a local instance")
@click.option("--fresh", is_flag=True, help="start over instead of skipping the runs "
                                            "already in results.jsonl")
@user_errors
def experiment_cmd(config: str, jobs: int, out_dir: str | None, engine: str,
                   address: str | None, fresh: bool) -> None:
    """Policies x budgets x seeds x tasks; JSON lines, table, plots. Resumable."""
    from medyate.host_tools.commands.experiment import run_experiment_cmd
    run_experiment_cmd(Path(config), jobs, Path(out_dir) if out_dir else None,
                       engine=engine, address=address, fresh=fresh)


@main.command("train")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--plan", "plan_path", required=True, type=click.Path(dir_okay=False))
@click.option("--data", required=True, help="dataset name (e.g. mnist, fashion-mnist[0-4]) or .npz")
@click.option("--target", default="qemu-mps2-an386", show_default=True)
@click.option("--epochs", required=True, type=int)
@click.option("--policy", required=True)
@click.option("--run", "rundir", required=True, type=click.Path(file_okay=False))
@click.option("--lr", default=0.05, show_default=True, type=float)
@click.option("--batch", default=8, show_default=True, type=int)
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--train-per-class", type=int, help="stratified training subset per class")
@click.option("--test-per-class", type=int, help="stratified test subset per class")
@click.option("--budget", help="override the plan's budget (e.g. 32KiB)")
@compression_options
@click.option("--ranking", "ranking_path", type=click.Path(dir_okay=False),
              help="ranking.json from `medyate rank`: the offline channel importance the "
                   "medyate/det-rgn/worst policies start from")
@user_errors
def train_cmd(model: str, plan_path: str, data: str, target: str, epochs: int, policy: str,
              rundir: str, lr: float, batch: int, seed: int, train_per_class: int | None,
              test_per_class: int | None, budget: str | None, compress: str | None,
              eps: float, rank: int | None, ranking_path: str | None) -> None:
    """Fine-tune MODEL.onnx on a device; writes metrics, schedules, memory and finetuned.onnx to RUNDIR."""
    from medyate.host_tools.commands.train import run_train
    try:
        run_train(Path(model), Path(plan_path), data, target, epochs, policy, Path(rundir),
                  lr=lr, batch=batch, seed=seed, train_per_class=train_per_class,
                  test_per_class=test_per_class, budget=budget, compress=compress, eps=eps,
                  rank=rank, ranking=Path(ranking_path) if ranking_path else None)
    except KeyboardInterrupt:
        click.echo(f"interrupted: {Path(rundir) / 'finetuned.onnx'} holds the last finished epoch",
                   err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
