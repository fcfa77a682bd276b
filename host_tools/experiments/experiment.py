"""Experiment harness: policies x budgets x seeds x (model, source->target task) on the
host target (the generated C compiled natively). Runs in a process pool; each process
loads its own private copy of every model library (the model state is static C).

Outputs in OUT: ``results.jsonl`` (one JSON object per run), ``results.md`` (mean +- std
over seeds and paired differences against ``trady`` with 95% t intervals) and PNG plots.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from medyate import PROJECT_ROOT
from medyate.codegen.errors import MedyateError
from medyate.host_tools.selection.budget import parse_budget
from medyate.host_tools.selection.default_method import DEFAULT_LAYER_METHOD

#: policies whose norms come from a dense host pass each epoch (TraDy's D-Det RGN oracle,
#: and the worst-pick control that inverts it)
DENSE_ORACLE_POLICIES = {"det-rgn", "worst"}
MEMORY_KEYS = ("arena_bytes", "arena_lower_bound_bytes", "channel_pool_bytes",
               "const_weight_bytes", "ram_weight_bytes", "bias_grad_bytes")
# Policies the generated C cannot run (policy -> reason). None today: the C schedules
# input channels and output-channel neurons (neq) alike.
UNSUPPORTED: dict[str, str] = {}
# A config policy entry "NAME@METHOD" (e.g. "trady@lara") runs policy NAME with layer
# pre-selection METHOD instead of the config's "method", so one sweep can compare
# TraDy's RGN layer choice with LaRa's under the same channel policy and seeds.
METHOD_SEPARATOR = "@"
#: `medyate train --batch` default: both commands train with one loop and one default.
DEFAULT_BATCH = 8


def split_policy(entry: str, default_method: str) -> tuple[str, str]:
    """'trady@lara' -> ('trady', 'lara'); a bare 'trady' -> ('trady', default_method)."""
    name, _, method = entry.partition(METHOD_SEPARATOR)
    return name, method or default_method


@dataclass(frozen=True)
class Task:
    model: str            # path (relative to the repo root or absolute)
    target: str           # dataset name of the target task
    per_class: int
    test_per_class: int

    @property
    def label(self) -> str:
        from medyate.host_tools.data.model_data import model_card
        card = model_card(resolve_path(self.model))
        return f"{Path(self.model).stem}: {card.get('dataset', '?')}->{self.target} @{self.per_class}/class"


@dataclass(frozen=True)
class RunSpec:
    task: Task
    policy: str
    budget: str
    seed: int
    epochs: int
    batch_size: int
    lr: float
    method: str
    ranking_path: str
    build_root: str
    #: where the run trains: "host" (the generated C in this process) or a device target
    #: of `medyate train` (e.g. "qemu-mps2-an386"), from the config's "target" entry
    device: str = "host"


def resolve_path(path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else PROJECT_ROOT / p


def load_config(path: Path) -> dict[str, Any]:
    from medyate.codegen.formats.experiment import read_experiment_config
    config = read_experiment_config(path)     # types and required keys
    from medyate.host_tools.selection.policies import POLICIES
    from medyate.host_tools.selection.layer_selection import LAYER_METHODS
    default_method = config.get("method", DEFAULT_LAYER_METHOD)
    entries = [split_policy(p, default_method) for p in config["policies"]]
    unknown = [name for name, _ in entries if name not in POLICIES]
    if unknown:
        raise MedyateError(f"config names unknown policies {unknown}; known: {sorted(POLICIES)}")
    bad_methods = sorted({method for _, method in entries if method not in LAYER_METHODS})
    if bad_methods:
        raise MedyateError(f"config names unknown layer methods {bad_methods}; known: {list(LAYER_METHODS)}")
    for budget in config["budgets"]:
        parse_budget(budget)
    if "warmup_epochs" in config:
        raise MedyateError(f"config {path}: 'warmup_epochs' is gone: experiments warm up like "
                           "medyate train (min(5 epochs, a tenth of the steps)); remove it")
    from medyate.host_tools.commands.train import DEVICE_OPENERS
    device = config.get("target", "host")
    known = {"host", "reference", *DEVICE_OPENERS}
    if device not in known:
        raise MedyateError(f"config 'target' {device!r} is not a target; known: {sorted(known)} "
                           "(the dataset of a task is its own 'target')")
    return config


def _tasks(config: dict[str, Any]) -> list[Task]:
    return [Task(t["model"], t["target"], int(t["per_class"]), int(t.get("test_per_class", 50)))
            for t in config["tasks"]]


# ---------------------------------------------------------------- ranking pass
def rank_tasks(config: dict[str, Any], out: Path) -> dict[tuple[Task, int], Path]:
    """One ranking pass per (task, seed) on that seed's training subset (serial: the
    ranking library is shared)."""
    from medyate.host_tools.data.model_data import prepare_data
    from medyate.host_tools.selection.ranking import rank_model
    rank = config.get("rank", {})
    paths: dict[tuple[Task, int], Path] = {}
    (out / "rankings").mkdir(parents=True, exist_ok=True)
    for task in _tasks(config):
        model = resolve_path(task.model)
        for seed in config["seeds"]:
            path = out / "rankings" / f"{model.stem}-{task.target}-{task.per_class}-s{seed}.json"
            if not path.exists():
                data = prepare_data(model, task.target, per_class=task.per_class, seed=seed)
                doc = rank_model(model, task.target, batches=int(rank.get("batches", 4)),
                                 batch_size=int(rank.get("batch_size", 16)), seed=seed,
                                 target="host", dataset=data)
                path.write_text(json.dumps(doc))
            paths[(task, seed)] = path
    return paths


# ---------------------------------------------------------------------- one run
def _locked_build(key: str, build_root: Path, model: Path, plan: Any) -> tuple[Path, dict[str, Any]]:
    """Compile + build once per plan; concurrent workers wait for each other."""
    from medyate.codegen.compiler import compile_model
    from medyate.host_tools.device.host_model import build_host_library
    outdir = build_root / key
    build_root.mkdir(parents=True, exist_ok=True)
    with open(build_root / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        compile_model(model, plan, outdir)
        lib = build_host_library(outdir)
        memory = json.loads((outdir / "memory.json").read_text())
    return lib, memory


_MODELS: dict[str, Any] = {}


def base_record(spec: RunSpec) -> dict[str, Any]:
    """The fields every record of a run has, whatever its outcome."""
    return {"model": Path(spec.task.model).stem, "task": spec.task.label,
            "target": spec.task.target, "per_class": spec.task.per_class,
            "policy": spec.policy, "budget": spec.budget,
            "budget_bytes": parse_budget(spec.budget), "seed": spec.seed,
            "epochs": spec.epochs, "method": split_policy(spec.policy, spec.method)[1]}


def run_one(spec: RunSpec) -> dict[str, Any]:
    """One training run; never raises for an infeasible or unsupported combination."""
    from medyate.codegen.frontend import load_graph
    from medyate.codegen.plan import Plan, resolve_layers
    from medyate.host_tools.commands.plan import plan_document
    from medyate.host_tools.device.host_model import load_private
    from medyate.host_tools.device.host_trainer import dense_norm_oracle
    from medyate.host_tools.selection.policies import make_policy
    from medyate.host_tools.data.model_data import prepare_data
    from medyate.host_tools.selection.ranking import layer_specs

    record = base_record(spec)
    policy_name, method = split_policy(spec.policy, spec.method)
    if policy_name in UNSUPPORTED:
        return {**record, "status": "unsupported", "reason": UNSUPPORTED[policy_name]}
    start = time.perf_counter()
    model_path = resolve_path(spec.task.model)
    try:
        plan_dict = plan_document(model_path, spec.budget, ranking=Path(spec.ranking_path),
                                  policy=policy_name, method=method, seed=spec.seed)
    except MedyateError as exc:
        cause = exc.__cause__ or exc.__context__
        return {**record, "status": "infeasible", "reason": str(exc),
                "required_bytes": getattr(cause, "required_bytes", None)}
    if spec.device != "host":
        try:
            outcome = run_on_device(spec, model_path, plan_dict, policy_name)
        except MedyateError as exc:     # e.g. the firmware does not fit the board
            return {**record, "status": "infeasible", "reason": str(exc)}
        return {**record, **outcome, "status": "ok",
                "seconds": round(time.perf_counter() - start, 2)}
    # Compile only what the C needs (layers + budget) so seeds share one library.
    plan = Plan(plan_dict["budget_bytes"], plan_dict["layers"])
    # keyed by the model's bytes, not its path: Ray workers unpack it in a fresh folder
    key = hashlib.sha256(json.dumps([hashlib.sha256(model_path.read_bytes()).hexdigest(),
                                     plan.to_dict()], sort_keys=True).encode()).hexdigest()[:16]
    lib, memory = _locked_build(key, Path(spec.build_root), model_path, plan)
    graph = load_graph(model_path)
    layers = resolve_layers(graph, plan)
    specs = layer_specs(graph, layers)
    ranking = json.loads(Path(spec.ranking_path).read_text())
    stats = {s.weight: np.asarray(ranking["stats"][s.weight]) for s in specs}
    host = _MODELS.get(str(lib)) or load_private(lib, f"p{os.getpid()}")
    _MODELS[str(lib)] = host
    host.reset_weights()
    data = prepare_data(model_path, spec.task.target, per_class=spec.task.per_class,
                        seed=spec.seed, test_per_class=spec.task.test_per_class)
    options = dict(plan_dict.get("policy_options", {}))
    if policy_name in DENSE_ORACLE_POLICIES:   # the paper's oracle: a dense host pass
        options["dense_norms"] = dense_norm_oracle(host, graph, layers, data.x_train,
                                                   data.y_train, seed=spec.seed)
    policy = make_policy(policy_name, specs, plan.budget_bytes, spec.seed, stats, **options)
    classes = int(graph.tensors[graph.output].size)
    summary = _train_like_medyate_train(host, model_path, graph, layers, policy, policy_name,
                                        data, classes, spec)
    initial, metrics = summary.initial_test_accuracy, summary.epochs
    return {**record, "status": "ok", "layers": [l["weight"] for l in plan.layers],
            "initial_accuracy": initial,
            "accuracy_per_epoch": [m["test_accuracy"] for m in metrics],
            "final_accuracy": metrics[-1]["test_accuracy"],
            "train_loss_per_epoch": [m["train_loss"] for m in metrics],
            "schedule_cost_bytes": [m["cost_bytes"] for m in metrics],
            "channels_per_epoch": [m["scheduled_channels"] for m in metrics],
            "memory_compile_time": {k: memory[k] for k in MEMORY_KEYS if k in memory},
            "memory_note": "host target: compile-time figures from memory.json; no device measurement",
            "seconds": round(time.perf_counter() - start, 2)}


def _train_like_medyate_train(host: Any, model_path: Path, graph: Any, layers: list, policy: Any,
                              policy_name: str, data: Any, classes: int, spec: RunSpec,
                              run_dir: Path | None = None) -> Any:
    """The training loop of `medyate train` (DeviceTrainer: data order, warm-up, learning
    rate per step, channel-norm feedback), on the host library; run files go to a
    temporary folder unless run_dir is given."""
    import tempfile
    from rich.console import Console
    from medyate.host_tools.device.device_training import DeviceTrainer, TrainConfig, TrainData
    from medyate.host_tools.device.host_device import HostModelDevice
    from medyate.host_tools.runs.run_files import RunFiles
    with tempfile.TemporaryDirectory(prefix="medyate-experiment-") as tmp:
        trainer = DeviceTrainer(
            HostModelDevice(host, layers, classes), model=model_path, graph=graph,
            layers=layers, policy=policy, policy_name=policy_name,
            data=TrainData(data.x_train, data.y_train, data.x_test, data.y_test),
            config=TrainConfig(spec.epochs, spec.lr, spec.batch_size, spec.seed),
            run=RunFiles(run_dir or Path(tmp)), preloaded=False, console=Console(quiet=True),
            checkpoint=False)
        return trainer.train()


def run_on_device(spec: RunSpec, model_path: Path, plan_dict: dict[str, Any],
                  policy_name: str) -> dict[str, Any]:
    """A device-in-the-loop run: `medyate train` on spec.device into a scratch run folder."""
    import tempfile
    from rich.console import Console
    from medyate.host_tools.commands.train import run_train
    with tempfile.TemporaryDirectory(prefix="medyate-sweep-run-") as tmp:
        plan_path = Path(tmp) / "plan.json"
        plan_path.write_text(json.dumps(plan_dict))
        summary = run_train(model_path, plan_path, spec.task.target, spec.device, spec.epochs,
                            policy_name, Path(tmp) / "run", lr=spec.lr, batch=spec.batch_size,
                            seed=spec.seed, train_per_class=spec.task.per_class,
                            test_per_class=spec.task.test_per_class,
                            ranking=Path(spec.ranking_path), console=Console(quiet=True))
        memory = json.loads((Path(tmp) / "run" / "memory.json").read_text())
    epochs = summary.epochs
    return {"device": spec.device, "layers": [l["weight"] for l in plan_dict["layers"]],
            "initial_accuracy": summary.initial_test_accuracy,
            "accuracy_per_epoch": [m["test_accuracy"] for m in epochs],
            "final_accuracy": epochs[-1]["test_accuracy"],
            "train_loss_per_epoch": [m["train_loss"] for m in epochs],
            "schedule_cost_bytes": [m["cost_bytes"] for m in epochs],
            "channels_per_epoch": [m["scheduled_channels"] for m in epochs],
            "memory_compile_time": {k: memory[k] for k in MEMORY_KEYS if k in memory},
            "measured_peak_sram_bytes": memory.get("measured_peak_sram_bytes"),
            "memory_note": f"{spec.device}: peak SRAM measured on the device"}


# -------------------------------------------------------------------- the sweep
def expand(config: dict[str, Any], rankings: dict[tuple[Task, int], Path], out: Path) -> list[RunSpec]:
    build_root = str(out / "build")
    return [RunSpec(task, policy, budget, int(seed), int(config["epochs"]),
                    int(config.get("batch_size", DEFAULT_BATCH)), float(config.get("lr", 0.05)),
                    config.get("method", DEFAULT_LAYER_METHOD), str(rankings[(task, seed)]), build_root,
                    str(config.get("target", "host")))
            for task in _tasks(config) for budget in config["budgets"]
            for policy in config["policies"] for seed in config["seeds"]]


def run_experiment(config_path: Path, out: Path, jobs: int = 2, *, engine: str = "local",
                   address: str | None = None, fresh: bool = False,
                   progress: bool = True) -> list[dict[str, Any]]:
    """Runs the config's grid on `engine` ("local" process pool or "ray"). results.jsonl is a
    journal: a rerun skips the runs already finished there (same parameters, model and
    code), so a killed sweep continues where it stopped; `fresh` starts over."""
    from medyate.host_tools.experiments.experiment_engines import make_engine
    from medyate.host_tools.experiments.experiment_journal import read_journal, rewrite_journal, run_key
    from medyate.host_tools.experiments.experiment_report import write_report
    from medyate.host_tools.experiments.sweep_progress import SweepProgress
    config = load_config(config_path)
    runner = make_engine(engine, jobs, address)
    out.mkdir(parents=True, exist_ok=True)
    journal = out / "results.jsonl"
    if fresh:
        journal.unlink(missing_ok=True)
        shutil.rmtree(out / "rankings", ignore_errors=True)
    rankings = rank_tasks(config, out)
    specs = expand(config, rankings, out)
    rank_settings = config.get("rank", {})
    done = read_journal(journal)
    wanted = {run_key(s, rank_settings) for s in specs}
    results = [record for key, record in done.items() if key in wanted]   # journal order
    rewrite_journal(journal, results)
    todo = [s for s in specs if run_key(s, rank_settings) not in done]
    started = time.perf_counter()
    with open(journal, "a") as sink, SweepProgress(len(specs), len(results), progress) as bar:
        def record_result(spec: RunSpec, record: dict[str, Any]) -> None:
            record = {**record, "run_key": run_key(spec, rank_settings)}
            results.append(record)
            sink.write(json.dumps(record) + "\n")
            sink.flush()
            bar.advance(failed=record["status"] == "failed")
        runner.run(todo, record_result)
    write_report(results, out, config, config_path.name, time.perf_counter() - started, jobs)
    return results


def spec_dict(spec: RunSpec) -> dict[str, Any]:
    return asdict(spec)
