"""TheoremQA adapter (JSON array of Question, Answer, Answer_type): seed problems for synthesis."""

from __future__ import annotations

from pathlib import Path

from mammoth_math.data.records import Reject, SeedProblem, SourceResult
from mammoth_math.data.sources._read import iter_json_array, missing
from mammoth_math.grading import AnswerKind, parse_gold

_KINDS = {"integer": AnswerKind.NUMBER, "float": AnswerKind.NUMBER, "bool": AnswerKind.BOOL,
          "list of integer": AnswerKind.LIST, "list of float": AnswerKind.LIST, "option": AnswerKind.CHOICE}


def load(path: Path, types: tuple[str, ...] = ("cot", "pot"), limit: int | None = None) -> SourceResult:
    """Problems without pictures become seed problems, gold parsed by its declared answer type."""
    result = SourceResult()
    for index, obj in iter_json_array(Path(path), "theoremqa"):
        if limit is not None and index >= limit:
            break
        item_id = f"theoremqa/{index}"
        if isinstance(obj, Reject):
            result.rejects.append(obj)
            continue
        bad = missing(obj, ("Question", "Answer", "Answer_type"), "theoremqa", item_id, f"{path}[{index}]")
        if bad is None and obj.get("Picture"):
            bad = Reject("theoremqa", item_id, "", "input", "needs_picture", f"{path}[{index}]")
        kind = _KINDS.get(str(obj.get("Answer_type", "")))
        if bad is None and kind is None:
            bad = Reject("theoremqa", item_id, "", "input", "unknown_answer_type", f"{path}[{index}]: {obj['Answer_type']!r}")
        if bad is None:
            try:
                gold = parse_gold(obj["Answer"], kind)
            except ValueError as e:
                bad = Reject("theoremqa", item_id, "", "input", "bad_gold", f"{path}[{index}]: {e}")
        if bad is not None:
            result.rejects.append(bad)
            continue
        result.problems.append(SeedProblem("theoremqa", item_id, str(obj["Question"]).strip(), gold, kind.value))
    return result
