"""schedule.json, format medyate-schedule/1 (architecture.md):

    {"format": "medyate-schedule/1", "epoch": 0,
     "channels": {"<weight initializer name>": [0, 5, 17], ...},
     "output_channels": {...}}            (optional, NEq neurons)

Channel ranges depend on the model and are checked against it (plan.Schedule.for_layers);
here: integers, not negative, no channel twice. Lines of a run's schedules.jsonl are
schedule documents too (plus cost_bytes)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from .fields import Channel, Name, NonNegInt, Strict
from .jsonfile import read_json_file, validate

SCHEDULE_FORMAT = "medyate-schedule/1"

ChannelMap = dict[Name, list[Channel]]


def _distinct(channels: dict[str, list[int]]) -> dict[str, list[int]]:
    for name, chans in channels.items():
        if len(set(chans)) != len(chans):
            twice = next(c for c in chans if chans.count(c) > 1)
            raise ValueError(f"'{name}' lists channel {twice} twice")
    return channels


class ScheduleDocument(Strict):
    format: Literal["medyate-schedule/1"]
    epoch: NonNegInt = 0
    channels: ChannelMap = Field(default_factory=dict)
    output_channels: ChannelMap = Field(default_factory=dict)

    _check_channels = field_validator("channels", "output_channels")(classmethod(
        lambda cls, v: _distinct(v)))


def check_schedule(data: Any, where: str = "schedule") -> ScheduleDocument:
    return validate(ScheduleDocument, data, where)


def read_schedule(path: str | Path) -> ScheduleDocument:
    return check_schedule(read_json_file(path, "schedule"), f"schedule {path}")
