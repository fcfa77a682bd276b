"""`medyate train`: fine-tune MODEL.onnx on a device target, one schedule per epoch.

    run_train(model, plan_path, data, target, epochs, policy, rundir, lr=0.05, batch=8,
              seed=0, train_per_class=None, test_per_class=None, budget=None,
              compress=None, eps=0.9, rank=None)

compress (svd|hosvd|asi, or the plan's "compression" entry): saved activations stored
compressed; compiled targets implement asi only. memory.json then carries
"activation_compression" (host_tools/selection/compression_budget.py).
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
from rich.console import Console

from medyate.codegen.errors import DataError, MedyateError
from medyate.codegen.compiler import compile_model
from medyate.codegen.frontend import load_graph
from medyate.codegen.compression import CompressionConfig
from medyate.codegen.ir import Graph
from medyate.codegen.quantize import apply_frozen, frozen_choice
from medyate.codegen.plan import Plan, Schedule, TrainLayer
from medyate.host_tools.selection.budget import parse_budget
from medyate.host_tools.selection.compression_budget import (compressed_specs, compression_config,
                                                   device_run_stats,
                                                   run_compression_record)
from medyate.host_tools.data.model_data import check_labels_for_model, prepare_device_data
from medyate.host_tools.device.device import Device, ModelHashMismatch
from medyate.host_tools.device.device_model import DeviceModel, build_device_model
from medyate.host_tools.device.device_training import (PRELOAD_LIMIT_BYTES, DeviceTrainer,
                                                TrainConfig, TrainData, TrainSummary,
                                                preload_image_bytes, warmup_steps_for,
                                                write_preload_image)
from medyate.host_tools.device.link import LinkError
from medyate.host_tools.selection.policies import POLICIES, make_policy
from medyate.host_tools.selection.ranking import layer_specs, load_ranking
from medyate.host_tools.device.reference_device import ReferenceDevice
from medyate.host_tools.runs.run_files import RunFiles
from medyate.host_tools.runs.run_folder import RunFolder
from medyate.host_tools.device.boards import Board
from medyate.host_tools.device.qemu import MACHINES, PRELOAD_BASES, TARGET_MACHINES
from medyate.host_tools.device.flashing import flash_firmware
from medyate.host_tools.device.serial_target import (SERIAL_TARGET, SerialDevice,
                                              check_board_options, check_handshake, describe_line_failure,
                                              line_baud, open_serial_device)

#: How each target is opened once its firmware is built (artifact, preload image or None).
DeviceOpener = Callable[[Path, str, Path | None], Device]


def _qemu_opener(machine: str) -> DeviceOpener:
    return lambda artifact, model_hash, preload: Device.open_qemu(
        artifact, expected_model_hash=model_hash, preload=preload, board=machine)


DEVICE_OPENERS: dict[str, DeviceOpener] = {
    **{target: _qemu_opener(machine) for target, machine in TARGET_MACHINES.items()},
    "host": lambda artifact, model_hash, preload: Device.open_host(
        artifact, expected_model_hash=model_hash),
}
#: Emulated machines with a PSRAM the dataset is preloaded into (the others stream).
PRELOADING_TARGETS = {target for target, machine in TARGET_MACHINES.items()
                      if MACHINES[machine] in PRELOAD_BASES}


def load_train_data(data: str, model: Path, input_shape: tuple[int, ...], *, seed: int,
                    train_per_class: int | None, test_per_class: int | None,
                    uint8: bool = True, num_classes: int | None = None) -> TrainData:
    dataset, u8 = prepare_device_data(model, data, per_class=train_per_class, seed=seed,
                                      test_per_class=test_per_class)
    if num_classes is not None:
        check_labels_for_model(dataset, num_classes, data)
    if tuple(dataset.x_train.shape[1:]) != tuple(input_shape):
        raise DataError(f"samples are {tuple(dataset.x_train.shape[1:])}, the model takes "
                        f"{tuple(input_shape)}")
    return TrainData(dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test,
                     u8 if uint8 else None)


def ranking_stats(ranking: Path | None, specs: list) -> dict[str, np.ndarray] | None:
    """Per-channel mean gradient norms of the plan's layers from a ranking.json."""
    if ranking is None:
        return None
    stats = load_ranking(ranking)["stats"]
    missing = [s.weight for s in specs if s.weight not in stats]
    if missing:
        raise MedyateError(f"ranking {ranking} has no statistics for '{missing[0]}': rerun "
                           "medyate rank on this model")
    return {s.weight: np.asarray(stats[s.weight], dtype=np.float64) for s in specs}


