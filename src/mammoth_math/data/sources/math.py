"""MATH adapter (Hendrycks' release: ``<subject>/<id>.json``): CoT from the solution, answer from the last box.

PoT for MATH exists only by synthesis, so every problem is also offered as a seed problem.
"""

from __future__ import annotations

import json
from pathlib import Path

from mammoth_math.data.records import Example, Reject, SeedProblem, SourceResult
from mammoth_math.data.sources._read import missing
from mammoth_math.grading import last_boxed


def _numeric_key(path: Path) -> tuple[str, int, str]:
    return (path.parent.name, int(path.stem) if path.stem.isdigit() else 0, path.stem)


def load(path: Path, types: tuple[str, ...] = ("cot", "pot"), limit: int | None = None) -> SourceResult:
    """Read every ``*.json`` under ``path`` in (subject, numeric id) order."""
    result = SourceResult()
    for n, file in enumerate(sorted(Path(path).glob("*/*.json"), key=_numeric_key)):
        if limit is not None and n >= limit:
            break
        item_id = f"math/{file.parent.name}/{file.stem}"
        try:
            obj = json.loads(file.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            result.rejects.append(Reject("math", item_id, "", "input", "corrupt_file", f"{file}: {e}"))
            continue
        bad = missing(obj, ("problem", "solution"), "math", item_id, str(file)) if isinstance(obj, dict) else \
            Reject("math", item_id, "", "input", "corrupt_file", f"{file}: not an object")
        gold = last_boxed(str(obj.get("solution", ""))) if bad is None else None
        if bad is None and not gold:
            why = "its \\boxed{} is empty" if gold == "" else "no \\boxed{} in solution"
            bad = Reject("math", item_id, "", "input", "no_boxed_answer", f"{file}: {why}")
        if bad is not None:
            result.rejects.append(bad)
            continue
        question, solution = str(obj["problem"]).strip(), str(obj["solution"]).strip()
        meta = {"level": obj.get("level", ""), "type": obj.get("type", "")}
        if "cot" in types:
            result.examples.append(Example("math", item_id, "cot", question, f"{solution}\nThe answer is {gold}.",
                                           gold, "expression", None, meta))
        if "pot" in types:
            result.problems.append(SeedProblem("math", item_id, question, gold, "expression"))
    return result
