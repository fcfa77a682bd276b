"""Experiment configs (experiments/*.json, `medyate experiment CONFIG`): the sweep of
policies x budgets x seeds x tasks and the training settings."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, StrictStr

from medyate.host_tools.selection.default_method import DEFAULT_LAYER_METHOD

from .fields import Name, NonNegFloat, NonNegInt, PosFloat, PosInt, Strict
from .jsonfile import read_json_file, validate


class Task(Strict):
    model: Name
    target: Name               # the dataset (name or .npz), as the harness calls it
    per_class: PosInt
    test_per_class: PosInt = 50


class RankSettings(Strict):
    batches: PosInt = 4
    batch_size: PosInt = 16


class ExperimentConfig(Strict):
    name: str = ""
    target: Name = "host"       # where the runs train (a device target)
    policies: list[Name]
    budgets: list[StrictStr | PosInt]
    seeds: list[NonNegInt]
    epochs: PosInt
    tasks: list[Task]
    batch_size: PosInt = 16
    lr: PosFloat = 0.05
    warmup_epochs: NonNegFloat = 1.0
    method: Name = DEFAULT_LAYER_METHOD
    rank: RankSettings = Field(default_factory=RankSettings)
    comparisons: list[list[Name]] = Field(default_factory=list)


def read_experiment_config(path: str | Path) -> dict[str, Any]:
    data = read_json_file(path, "experiment config")
    validate(ExperimentConfig, data, f"experiment config {path}")
    return data
