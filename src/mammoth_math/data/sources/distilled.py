"""Distilled rows (``distilled.jsonl`` of ``mammoth-math data distill``) as a builder source like any other.

Each row keeps ``teacher``, ``pass_rate`` and ``label`` (the gold, or the teacher's majority answer, which
the builder's verification then checks against) in its meta, and the export carries them per row.
"""

from __future__ import annotations

from pathlib import Path

from mammoth_math.data.examples import Example, SourceResult
from mammoth_math.files import read_records

_FIELDS = ("source", "id", "rationale_type", "question", "output", "gold", "kind", "meta")


def load(path: Path, types: tuple[str, ...] = ("cot", "pot"), limit: int | None = None) -> SourceResult:
    """The rows of ``path`` (a distill output folder or its ``distilled.jsonl``) of the wanted types."""
    path = path / "distilled.jsonl" if path.is_dir() else path
    rows = read_records(path, _FIELDS, _example, "a distilled row")[:limit]
    return SourceResult(examples=[e for e in rows if e.rationale_type in types])


def _example(obj: dict) -> Example:
    return Example(**{**obj, "options": tuple(obj["options"]) if obj.get("options") else None})
