"""A generic source: your own problems with both rationales, one JSONL row each.

Row fields: ``id``, ``question``, ``gold``, ``kind`` (an AnswerKind value), optional ``options`` (option
texts, for ``choice``), ``source`` (a label kept as ``rationales:<label>``), ``cot`` and/or ``pot``. A row with
neither is a problem to write rationales for (``data synthesize`` / ``data distill``).
``mammoth-math quickstart`` writes its synthetic training set in this format.
"""

from __future__ import annotations

from pathlib import Path

from mammoth_math.benchmarks.scan import BadRecord, Record, Scanned, open_records, scan_jsonl
from mammoth_math.data.examples import Example, SeedProblem, SourceResult
from mammoth_math.data.sources.rows import input_reject
from mammoth_math.grading import AnswerKind

_KINDS = {k.value for k in AnswerKind}


def load(path: Path, types: tuple[str, ...] = ("cot", "pot"), limit: int | None = None) -> SourceResult:
    """One example per rationale present among ``types``; a malformed row is a reject naming file and line."""
    result = SourceResult()
    for item_id, rec in open_records(scan_jsonl(path), _item_id, ("question", "gold", "kind"), limit):
        if isinstance(rec, Record):
            rec = _check(rec)
        if isinstance(rec, BadRecord):
            result.rejects.append(input_reject("rationales", item_id, rec))
            continue
        source = f"rationales:{rec.data['source']}" if rec.data.get("source") else "rationales"
        options = rec.data.get("options")
        if not rec.data.get("cot") and not rec.data.get("pot"):
            result.problems.append(SeedProblem(source, item_id, str(rec.data["question"]).strip(),
                                               str(rec.data["gold"]), rec.data["kind"],
                                               tuple(options) if options else None))
        for kind in ("cot", "pot"):
            if kind in types and rec.data.get(kind):
                result.examples.append(Example(source, item_id, kind, str(rec.data["question"]).strip(),
                                               str(rec.data[kind]), str(rec.data["gold"]), rec.data["kind"],
                                               tuple(options) if options else None))
    return result


def _item_id(rec: Scanned) -> str:
    return f"rationales/{rec.data.get('id', rec.line) if isinstance(rec, Record) else rec.line}"


def _check(rec: Record) -> Record | BadRecord:
    if rec.data["kind"] not in _KINDS:
        return rec.bad("bad_kind", rec.fail("kind", f"{rec.data['kind']!r} is no answer kind"))
    options = rec.data.get("options")
    if options is not None and not (isinstance(options, list) and all(isinstance(o, str) for o in options)):
        return rec.bad("bad_options", rec.fail("options", "not a list of strings"))
    return rec
