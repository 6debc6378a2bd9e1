"""Raw records of the data set files with their origin (file and line), read from the MAmmoTH file layout.

Every record remembers where it came from, so a missing or mistyped field fails as ``InputError`` naming
the file, the line and the field. One scanner per layout (JSON lines, a JSON array scanned record by record
to recover each record's line, the MATH tree of one JSON per problem) yields each record or a
:class:`BadRecord` saying why it cannot be used: the test sets are read strictly (the first bad record
fails), the training files tolerantly through :func:`open_records` (a bad record becomes a reject).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mammoth_math.files import InputError, json_line, json_object, read_json


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

    def bad(self, reason: str, error: InputError) -> BadRecord:
        """This record as unusable, for ``reason`` (a short tag)."""
        return BadRecord(self.path, self.line, self.index, reason, error)


def _as_tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


@dataclass(frozen=True)
class BadRecord:
    """A record that cannot be used: ``reason`` is a short tag, ``error`` names the file, line and field."""

    path: str
    line: int | None
    index: int  # counted like the records around it, so a limit counts it too
    reason: str  # corrupt_line, corrupt_file, missing_field, or a data set's own check (no_final_answer, ...)
    error: InputError


Scanned = Record | BadRecord


def scan_jsonl(path: str | Path) -> Iterator[Scanned]:
    """Each non-blank line of a JSON-lines file as a record (a line that is no JSON object: ``corrupt_line``)."""
    with open(path, "rb") as f:
        nonblank = ((line, raw) for line, raw in enumerate(f, start=1) if raw.strip())
        for index, (line, raw) in enumerate(nonblank):
            yield _scanned(lambda: json_line(raw, path, line), path, line, index)


def _scanned(parse: Callable[[], dict[str, Any]], path: str | Path, line: int, index: int) -> Scanned:
    """The record ``parse`` reads, or a ``corrupt_line`` saying why it could not."""
    try:
        return Record(parse(), str(path), line, index)
    except InputError as e:
        return BadRecord(str(path), line, index, "corrupt_line", e)


def scan_json_array(path: str | Path) -> Iterator[Scanned]:
    """Each element of a file holding one JSON array of objects, with the line it starts on.

    An element that is no object is a ``corrupt_line``; text that is not a JSON array ends the scan
    with one ``corrupt_file``.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        yield BadRecord(str(path), None, 0, "corrupt_file", InputError(path, f"not UTF-8 ({e.reason})"))
        return
    lines = _LineCounter(text)
    pos = _skip(text, 0)
    if not text.startswith("[", pos):
        yield BadRecord(str(path), lines.at(pos), 0, "corrupt_file", _not_an_array(path, text, lines.at(pos)))
        return
    decoder = json.JSONDecoder()
    pos = _skip(text, pos + 1)
    for index in itertools.count():
        if text.startswith("]", pos):
            return
        line = lines.at(pos)
        try:
            obj, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            error = InputError(path, f"invalid JSON ({e.msg}, column {e.colno})", line=e.lineno)
            yield BadRecord(str(path), e.lineno, index, "corrupt_file", error)
            return
        yield _scanned(lambda: json_object(obj, path, line), path, line, index)
        pos = _skip(text, pos)
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)
        elif not text.startswith("]", pos):
            error = InputError(path, "expected ',' or ']' between records", line=lines.at(pos))
            yield BadRecord(str(path), lines.at(pos), index + 1, "corrupt_file", error)
            return


class _LineCounter:
    """1-based line of a position in ``text``, for positions that only move forward (linear, not quadratic)."""

    def __init__(self, text: str):
        self.text, self.pos, self.line = text, 0, 1

    def at(self, pos: int) -> int:
        self.line += self.text.count("\n", self.pos, pos)
        self.pos = pos
        return self.line


def _not_an_array(path: str | Path, text: str, line: int) -> InputError:
    try:
        json.loads(text)
    except json.JSONDecodeError as e:
        return InputError(path, f"invalid JSON ({e.msg}, column {e.colno})", line=e.lineno)
    return InputError(path, "expected a JSON array of records", line=line)


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def scan_json_tree(root: str | Path) -> Iterator[Scanned]:
    """One record per ``<subfolder>/<name>.json`` under ``root`` (the original MATH release layout).

    Ordered by subject, then by numeric file name, so indices are stable; the record's ``data`` gains
    ``_subject`` and ``_file`` (e.g. ``algebra``, ``1001``). A file that is no JSON object: ``corrupt_file``.
    """
    root = Path(root)
    if not root.is_dir():
        error = InputError(root, "not a directory (expected <subject>/<id>.json files)")
        yield BadRecord(str(root), None, 0, "corrupt_file", error)
        return
    files = sorted(root.glob("*/*.json"), key=lambda p: (p.parent.name, _numeric_key(p.stem)))
    for index, file in enumerate(files):
        try:
            obj = json_object(read_json(file), file, 1)
        except InputError as e:
            yield BadRecord(str(file), e.line, index, "corrupt_file", e)
            continue
        yield Record({**obj, "_subject": file.parent.name, "_file": file.stem}, str(file), 1, index)


def _numeric_key(stem: str) -> tuple[int, str]:
    return (int(stem), "") if stem.isdigit() else (1 << 62, stem)


def _strict(scanned: Iterable[Scanned]) -> list[Record]:
    records = []
    for rec in scanned:
        if isinstance(rec, BadRecord):
            raise rec.error
        records.append(rec)
    return records


def read_jsonl(path: str | Path) -> list[Record]:
    """Records of a JSON-lines file (blank lines skipped); the first bad line raises :class:`InputError`."""
    return _strict(scan_jsonl(path))


def read_json_array(path: str | Path) -> list[Record]:
    """Records of a file holding one JSON array of objects; the first bad record raises :class:`InputError`."""
    return _strict(scan_json_array(path))


def read_json_tree(root: str | Path) -> list[Record]:
    """Records of the MATH tree under ``root`` (see :func:`scan_json_tree`); a bad file raises :class:`InputError`."""
    return _strict(scan_json_tree(root))


def open_records(scanned: Iterable[Scanned], item_id: Callable[[Scanned], str], required: Sequence[str] = (),
                 limit: int | None = None) -> Iterator[tuple[str, Scanned]]:
    """The opening loop of every training-file reader: ``(item id, record or BadRecord)`` in file order.

    ``limit`` keeps the first ``limit`` records the scan yields, readable or not; a record whose ``required``
    field is absent, null or empty becomes a ``missing_field`` BadRecord naming file, line and field.
    """
    for rec in itertools.islice(scanned, limit):
        if isinstance(rec, Record) and (absent := [name for name in required if rec.data.get(name) in (None, "")]):
            rec = rec.bad("missing_field", rec.fail(absent[0], "missing or empty"))
        yield item_id(rec), rec


def rows_to_records(rows: Iterator[dict[str, Any]] | list[dict[str, Any]], source: str) -> list[Record]:
    """Wrap in-memory rows (a Hugging Face split) as records; ``line`` is the 1-based row number."""
    return [Record(dict(row), source, i + 1, i) for i, row in enumerate(rows)]
