"""Command-line values that click's own types would let through: a finite positive
--lr (click's FloatRange accepts NaN), and output paths that can be written (not under
a file, not in /proc or /sys). Bad values are one line and exit code 2."""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import click

#: Kernel pseudo-filesystems: writing there is never a medyate output.
_PSEUDO_FS = (Path("/proc"), Path("/sys"), Path("/dev"))


class PositiveFinite(click.ParamType):
    """A float that is finite and > 0 (learning rates, eps)."""

    name = "positive number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number) or number <= 0:
            self.fail(f"{value!r} must be a finite number > 0", param, ctx)
        return number


POSITIVE_FINITE = PositiveFinite()
NON_NEGATIVE_INT = click.IntRange(min=0, max=2**32 - 1)
POSITIVE_INT = click.IntRange(min=1, max=2**31 - 1)


def output_problem(path: Path, *, directory: bool) -> str | None:
    """Why PATH cannot be written as an output file (or folder), or None."""
    resolved = Path(os.path.abspath(path))
    for pseudo in _PSEUDO_FS:
        if resolved == pseudo or pseudo in resolved.parents:
            return f"{path} is in {pseudo}, a kernel pseudo-filesystem"
    if resolved.exists():
        if directory and not resolved.is_dir():
            return f"{path} exists and is not a folder"
        if not directory and resolved.is_dir():
            return f"{path} is a folder, not a file"
    ancestor = resolved if directory and resolved.is_dir() else resolved.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"{path} is under {ancestor}, which is a file, not a folder"
    if not directory and ancestor != resolved.parent:
        # the writers do not create folders for a file: say so before the work is done
        return f"{path} cannot be written: the folder {resolved.parent} does not exist"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"{path} cannot be written ({ancestor} is not writable)"
    return None


class OutputPath(click.ParamType):
    """An output file (or folder) path that can be created."""

    name = "path"

    def __init__(self, *, directory: bool = False) -> None:
        self.directory = directory

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        problem = output_problem(Path(value), directory=self.directory)
        if problem:
            self.fail(problem, param, ctx)
        return str(value)


OUTPUT_FILE = OutputPath()
OUTPUT_DIR = OutputPath(directory=True)
