"""Where the runs of a sweep execute: a local process pool (default) or a Ray cluster.

Both engines take the same list of :class:`RunSpec` and call ``on_result`` once per run as
it finishes, in completion order; a run that raises becomes a ``"failed"`` record with its
error, and the sweep goes on. A run is deterministic in its parameters, so both engines
give the same rows (tested).

Ray (``pip install medyate[ray]``): every run is a task declaring one CPU. The files a run
reads (model, its external data and model card, the ranking, an .npz dataset) travel with
the task as bytes, so the cluster needs no shared filesystem; each node keeps its own
build cache. Without ``--address`` a local Ray instance is started; with one, the driver
joins that cluster (``ray start --head`` / ``ray start --address``).
"""
from __future__ import annotations

import os
import shutil
import tempfile
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, Callable, Protocol

from medyate.codegen.errors import MedyateError

from medyate.host_tools.experiments.experiment_journal import code_version
from medyate.host_tools.experiments.experiment import RunSpec, Task, base_record, resolve_path, run_one

OnResult = Callable[[RunSpec, dict[str, Any]], None]


def run_guarded(spec: RunSpec) -> dict[str, Any]:
    """run_one, with any exception turned into a 'failed' record (the sweep goes on)."""
    try:
        return run_one(spec)
    except BaseException as exc:  # noqa: BLE001 - a failed run is recorded, not raised
        if isinstance(exc, KeyboardInterrupt):
            raise
        where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        try:
            record = base_record(spec)
        except Exception:  # noqa: BLE001 - the spec itself may be what is broken
            record = {"policy": spec.policy, "budget": spec.budget, "seed": spec.seed}
        return {**record, "status": "failed", "error": f"{type(exc).__name__}: {exc}",
                "where": f"{Path(where.filename).name}:{where.lineno}" if where else None}


class Engine(Protocol):
    def run(self, specs: list[RunSpec], on_result: OnResult) -> None: ...


class LocalEngine:
    """A process pool on this machine; each process keeps its own model libraries."""

    def __init__(self, jobs: int = 2, address: str | None = None) -> None:
        if address is not None:
            raise MedyateError("--address needs --engine ray")
        self.jobs = max(1, jobs)

    def run(self, specs: list[RunSpec], on_result: OnResult) -> None:
        with ProcessPoolExecutor(max_workers=self.jobs) as pool:
            pending: dict[Future[dict[str, Any]], RunSpec] = {
                pool.submit(run_guarded, spec): spec for spec in specs}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    on_result(pending.pop(future), future.result())


# ------------------------------------------------------------------------------ Ray
def _bundle_files(spec: RunSpec) -> dict[str, bytes]:
    """The files one run reads, by the name they take in the worker's folder."""
    model = resolve_path(spec.task.model)
    files = {model.name: model.read_bytes()}
    card = model.with_suffix(".json")
    if card.is_file():
        files[card.name] = card.read_bytes()
    for name in _external_data_names(model):
        files[name] = (model.parent / name).read_bytes()
    files["ranking.json"] = Path(spec.ranking_path).read_bytes()
    dataset = Path(spec.task.target)
    if dataset.suffix == ".npz" and resolve_path(spec.task.target).is_file():
        files["data-" + dataset.name] = resolve_path(spec.task.target).read_bytes()
    return files


def _external_data_names(model: Path) -> list[str]:
    """External-data files an ONNX model names (exported by torch's dynamo exporter)."""
    import onnx
    from onnx.external_data_helper import _get_all_tensors, uses_external_data
    proto = onnx.load(str(model), load_external_data=False)
    names = set()
    for tensor in _get_all_tensors(proto):
        if uses_external_data(tensor):
            for entry in tensor.external_data:
                if entry.key == "location":
                    names.add(entry.value)
    return sorted(names)


