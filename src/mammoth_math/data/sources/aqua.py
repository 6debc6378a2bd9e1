"""AQuA-RAT adapter (JSON lines: question, options ``A)...``, rationale, correct): CoT with options shown."""

from __future__ import annotations

import re
from pathlib import Path

from mammoth_math.data.records import Example, Reject, SeedProblem, SourceResult
from mammoth_math.data.sources._read import iter_json_lines, missing
from mammoth_math.prompts import with_choices

_LABEL_RE = re.compile(r"^\s*\(?[A-Ea-e]\s*\)\s*")


def load(path: Path, types: tuple[str, ...] = ("cot", "pot"), limit: int | None = None) -> SourceResult:
    """One CoT per problem from its rationale, answer the letter; PoT only by synthesis."""
    result = SourceResult()
    seen = 0
    for line, obj in iter_json_lines(path, "aqua"):
        if limit is not None and seen >= limit:
            break
        seen += 1
        item_id = f"aqua/{line}"
        if isinstance(obj, Reject):
            result.rejects.append(obj)
            continue
        bad = missing(obj, ("question", "options", "rationale", "correct"), "aqua", item_id, f"{path}:{line}")
        if bad is None and not isinstance(obj["options"], list):
            bad = Reject("aqua", item_id, "", "input", "bad_options", f"{path}:{line}: options is not a list")
        if bad is not None:
            result.rejects.append(bad)
            continue
        options = tuple(_LABEL_RE.sub("", str(o)).strip() for o in obj["options"])
        letter = str(obj["correct"]).strip().upper()
        question = with_choices(str(obj["question"]).strip(), options)
        if "cot" in types:
            rationale = str(obj["rationale"]).strip()
            result.examples.append(Example("aqua", item_id, "cot", question, f"{rationale}\nThe answer is {letter}.",
                                           letter, "choice", options))
        if "pot" in types:
            result.problems.append(SeedProblem("aqua", item_id, question, letter, "choice", options))
    return result