def open_device(target: str, built: DeviceModel, data: TrainData, config: TrainConfig,
                tmp: Path, console: Console) -> tuple[Device, bool]:
    """Opens the device (hello + model hash check); (device, samples preloaded?)."""
    preload = None
    if target in PRELOADING_TARGETS and preload_image_bytes(data, config.epochs) <= PRELOAD_LIMIT_BYTES:
        preload = write_preload_image(tmp / "dataset.bin", data, config)
    try:
        device = DEVICE_OPENERS[target](built.build.artifact, built.model_hash, preload)
    except ModelHashMismatch as exc:
        raise MedyateError(str(exc)) from None
    except (LinkError, OSError, RuntimeError) as exc:
        raise MedyateError(f"cannot talk to the {target} device: {exc}") from None
    preloaded = preload is not None and device.info is not None and \
        device.info.preload_capacity >= preload.stat().st_size
    console.print(f"device: {device.description}; samples "
                  f"{'preloaded into PSRAM' if preloaded else 'streamed over the serial line'}")
    return device, preloaded


def run_config(model: Path, plan: Plan, plan_path: Path, data: str, target: str,
               config: TrainConfig, policy: str, *, train_per_class: int | None,
               test_per_class: int | None, budget: str | None, compress: str | None,
               eps: float, rank: int | None, ranking: Path | None, steps_per_epoch: int,
               warmup_steps: int, board: str | None = None,
               frozen: str | None = None) -> dict:
    """RUNDIR/config.json: everything needed to replay (or resume) the run."""
    from medyate import __version__
    return {
        "format": "medyate-run-config/1", "medyate_version": __version__,
        "model": str(model.resolve()),
        "model_sha256": hashlib.sha256(model.read_bytes()).hexdigest(),
        "plan_path": str(plan_path.resolve()), "plan": plan.to_dict(),
        "budget": budget, "data": data, "train_per_class": train_per_class,
        "test_per_class": test_per_class, "subsample_seed": config.seed,
        "target": target, "board": board, "frozen": frozen, "policy": policy,
        "ranking": None if ranking is None else str(ranking.resolve()),
        "epochs": config.epochs, "batch": config.batch, "seed": config.seed,
        "lr": {"base": config.lr, "schedule": "linear warm-up then cosine to 0, per SGD step",
               "warmup_steps": warmup_steps, "steps_per_epoch": steps_per_epoch,
               "total_steps": steps_per_epoch * config.epochs},
        "data_order": "numpy default_rng([seed, 1000 + epoch]).permutation(train samples)",
        "compression": {"method": compress, "eps": eps, "rank": rank},
    }


def resume_arguments(rundir: Path) -> dict:
    """run_train's arguments as config.json of RUNDIR recorded them."""
    try:
        doc = json.loads((rundir / "config.json").read_text())
    except (OSError, ValueError) as exc:
        raise MedyateError(f"nothing to resume in {rundir}: cannot read config.json "
                           f"({exc})") from None
    try:
        model = Path(doc["model"])
        if not model.is_file() or \
                hashlib.sha256(model.read_bytes()).hexdigest() != doc["model_sha256"]:
            raise MedyateError(f"cannot resume {rundir}: its model {model} is missing or has "
                               "changed since the run started")
        return {"model": model, "plan_path": Path(doc["plan_path"]),
                "data": doc["data"], "target": doc["target"], "epochs": int(doc["epochs"]),
                "policy": doc["policy"], "lr": float(doc["lr"]["base"]),
                "batch": int(doc["batch"]), "seed": int(doc["seed"]),
                "train_per_class": doc["train_per_class"],
                "test_per_class": doc["test_per_class"], "budget": doc["budget"],
                "compress": doc["compression"]["method"], "eps": doc["compression"]["eps"],
                "board": doc.get("board"), "frozen": doc.get("frozen"),
                "rank": doc["compression"]["rank"],
                "ranking": Path(doc["ranking"]) if doc["ranking"] else None,
                "plan_document": doc["plan"]}
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MedyateError(f"{rundir}/config.json is not a medyate run config: {exc}") from None


