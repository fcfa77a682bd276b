"""One strict reader per file format the user hands to medyate.

Every reader in the code goes through these modules: a file that is not what its
format says is refused with one line naming the file and the field (a MedyateError
subclass, exit code 2), before any of its values reach the compiler or a device.

    jsonfile      UTF-8 JSON without duplicate keys or NaN; pydantic errors -> one line
    plan_doc      plan.json          (medyate-plan/1)
    schedule_doc  schedule.json      (medyate-schedule/1; also schedules.jsonl lines)
    ranking_doc   ranking.json       (medyate-ranking/1)
    model_card    models/NAME.json   (medyate-model-card/1)
    experiment    experiment configs (experiments/*.json)
    data          DATA .npz, grad --inputs/--labels .npy, label range, finiteness
    cli_values    --lr, --seed, counts and output paths
    onnx_file     ONNX names that are not UTF-8
"""
from __future__ import annotations

from .jsonfile import FormatError, read_json_file, validate

__all__ = ["FormatError", "read_json_file", "validate"]
