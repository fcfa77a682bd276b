"""What a sweep has already done: ``results.jsonl`` as a journal keyed by run.

A run's key hashes its full parameters (task, policy, budget, seed, epochs, batch, lr,
warm-up, layer method, ranking-pass settings), the bytes of its model and the code
version (the package version and a digest of the compiler, runtime and firmware
sources), so a rerun of the same config skips exactly the runs that would give the same
numbers, and any change to the model or the code runs them again. Failed runs are
retried; ``--fresh`` starts a new journal.
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from medyate import PROJECT_ROOT, __version__

from medyate.host_tools.experiments.experiment import RunSpec, resolve_path

#: statuses a rerun keeps (a 'failed' run is tried again)
FINISHED = {"ok", "infeasible", "unsupported"}
SOURCE_FOLDERS = ("codegen", "host_tools", "runtime_c", "firmware", "medyate")
SOURCE_SUFFIXES = {".py", ".c", ".h", ".j2", ".ld", ".in", ".cmake", ".txt", ".S"}


@lru_cache(maxsize=1)
def code_version() -> str:
    digest = hashlib.sha256(__version__.encode())
    for folder in SOURCE_FOLDERS:
        root = PROJECT_ROOT / folder
        for path in sorted(root.rglob("*")):
            if path.suffix in SOURCE_SUFFIXES and path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
                digest.update(path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"


@lru_cache(maxsize=None)
def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def run_key(spec: RunSpec, rank_settings: dict[str, Any]) -> str:
    model = resolve_path(spec.task.model)
    dataset = resolve_path(spec.task.target)
    params = {"task": [spec.task.model, spec.task.target, spec.task.per_class,
                       spec.task.test_per_class],
              "model_sha": _file_digest(model),
              "data_sha": _file_digest(dataset) if dataset.suffix == ".npz" and dataset.is_file() else None,
              "policy": spec.policy, "budget": spec.budget, "seed": spec.seed,
              "epochs": spec.epochs, "batch_size": spec.batch_size, "lr": spec.lr,
              "warmup": "medyate-train", "method": spec.method,
              "rank": rank_settings, "device": spec.device, "code": code_version()}
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:20]


def read_journal(path: Path) -> dict[str, dict[str, Any]]:
    """Finished runs by key; a torn last line (a killed writer) is ignored."""
    done: dict[str, dict[str, Any]] = {}
    if not path.is_file():
        return done
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and record.get("status") in FINISHED and "run_key" in record:
            done[record["run_key"]] = record
    return done


def rewrite_journal(path: Path, records: list[dict[str, Any]]) -> None:
    """Keeps only the finished records (drops failed attempts and torn lines), atomically."""
    tmp = path.with_suffix(".jsonl.tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in records))
    tmp.replace(path)