def run_train(model: Path, plan_path: Path, data: str, target: str, epochs: int, policy: str,
              rundir: Path, *, lr: float = 0.05, batch: int = 8, seed: int = 0,
              train_per_class: int | None = None, test_per_class: int | None = None,
              budget: str | None = None, console: Console | None = None,
              compress: str | None = None, eps: float = 0.9,
              rank: int | None = None, ranking: Path | None = None,
              board: str | None = None, port: str | None = None, baud: int | None = None,
              flash: bool = False, probe: str | None = None,
              pictures: bool = False, frozen: str | None = None, overwrite: bool = False,
              resume: bool = False, plan_document: dict | None = None) -> TrainSummary:
    """board: limits on a QEMU target, the real board on target "serial" (with port and
    baud; flash: build and flash it first). pictures: also draw RUNDIR/curves.png and
    memory.png (the CLI does; sweeps that call this per run leave it off: matplotlib
    costs seconds per run on a loaded machine). frozen: fp32 or int8 (calibrated on the
    training split); default the plan's "frozen" entry, else fp32. Every argument is
    checked before RUNDIR is touched; the run writes beside RUNDIR and publishes each
    finished epoch atomically (host_tools/runs/run_folder.py); overwrite replaces a finished
    run, resume continues it."""
    console = console or Console(markup=False)   # model and file names are not markup
    if target not in DEVICE_OPENERS and target not in ("reference", SERIAL_TARGET):
        raise MedyateError(f"unknown target {target!r} (known: reference, "
                           f"{', '.join(sorted([*DEVICE_OPENERS, SERIAL_TARGET]))})")
    board_profile = check_board_options(target, board, port, baud, flash)
    if epochs < 1 or batch < 1 or not lr > 0 or not math.isfinite(lr):
        raise MedyateError("--epochs and --batch must be >= 1 and --lr a finite number > 0")
    if policy not in POLICIES:
        raise MedyateError(f"unknown policy {policy!r}; known: {', '.join(sorted(POLICIES))}")
    if ranking is not None and not ranking.is_file():
        raise MedyateError(f"ranking file not found: {ranking}")
    if not model.is_file():
        raise MedyateError(f"model file not found: {model}")
    graph = load_graph(model)
    plan = Plan.from_dict(plan_document) if plan_document is not None else Plan.load(plan_path)
    if budget is not None:
        plan = Plan(parse_budget(budget), plan.layers, plan.extra)
    compression = compression_config(compress, eps, rank, plan)
    input_shape = graph.tensors[graph.input].shape
    train_data = load_train_data(data, model, input_shape[-3:], seed=seed,
                                 train_per_class=train_per_class,
                                 test_per_class=test_per_class, uint8=target != "reference",
                                 num_classes=graph.tensors[graph.output].size)
    frozen = frozen_choice(frozen, plan)
    graph = apply_frozen(graph, plan, frozen, train_data.x_train)   # int8: calibrated on it
    if target != "reference":       # an int8-input model's samples travel as int8
        train_data = train_data.with_int8_input(graph)
    console.print(f"frozen layers: {frozen}")
    config = TrainConfig(epochs, lr, batch, seed)
    folder = RunFolder(rundir, overwrite=overwrite, resume=resume)
    folder.check()
    try:
        run = RunFiles(folder.work, fresh=not resume)
        steps = math.ceil(len(train_data.x_train) / batch)
        if not resume:
            run.write_config(run_config(
                model, plan, plan_path, data, target, config, policy,
                train_per_class=train_per_class, test_per_class=test_per_class, budget=budget,
                compress=compress, eps=eps, rank=rank, ranking=ranking, steps_per_epoch=steps,
                warmup_steps=warmup_steps_for(steps, epochs), board=board, frozen=frozen))
        summary, memory = _train_in_folder(
            run, folder, rundir, model, graph, plan, compression, train_data, config, target,
            policy, seed, ranking, resume, console, board, board_profile, port, baud, flash,
            probe, pictures, frozen)
        folder.publish()
    finally:
        folder.discard()
    if memory["measured_peak_sram_bytes"] is None:
        console.print(f"peak SRAM: not measured on the {target} target; planned arena "
                      f"{memory['arena_bytes']} B; run files in {rundir}")
    else:
        console.print(f"measured peak SRAM {memory['measured_peak_sram_bytes']} B (static RAM "
                      f"{memory['static_ram_bytes']} B + stack high-water "
                      f"{memory['measured_stack_bytes']} B); planned arena "
                      f"{memory['arena_bytes']} B (lower bound "
                      f"{memory['arena_lower_bound_bytes']} B); run files in {rundir}")
    return summary



