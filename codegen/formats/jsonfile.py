"""Strict JSON files: UTF-8, no duplicate keys, no NaN/Infinity, one-line errors."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import MedyateError

M = TypeVar("M", bound=BaseModel)

#: Refuse absurd integers early (JSON has no limit; C and numpy do).
MAX_INT = 2**62


class FormatError(MedyateError):
    """A file (or value) that does not follow its format."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json_text(text: str | bytes, where: str) -> Any:
    """A JSON document from raw text/bytes, strictly (see module doc)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError(f"{where}: not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except _DuplicateKey as exc:
        raise FormatError(f"{where}: key {_short(exc.key)} appears twice in one object") from None
    except json.JSONDecodeError as exc:
        raise FormatError(f"{where}: not valid JSON: {exc.msg} at line {exc.lineno} "
                          f"column {exc.colno}") from None
    except (ValueError, RecursionError) as exc:
        raise FormatError(f"{where}: not valid JSON: {_one_line(str(exc)) or 'too deeply nested'}") from None


def read_json_file(path: str | Path, what: str) -> Any:
    """The JSON value in PATH, or a FormatError naming the file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FormatError(f"{what} file not found: {path}") from None
    except IsADirectoryError:
        raise FormatError(f"{what} {path} is a directory, not a file") from None
    except OSError as exc:
        raise FormatError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    return parse_json_text(raw, f"{what} {path}")


def validate(model: type[M], data: Any, where: str) -> M:
    """DATA checked against the pydantic MODEL (strict), or a one-line FormatError
    naming WHERE and the first wrong field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise FormatError(f"{where}: {describe(exc)}") from None


def describe(exc: ValidationError) -> str:
    """The first error of a pydantic ValidationError as 'field: problem (got X)'."""
    err = exc.errors(include_url=False)[0]
    field = field_path(err["loc"])
    got = "" if err["type"] == "missing" else f" (got {_short(err.get('input'))})"
    message = _one_line(err["msg"]).removeprefix("Value error, ")
    return f"{field}: {message}{got}" if field else f"{message}{got}"


def field_path(loc: tuple[Any, ...]) -> str:
    """('channels', 'conv1.weight', 0) -> "channels['conv1.weight'][0]" (keys that are not
    plain identifiers, such as initializer names, in brackets)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).isidentifier():
            out += ("." if out else "") + str(part)
        else:
            out += f"[{_short(str(part))}]"
    return out


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value) if not isinstance(value, float) or math.isfinite(value) else str(value)
    text = _one_line(text)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _one_line(text: str) -> str:
    return " ".join(text.split())
