"""What every loaded benchmark must satisfy, whichever suite it belongs to."""

from __future__ import annotations

from pathlib import Path

from mammoth_math.benchmarks import load_problems
from mammoth_math.grading.kinds import AnswerKind


def check_loads(name: str, data_dir: Path, count: int) -> None:
    """``name`` loads ``count`` problems with unique, prefixed ids, non-empty text, valid letters and a stable limit."""
    problems = load_problems(name, data_dir)
    assert len(problems) == count
    assert len({p.id for p in problems}) == len(problems), "ids must be unique"
    assert all(p.id.startswith(f"{name}/") and p.benchmark == name for p in problems)
    assert all(p.question.strip() and p.gold.strip() for p in problems)
    for p in problems:
        if p.kind is AnswerKind.CHOICE:
            assert len(p.gold) == 1 and p.gold in "ABCDE"
            if p.options is not None:
                assert "ABCDEFGHIJ".index(p.gold) < len(p.options)
    assert [p.id for p in load_problems(name, data_dir, limit=3)] == [p.id for p in problems[:3]]
