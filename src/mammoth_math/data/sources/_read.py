"""Tolerant readers for source files: a corrupt line or record becomes a reject, the rest is read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mammoth_math.data.records import Reject


def iter_json_lines(path: Path, source: str) -> Iterator[tuple[int, dict[str, Any] | Reject]]:
    """Yield ``(line, object)``, or ``(line, Reject)`` for a line that is not a JSON object."""
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw.decode("utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                yield number, Reject(source, f"{source}/line{number}", "", "input", "corrupt_line", f"{path}:{number}: {e}")
                continue
            if not isinstance(obj, dict):
                yield number, Reject(source, f"{source}/line{number}", "", "input", "corrupt_line",
                                     f"{path}:{number}: not a JSON object")
                continue
            yield number, obj


def iter_json_array(path: Path, source: str) -> Iterator[tuple[int, dict[str, Any] | Reject]]:
    """Yield ``(index, object)`` for a JSON array file; a file that does not parse is one reject."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        yield 0, Reject(source, f"{source}/file", "", "input", "corrupt_file", f"{path}: {e}")
        return
    if not isinstance(data, list):
        yield 0, Reject(source, f"{source}/file", "", "input", "corrupt_file", f"{path}: not a JSON array")
        return
    for index, obj in enumerate(data):
        if isinstance(obj, dict):
            yield index, obj
        else:
            yield index, Reject(source, f"{source}/{index}", "", "input", "corrupt_line", f"{path}[{index}]: not an object")


def missing(obj: dict[str, Any], fields: tuple[str, ...], source: str, item_id: str, where: str) -> Reject | None:
    """A reject naming the first missing or non-string-like field, else None."""
    for name in fields:
        if obj.get(name) in (None, ""):
            return Reject(source, item_id, "", "input", "missing_field", f"{where}: field {name!r}")
    return None