def _run_in_worker(spec_fields: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
    """Runs on a Ray worker: unpack the bundle into a private folder, run, clean up."""
    work = Path(tempfile.mkdtemp(prefix="medyate-ray-run-"))
    try:
        for name, payload in files.items():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            (work / name).write_bytes(payload)
        task = Task(**spec_fields.pop("task"))
        original_target = task.target
        model_name = Path(task.model).name
        data_name = "data-" + Path(task.target).name
        task = replace(task, model=str(work / model_name),
                       target=str(work / data_name) if data_name in files else task.target)
        build_root = Path(tempfile.gettempdir()) / f"medyate-ray-build-{os.getuid()}"
        spec = RunSpec(task=task, **{**spec_fields, "ranking_path": str(work / "ranking.json"),
                                     "build_root": str(build_root)})
        record = run_guarded(spec)
        # the record names the dataset as the config did, not by the worker's copy
        return {key: value.replace(task.target, original_target) if isinstance(value, str)
                else value for key, value in record.items()}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """A HOST:PORT that nothing answers on is named at once: ray.init would retry it
    forever. Other address forms ("auto", "ray://...") are left to Ray."""
    import socket

    host, sep, port = address.rpartition(":")
    if not sep or not host or "/" in address or not port.isdigit():
        return
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s):
            pass
    except OSError as exc:
        raise MedyateError(f"cannot reach the Ray cluster at {address} ({exc.strerror or exc}); "
                           "start it with `ray start --head` or check --address") from None


def _send_auth_token() -> None:
    """A client joining a cluster must present the cluster's token when it has one:
    Ray >= 2.5x enables token authentication on new clusters and saves the token to
    ~/.ray/auth_token (or takes RAY_AUTH_TOKEN), but a client only sends it in
    RAY_AUTH_MODE=token; without it the connection retries forever, unauthenticated."""
    if "RAY_AUTH_MODE" in os.environ:
        return
    if os.environ.get("RAY_AUTH_TOKEN") or (Path.home() / ".ray" / "auth_token").is_file():
        os.environ["RAY_AUTH_MODE"] = "token"


def _worker_code_version() -> str:
    """code_version() as a plain function (Ray cannot decorate its cached wrapper)."""
    return code_version()


def check_cluster_code(worker_version: str, address: str | None) -> None:
    """Ray workers import the medyate installed on their node, not the client's: a
    cluster running other code would answer every run with that code's behaviour."""
    if worker_version != code_version():
        raise MedyateError(
            f"the Ray cluster at {address or 'the local instance'} runs other medyate code "
            f"(version {worker_version[:12]}) than this client ({code_version()[:12]}); "
            "install the same medyate on every node")


class RayEngine:
    """Every run a Ray task with one CPU; results as they finish."""

    def __init__(self, jobs: int = 2, address: str | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise MedyateError("--engine ray needs Ray: pip install 'medyate[ray]'") from None
        self.ray = ray
        self.jobs, self.address = max(1, jobs), address

    def _start(self) -> None:
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                   "ignore_reinit_error": True}
        try:
            if self.address:
                _check_reachable(self.address)
                _send_auth_token()
                self.ray.init(address=self.address, **options)
            else:
                self.ray.init(num_cpus=self.jobs, **options)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = self.address or "a local instance"
            raise MedyateError(f"cannot start Ray ({where}): {exc}") from None

    def run(self, specs: list[RunSpec], on_result: OnResult) -> None:
        self._start()
        try:
            # num_cpus=0: the probe runs even while the cluster's CPUs are busy
            probe = self.ray.remote(num_cpus=0, max_retries=0)(_worker_code_version)
            check_cluster_code(self.ray.get(probe.remote()), self.address)
            remote = self.ray.remote(num_cpus=1, max_retries=0)(_run_in_worker)
            pending = {}
            for spec in specs:
                pending[remote.remote(asdict(spec), _bundle_files(spec))] = spec
            while pending:
                done, _ = self.ray.wait(list(pending), num_returns=1)
                for ref in done:
                    spec = pending.pop(ref)
                    on_result(spec, self.ray.get(ref))
        finally:
            if not self.address:
                self.ray.shutdown()


ENGINES: dict[str, type] = {"local": LocalEngine, "ray": RayEngine}


def make_engine(name: str, jobs: int, address: str | None) -> Engine:
    try:
        engine_class = ENGINES[name]
    except KeyError:
        raise MedyateError(f"unknown engine {name!r}; known: {', '.join(ENGINES)}") from None
    return engine_class(jobs=jobs, address=address)
