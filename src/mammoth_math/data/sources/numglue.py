"""NumGLUE adapter (``Type_N/typeN.json`` arrays of question, answer): seed problems for synthesis."""

from __future__ import annotations

from pathlib import Path

from mammoth_math.data.records import Reject, SeedProblem, SourceResult
from mammoth_math.data.sources._read import iter_json_array, missing
from mammoth_math.grading import AnswerKind, parse_gold


def load(path: Path, types: tuple[str, ...] = ("cot", "pot"), limit: int | None = None) -> SourceResult:
    """Every problem becomes a seed problem; NumGLUE has no rationales to convert."""
    result = SourceResult()
    files = sorted(Path(path).glob("Type_*/*.json")) if Path(path).is_dir() else [Path(path)]
    for file in files:
        for index, obj in iter_json_array(file, "numglue"):
            if limit is not None and len(result.problems) >= limit:
                return result
            item_id = f"numglue/{file.stem}/{index}"
            if isinstance(obj, Reject):
                result.rejects.append(obj)
                continue
            if "statement1" in obj:  # Type 7 (quantitative entailment) has two statements and options
                obj = {**obj, "question": " ".join(str(obj.get(k, "")).strip() for k in ("statement1", "statement2",
                                                                                             "options"))}
            bad = missing(obj, ("question", "answer"), "numglue", item_id, f"{file}[{index}]")
            if bad is not None:
                result.rejects.append(bad)
                continue
            try:
                gold, kind = parse_gold(obj["answer"], AnswerKind.NUMBER), "number"
            except ValueError:
                gold, kind = str(obj["answer"]).strip(), "text"
            result.problems.append(SeedProblem("numglue", item_id, str(obj["question"]).strip(), gold, kind))
    return result
