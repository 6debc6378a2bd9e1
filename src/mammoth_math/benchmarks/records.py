"""Raw benchmark records with their origin (file and line), read from the MAmmoTH file layout.

Every record remembers where it came from, so a missing or mistyped field fails as
``InputError`` naming the file, the line and the field. JSON arrays are scanned record by record
to recover each record's line; JSONL and the MATH tree (one JSON per problem) are read as such.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mammoth_math.files import InputError, iter_jsonl, read_json


@dataclass(frozen=True)
class Record:
    """One raw item of a benchmark file."""

    data: dict[str, Any]
    path: str  # the file (or hub dataset id) it came from
    line: int | None  # 1-based line where the record starts, where known
    index: int  # 0-based position in the benchmark: the stable part of a problem id

    def get(self, name: str, types: type | tuple[type, ...] = object) -> Any:
        """The field ``name``, required and of one of ``types``; else :class:`InputError`."""
        if name not in self.data:
            raise InputError(self.path, "missing", line=self.line, field=name)
        value = self.data[name]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in _as_tuple(types)):
            want = " or ".join(t.__name__ for t in _as_tuple(types))
            raise InputError(self.path, f"expected {want}, got {type(value).__name__} {value!r:.60}", self.line, name)
        return value

    def fail(self, name: str, message: str) -> InputError:
        return InputError(self.path, message, line=self.line, field=name)


def _as_tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def read_json_array(path: str | Path) -> list[Record]:
    """Records of a file holding one JSON array of objects, each with the line it starts on."""
    text = Path(path).read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    pos = _skip(text, 0)
    if not text.startswith("[", pos):
        read_json(path)  # raises with the position when the file is not JSON at all
        raise InputError(path, "expected a JSON array of records", line=text.count("\n", 0, pos) + 1)
    pos = _skip(text, pos + 1)
    records: list[Record] = []
    while not text.startswith("]", pos):
        line = text.count("\n", 0, pos) + 1
        try:
            obj, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            raise InputError(path, f"invalid JSON ({e.msg}, column {e.colno})", line=e.lineno) from None
        if not isinstance(obj, dict):
            raise InputError(path, f"expected a JSON object, got {type(obj).__name__}", line=line)
        records.append(Record(obj, str(path), line, len(records)))
        pos = _skip(text, pos)
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)
        elif not text.startswith("]", pos):
            raise InputError(path, "expected ',' or ']' between records", line=text.count("\n", 0, pos) + 1)
    return records


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def read_jsonl(path: str | Path) -> list[Record]:
    """Records of a JSON-lines file (blank lines skipped)."""
    return [Record(obj, str(path), line, i) for i, (line, obj) in enumerate(iter_jsonl(path))]


def read_json_tree(root: str | Path) -> list[Record]:
    """One record per ``<subfolder>/<name>.json`` under ``root`` (the original MATH release layout).

    Ordered by subject, then by numeric file name, so indices are stable; the record's
    ``data`` gains ``_subject`` and ``_file`` (e.g. ``algebra``, ``1001``).
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(root, "not a directory (expected <subject>/<id>.json files)")
    files = sorted(root.glob("*/*.json"), key=lambda p: (p.parent.name, _numeric_key(p.stem)))
    records = []
    for i, file in enumerate(files):
        obj = read_json(file)
        if not isinstance(obj, dict):
            raise InputError(file, f"expected a JSON object, got {type(obj).__name__}", line=1)
        records.append(Record({**obj, "_subject": file.parent.name, "_file": file.stem}, str(file), 1, i))
    return records


def _numeric_key(stem: str) -> tuple[int, str]:
    return (int(stem), "") if stem.isdigit() else (1 << 62, stem)


def rows_to_records(rows: Iterator[dict[str, Any]] | list[dict[str, Any]], source: str) -> list[Record]:
    """Wrap in-memory rows (a Hugging Face split) as records; ``line`` is the 1-based row number."""
    return [Record(dict(row), source, i + 1, i) for i, row in enumerate(rows)]
