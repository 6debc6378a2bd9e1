"""A generic source: your own problems with both rationales, one JSONL row each.

Row fields: ``id``, ``question``, ``gold``, ``kind`` (an AnswerKind value), optional ``options`` (option
texts, for ``choice``), ``source`` (a label kept as ``rationales:<label>``), ``cot`` and/or ``pot``.
``mammoth-math quickstart`` writes its synthetic training set in this format.
"""

from __future__ import annotations

from pathlib import Path

from mammoth_math.data.records import Example, Reject, SourceResult
from mammoth_math.data.sources._read import iter_json_lines, missing
from mammoth_math.grading import AnswerKind

_KINDS = {k.value for k in AnswerKind}


def load(path: Path, types: tuple[str, ...] = ("cot", "pot"), limit: int | None = None) -> SourceResult:
    """One example per rationale present among ``types``; a malformed row is a reject naming file and line."""
    result = SourceResult()
    for n, (line, obj) in enumerate(iter_json_lines(Path(path), "rationales")):
        if limit is not None and n >= limit:
            break
        if isinstance(obj, Reject):
            result.rejects.append(obj)
            continue
        item_id = f"rationales/{obj.get('id', line)}"
        bad = missing(obj, ("question", "gold", "kind"), "rationales", item_id, f"{path}:{line}")
        options = obj.get("options")
        if bad is None and obj["kind"] not in _KINDS:
            bad = _reject(item_id, "bad_kind", f"{path}:{line}: field 'kind' is {obj['kind']!r}")
        if bad is None and options is not None and not (isinstance(options, list)
                                                        and all(isinstance(o, str) for o in options)):
            bad = _reject(item_id, "bad_options", f"{path}:{line}: field 'options' is not a list of strings")
        if bad is not None:
            result.rejects.append(bad)
            continue
        source = f"rationales:{obj['source']}" if obj.get("source") else "rationales"
        for kind in ("cot", "pot"):
            if kind in types and obj.get(kind):
                result.examples.append(Example(source, item_id, kind, str(obj["question"]).strip(), str(obj[kind]),
                                               str(obj["gold"]), obj["kind"], tuple(options) if options else None))
    return result


def _reject(item_id: str, reason: str, detail: str) -> Reject:
    return Reject("rationales", item_id, "", "input", reason, detail)