def _train_in_folder(run: RunFiles, folder: RunFolder, rundir: Path, model: Path, graph: Graph,
                     plan: Plan, compression: CompressionConfig | None, train_data: TrainData,
                     config: TrainConfig, target: str, policy: str, seed: int,
                     ranking: Path | None, resume: bool, console: Console, board: str | None,
                     board_profile: "Board | None", port: str | None, baud: int | None,
                     flash: bool, probe: str | None, pictures: bool,
                     frozen: str) -> tuple[TrainSummary, dict]:
    """Builds, opens the device and trains into the work folder `run` (published by the
    caller); each finished epoch is published on the way."""
    with tempfile.TemporaryDirectory(prefix="medyate-train-") as tmp:
        if target == "reference":
            built = None
            compiled, layers = compile_model(model, plan, Path(tmp) / "model", graph=graph,
                                             compress=compression)
            compiled_memory, sizes, full_memory = compiled.memory, None, False
            device, preloaded = ReferenceDevice(graph, layers, compression), False
            console.print(f"{model.name}: {len(layers)} trainable layers on the reference "
                          f"target (numpy); planned arena {compiled_memory['arena_bytes']} B")
        else:
            early = None          # serial: the port and the board are checked before the build
            if target == SERIAL_TARGET and not flash:
                assert board_profile is not None and port is not None
                early = open_serial_device(port, board_profile,
                                           baud=line_baud(board_profile, baud) or 0)
            try:
                built = build_device_model(target, model, plan, graph, compress=compression,
                                           board=board_profile,
                                           baud=line_baud(board_profile, baud))
            except BaseException:
                if early is not None:
                    early.close()
                raise
            layers, compiled_memory = built.layers, built.memory
            sizes, full_memory = built.build.sizes, built.full_memory
            console.print(f"compiled {model.name}: {len(layers)} trainable layers, arena "
                          f"{compiled_memory['arena_bytes']} B, channel pool "
                          f"{compiled_memory['channel_pool_bytes']} B; firmware "
                          f"{built.build.artifact}")
        try:
            specs = compressed_specs(graph, layers, layer_specs(graph, layers), compression,
                                     target)
            chooser = make_policy(policy, specs, plan.budget_bytes, seed,
                                  stats=ranking_stats(ranking, specs))
        except (KeyError, ValueError, TypeError) as exc:
            raise MedyateError(f"policy {policy!r}: {exc}") from None
        whole_device = None
        if built is not None:
            from medyate.host_tools.commands.compile import device_memory_entry
            elf = built.build.artifact if built.build.sizes is not None else None  # ARM ELF
            whole_device = device_memory_entry(model, plan, compiled_memory, elf, compression,
                                               board, frozen)
        if built is not None and target == SERIAL_TARGET:
            assert board_profile is not None and port is not None
            device, preloaded = open_serial(built, board_profile, port,
                                            line_baud(board_profile, baud), flash, probe, console,
                                            early)
        elif built is not None:
            device, preloaded = open_device(target, built, train_data, config, Path(tmp), console)
        with device:
            run.write_memory(compiled_memory, sizes, device.memory_report(), target=target,
                             full_memory=full_memory, device_memory=whole_device)
            trainer = DeviceTrainer(device, model=model, graph=graph, layers=layers,
                                    policy=chooser, policy_name=policy, data=train_data,
                                    config=config, run=run, preloaded=preloaded, console=console,
                                    clock_hz=board_profile.clock_hz if board_profile else None,
                                    on_epoch=lambda record: folder.publish())
            try:
                summary = trainer.train(resume=resume)
            except (LinkError, OSError) as exc:
                if target == SERIAL_TARGET:
                    raise MedyateError(describe_line_failure(
                        exc, str(port), len(trainer_epochs(run)), str(rundir))) from None
                if isinstance(exc, LinkError):
                    raise MedyateError(f"device link failed: {exc}") from None
                raise
            finally:
                memory = run.write_memory(compiled_memory, sizes, _safe_memory_report(device),
                                          target=target, full_memory=full_memory,
                                          device_memory=whole_device)
                if compression is not None:
                    memory["activation_compression"] = _compression_record(
                        compression, device, graph, layers, run, compiled_memory)
                    _replace_json(run.memory, memory)
            line = device.throughput() if isinstance(device, SerialDevice) else None
    record = {"initial_test_accuracy": summary.initial_test_accuracy,
              "final_test_accuracy": summary.epochs[-1]["test_accuracy"] if summary.epochs else None,
              "memory": memory}
    if board_profile is not None:
        record["board"] = board_profile.name
    if line is not None:
        record["serial_line"] = line.to_dict()
        console.print(f"serial line {port}: {line.bytes_sent:,} B sent, {line.bytes_received:,} B "
                      f"received in {line.seconds:.1f} s ({line.bytes_per_second / 1e3:.1f} kB/s "
                      f"both ways on average over the run, device compute included)")
    _replace_json(run.rundir / "summary.json", record)
    _write_pictures(run.rundir, memory, summary, console, pictures, shown_dir=rundir)
    return summary, memory


