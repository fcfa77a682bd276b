"""The `medyate` command line. Each subcommand is a thin shell over the library; user
errors (MedyateError) print one line and exit with status 2, never a traceback."""
from __future__ import annotations

import functools
import signal
import sys
import unicodedata
from pathlib import Path
from typing import Any, Callable

import click

from medyate.codegen.errors import MedyateError
from medyate.host_tools.selection.default_method import DEFAULT_LAYER_METHOD
from medyate.codegen.formats.cli_values import (NON_NEGATIVE_INT, OUTPUT_DIR, OUTPUT_FILE,
                                                POSITIVE_FINITE, POSITIVE_INT)


def one_line(text: str) -> str:
    """Control characters (newlines in an ONNX name, say) escaped: an error is one line."""
    return "".join(ch.encode("unicode_escape").decode() if unicodedata.category(ch) in
                   ("Cc", "Zl", "Zp") else ch for ch in text.strip())


def user_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except MedyateError as exc:
            click.echo(f"error: {one_line(str(exc))}", err=True)
            sys.exit(exc.exit_code)
    return wrapper


class OneLineGroup(click.Group):
    """Usage errors (a bad option value, a missing argument) as one line, exit code 2,
    like every other user error."""

    def main(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        standalone = kwargs.pop("standalone_mode", True)
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except click.ClickException as exc:
            if not standalone:
                raise
            if isinstance(exc, getattr(click.exceptions, "NoArgsIsHelpError", ())):
                exc.show()             # bare `medyate`: the help text, as click prints it
                sys.exit(exc.exit_code)
            message = " ".join(exc.format_message().split())
            ctx = getattr(exc, "ctx", None)
            where = f"{ctx.command_path}: " if ctx is not None else ""
            click.echo(f"error: {where}{message}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            if not standalone:
                raise
            click.echo("aborted", err=True)
            sys.exit(1)


def compression_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--compress/--eps/--rank, shared by grad, compile and train."""
    for option in reversed([
        click.option("--compress", type=click.Choice(["svd", "hosvd", "asi"]),
                     help="store the saved activations compressed (every target; default: the "
                          "plan's \"compression\" entry; on a device svd/hosvd reserve the "
                          "full-rank worst case, only asi saves SRAM)"),
        click.option("--eps", type=POSITIVE_FINITE, default=0.9, show_default=True,
                     help="explained-variance threshold of svd/hosvd ranks"),
        click.option("--rank", type=POSITIVE_INT, help="fixed rank of every mode for asi"),
    ]):
        fn = option(fn)
    return fn


def board_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--board/--port/--baud, shared by grad and train (--target serial needs --port)."""
    for option in reversed([
        click.option("--board", help="board profile (`medyate boards`): its SRAM/flash "
                                     "limits on a QEMU target, its firmware on --target serial"),
        click.option("--port", help="--target serial: the board's tty (e.g. /dev/ttyACM0)"),
        click.option("--baud", type=POSITIVE_INT,
                     help="--target serial: baud rate (default: the board's, see `medyate boards`)"),
    ]):
        fn = option(fn)
    return fn


@click.group(cls=OneLineGroup)
@click.version_option(package_name="medyate")
def main() -> None:
    """Fine-tune ONNX networks on a microcontroller with dynamic sparse-channel backprop."""


def frozen_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--frozen int8|fp32: how the layers below the deepest trainable one run."""
    return click.option("--frozen", type=click.Choice(["fp32", "int8"]),
                        help="frozen backbone below the deepest trainable layer: fp32, or int8 "
                             "(post-training quantized, calibrated on the data); default: the "
                             "plan's \"frozen\" entry, else fp32")(fn)


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


@main.command("flash")
@click.argument("firmware", type=click.Path(dir_okay=False))
@click.option("--board", required=True, help="board (`medyate boards`)")
@click.option("--probe", type=click.Choice(["openocd", "pyocd"]),
              help="flashing tool (default: the first on PATH)")
@user_errors
def flash_cmd(firmware: str, board: str, probe: str | None) -> None:
    """Program FIRMWARE.elf onto a board through its debug probe, verify, reset."""
    from medyate.host_tools.commands.flash import run_flash
    run_flash(Path(firmware), board, probe)


@main.command("grad")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--plan", "plan_path", required=True, type=click.Path(dir_okay=False))
@click.option("--schedule", "schedule_path", type=click.Path(dir_okay=False))
@click.option("--inputs", "inputs_path", required=True, type=click.Path(dir_okay=False))
@click.option("--labels", "labels_path", required=True, type=click.Path(dir_okay=False))
@click.option("--target", default="reference", show_default=True)
@click.option("-o", "--output", required=True, type=OUTPUT_FILE)
@compression_options
@board_options
@frozen_option
@user_errors
def grad_cmd(model: str, plan_path: str, schedule_path: str | None, inputs_path: str,
             labels_path: str, target: str, output: str, compress: str | None, eps: float,
             rank: int | None, board: str | None, port: str | None, baud: int | None,
             frozen: str | None) -> None:
    """One forward + backward over a batch (no update); writes GRADS.npz."""
    from medyate.host_tools.commands.grad import run_grad
    run_grad(Path(model), Path(plan_path), Path(schedule_path) if schedule_path else None,
             Path(inputs_path), Path(labels_path), target, Path(output),
             compress=compress, eps=eps, rank=rank, board=board, port=port, baud=baud,
             frozen=frozen)


@main.command("compile")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--plan", "plan_path", required=True, type=click.Path(dir_okay=False))
@click.option("--target", default=None,
              help="host (default), reference, qemu-*; with --board and no --target: the "
                   "board's own firmware (ELF + HEX + BIN)")
@click.option("-o", "--output", required=True, type=OUTPUT_DIR)
@click.option("--png/--no-png", default=False, help="draw the arena over time (arena.png)")
@click.option("--board", help="board profile (`medyate boards`): CPU flags and SRAM/flash limits")
@compression_options
@frozen_option
@click.option("--data", help="calibration samples for --frozen int8 (dataset name or .npz)")
@user_errors
def compile_cmd(model: str, plan_path: str, target: str | None, output: str, png: bool,
                board: str | None, compress: str | None, eps: float, rank: int | None,
                frozen: str | None, data: str | None) -> None:
    """Lower MODEL.onnx + plan to static C (model.c, model.h, memory.json) in OUTDIR."""
    from medyate.host_tools.commands.compile import run_compile
    run_compile(Path(model), Path(plan_path), target, Path(output), png,
                compress=compress, eps=eps, rank=rank, board=board, frozen=frozen, data=data)


@main.command("rank")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--data", required=True, help="bundled dataset name or DATA .npz")
@click.option("-o", "--output", required=True, type=OUTPUT_FILE)
@click.option("--batches", default=8, show_default=True, type=POSITIVE_INT)
@click.option("--batch-size", default=16, show_default=True, type=POSITIVE_INT)
@click.option("--seed", default=0, show_default=True, type=NON_NEGATIVE_INT)
@click.option("--target", default="host", show_default=True, help="host or reference")
@click.option("--lr", default=0.01, show_default=True, type=POSITIVE_FINITE,
              help="SGD step of the ranking pass")
@click.option("--lara-budget", default="64KiB", show_default=True,
              help="budget LaRa scores layers under (our reading)")
@click.option("--png/--no-png", default=True, help="plot next to the JSON")
@click.option("--budget", help="also print the layers every --method of `medyate plan` "
                               "(rgn, lara, gain, gain-depth) picks for the medyate policy under this budget")
@user_errors
def rank_cmd(model: str, data: str, output: str, batches: int, batch_size: int, seed: int,
             target: str, lr: float, lara_budget: str, png: bool, budget: str | None) -> None:
    """Per-channel gradient norms, RGN and LaRa layer ranks; writes ranking.json."""
    from medyate.host_tools.commands.rank import run_rank
    run_rank(Path(model), data, Path(output), batches=batches, batch_size=batch_size, seed=seed,
             target=target, lr=lr, lara_budget=lara_budget, png=png, budget=budget)


@main.command("plan")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--budget", help="channel pool, e.g. 96KiB, 128kB, 65536 (required without --board; "
                                "with --board: fixed instead of the largest that fits)")
@click.option("--board", help="fit the whole device of this board (`medyate boards`)")
@click.option("--data", help="with --board: rank the layers on this dataset first")
@click.option("--frozen", type=click.Choice(["int8", "fp32"]),
              help="frozen backbone below the deepest trainable layer, recorded in plan.json for "
                   "compile/train/grad; with --board the plan accounts it (default: fp32, or int8 "
                   "when fp32 would not fit the board; the plan says which)")
@click.option("--ranking", "ranking_path", type=click.Path(dir_okay=False))
@click.option("--policy", default="medyate", show_default=True)
@click.option("--method", default=DEFAULT_LAYER_METHOD, show_default=True,
              help="layer pre-selection: rgn, lara, gain, gain-depth (docs/ranking.md)")
@click.option("--seed", default=0, show_default=True, type=NON_NEGATIVE_INT)
@click.option("-o", "--output", required=True, type=OUTPUT_FILE)
@click.option("--compress", type=click.Choice(["asi"]),
              help="charge the budget with asi-compressed saved activations (fixed ranks; "
                   "recorded as the plan's \"compression\" entry)")
@click.option("--rank", type=POSITIVE_INT, help="fixed asi rank of every mode")
@user_errors
def plan_cmd(model: str, budget: str | None, board: str | None, data: str | None,
             frozen: str | None, ranking_path: str | None, policy: str, method: str,
             seed: int, output: str, compress: str | None, rank: int | None) -> None:
    """Choose the layers POLICY may train under BUDGET, or (--board) so that the whole
    device fits; writes plan.json."""
    from medyate.host_tools.commands.plan import run_plan
    run_plan(Path(model), budget, Path(output), ranking=Path(ranking_path) if ranking_path else None,
             policy=policy, method=method, seed=seed, compress=compress, rank=rank,
             board=board, data=data, frozen=frozen)


@main.command("experiment")
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--jobs", default=2, show_default=True, type=POSITIVE_INT,
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
@click.argument("model", type=click.Path(dir_okay=False), required=False)
@click.option("--plan", "plan_path", type=click.Path(dir_okay=False))
@click.option("--data", help="dataset name (e.g. mnist, fashion-mnist[0-4]) or .npz")
@click.option("--target", default="qemu-mps2-an386", show_default=True)
@click.option("--epochs", type=POSITIVE_INT)
@click.option("--policy")
@click.option("--run", "rundir", type=click.Path(file_okay=False))
@click.option("--lr", default=0.05, show_default=True, type=POSITIVE_FINITE)
@click.option("--batch", default=8, show_default=True, type=POSITIVE_INT)
@click.option("--seed", default=0, show_default=True, type=NON_NEGATIVE_INT)
@click.option("--train-per-class", type=POSITIVE_INT, help="stratified training subset per class")
@click.option("--test-per-class", type=POSITIVE_INT, help="stratified test subset per class")
@click.option("--budget", help="override the plan's budget (e.g. 32KiB)")
@compression_options
@frozen_option
@click.option("--ranking", "ranking_path", type=click.Path(dir_okay=False),
              help="ranking.json from `medyate rank`: the offline channel importance the "
                   "medyate/det-rgn/worst policies start from")
@board_options
@click.option("--flash", "flash", is_flag=True,
              help="with --target serial: build, flash (see `medyate flash`) and run")
@click.option("--probe", type=click.Choice(["openocd", "pyocd"]),
              help="flashing tool for --flash (default: the first on PATH)")
@click.option("--overwrite", is_flag=True, help="replace the run already in RUNDIR")
@click.option("--resume", "resume_dir", type=click.Path(file_okay=False),
              help="continue the run in RUNDIR after its last finished epoch, with the "
                   "settings of its config.json")
@user_errors
def train_cmd(model: str | None, plan_path: str | None, data: str | None, target: str,
              epochs: int | None, policy: str | None, rundir: str | None, lr: float,
              batch: int, seed: int, train_per_class: int | None,
              test_per_class: int | None, budget: str | None, compress: str | None,
              eps: float, rank: int | None, ranking_path: str | None, board: str | None,
              port: str | None, baud: int | None, flash: bool, probe: str | None,
              frozen: str | None, overwrite: bool, resume_dir: str | None) -> None:
    """Fine-tune MODEL.onnx on a device; writes metrics, schedules, memory, config and
    finetuned.onnx to RUNDIR (refused if RUNDIR holds a run, unless --overwrite)."""
    from medyate.codegen.errors import MedyateError
    from medyate.host_tools.commands.train import resume_arguments, run_train
    if resume_dir is not None:
        if rundir is not None and Path(rundir) != Path(resume_dir):
            raise MedyateError("--resume RUNDIR and --run name different folders")
        rundir = resume_dir
        arguments = resume_arguments(Path(resume_dir))
    else:
        missing = [name for name, value in (("MODEL", model), ("--plan", plan_path),
                                             ("--data", data), ("--epochs", epochs),
                                             ("--policy", policy), ("--run", rundir))
                   if value is None]
        if missing:
            raise MedyateError(f"missing {', '.join(missing)} (or give --resume RUNDIR)")
        arguments = {"model": Path(model), "plan_path": Path(plan_path), "data": data,
                     "target": target, "epochs": epochs, "policy": policy, "lr": lr,
                     "batch": batch, "seed": seed, "train_per_class": train_per_class,
                     "test_per_class": test_per_class, "budget": budget,
                     "compress": compress, "eps": eps, "rank": rank,
                     "ranking": Path(ranking_path) if ranking_path else None, "board": board}
    assert rundir is not None
    received = {"signal": signal.SIGINT}

    def interrupt(signum: int, frame: object) -> None:
        received["signal"] = signal.Signals(signum)
        raise KeyboardInterrupt   # unwinds like Ctrl-C: QEMU stopped, temp folders removed

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        run_train(rundir=Path(rundir), overwrite=overwrite, resume=resume_dir is not None,
                  port=port, baud=baud, flash=flash, probe=probe, pictures=True,
                  **{"frozen": frozen, **arguments})
    except KeyboardInterrupt:
        click.echo(f"interrupted ({received['signal'].name}): {Path(rundir)} holds the last "
                   f"finished epoch (continue with --resume {rundir})", err=True)
        sys.exit(128 + int(received["signal"]))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    main()