def _replace_json(path: Path, doc: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1) + "\n")
    os.replace(tmp, path)



def open_serial(built: DeviceModel, board: Board, port: str, baud: int | None, flash: bool,
                probe: str | None, console: Console,
                early: SerialDevice | None = None) -> tuple[Device, bool]:
    """(--flash: flash the built firmware, then) open the tty and check the handshake;
    early: the device already opened before the build (its model is checked now)."""
    assert baud is not None
    if early is not None:
        try:
            check_handshake(early, board, built.model_hash, built.memory, port)
        except BaseException:
            early.close()
            raise
        device = early
    else:
        if flash:
            flash_firmware(built.build.artifact, board, probe)
            console.print(f"flashed {built.build.artifact} onto {board.name}")
        device = open_serial_device(port, board, baud=baud,
                                    expected_model_hash=built.model_hash, memory=built.memory)
    device.restart_throughput()
    console.print(f"device: {device.description}, counts {device.info.timer_unit if device.info else '?'}; "
                  f"samples streamed over the serial line")
    return device, False


def trainer_epochs(run: RunFiles) -> list[str]:
    """Completed epochs: the lines of metrics.jsonl written so far."""
    path = run.metrics
    return [l for l in path.read_text().splitlines() if l.strip()] if path.is_file() else []


def _compression_record(config: CompressionConfig, device: Device | ReferenceDevice,
                        graph: Graph, layers: list[TrainLayer], run: RunFiles,
                        compiled_memory: dict) -> dict:
    """Reference: the executor's per-sample log (ranks vary with eps); compiled targets:
    the fixed asi sizes the generated C lays out for each epoch's schedule."""
    if isinstance(device, ReferenceDevice):
        return run_compression_record(config, device.executor.compression_stats(),
                                      "reference executor: stored arrays per sample over the run")
    schedules = [Schedule.from_dict(json.loads(line))
                 for line in run.schedules.read_text().splitlines() if line.strip()]
    return run_compression_record(config, device_run_stats(graph, layers, schedules, config),
                                  "generated C layout (fixed ranks) for each epoch's schedule",
                                  compiled_memory.get("activation_compression"))


def _write_pictures(rundir: Path, memory: dict, summary: TrainSummary, console: Console,
                    draw: bool, shown_dir: Path) -> None:
    """The predicted/linked/measured table when the run has the whole-device breakdown
    (device targets); with draw, RUNDIR/curves.png and (breakdown known) memory.png."""
    if "device_memory" in memory:
        from medyate.host_tools.selection.memory_report import print_breakdown
        print_breakdown(console, memory["device_memory"], "whole device: predicted (plan) vs "
                        "linked (ELF) vs measured (device stack high-water)")
    if not draw:
        return
    from medyate.host_tools.runs.run_plots import plot_curves, plot_memory, read_metrics

    pictures = [plot_curves(read_metrics(rundir / "metrics.jsonl"), rundir / "curves.png",
                            summary.initial_test_accuracy)]
    if "device_memory" in memory:
        pictures.append(plot_memory(memory, rundir / "memory.png"))
    # drawn in the run's work folder, shown where they will be once the run is published
    console.print("pictures: " + ", ".join(str(shown_dir / p.name) for p in pictures),
                  soft_wrap=True)  # a path broken over two lines cannot be copied


def _safe_memory_report(device: Device):  # type: ignore[no-untyped-def]
    """The end-of-run memory report, unless the device is gone (then None)."""
    try:
        return device.memory_report()
    except (LinkError, OSError):
        return None
