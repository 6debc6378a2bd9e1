"""An LLM judge for what the grading rules cannot decide (``eval``/``regrade --judge MODEL --judge-base-url URL``).

Asked only where the rules said "not equal" or found no answer, with the question, the gold and the extracted
answer (or the last part of the response when none was found). The reply must hold exactly one line
``Judgement: equivalent`` or ``Judgement: different``; anything else, like a server error, is a judge failure:
recorded with the raw reply, never scored wrong. Requests go through the backends' response cache (keyed by a
hash of the request), so a re-run asks nothing again. Verdicts are stored in the records (``judge``), so
``report`` recomputes its columns (``report.judge``) without asking the judge again. Never on by default.
The judge itself (prompt, strict reply reading) is ``backends/judge.py``, which GRPO's judge reward shares.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mammoth_math.backends.judge import Judge, JudgeCase
from mammoth_math.evaluation.records import ProblemRecord
from mammoth_math.evaluation.report.judge import DISAGREEMENTS, judge_columns, write_row_disagreements
from mammoth_math.files import iter_jsonl, write_jsonl


def needs_judge(correct: bool | None) -> bool:
    """Only a rules verdict of "wrong" (not equal, or no answer) goes to the judge; errors are not graded."""
    return correct is False


def judge_records(records: Sequence[ProblemRecord], judge: Judge) -> None:
    """Set ``record.judge`` on every record the rules graded wrong (the eval run calls this after grading)."""
    asked = [r for r in records if needs_judge(r.correct)]
    cases = [JudgeCase(r.question, r.gold, r.answer, r.attempts[-1].text if r.attempts else "") for r in asked]
    for record, verdict in zip(asked, judge.ask(cases)):
        record.judge = verdict.to_dict()


def judge_regraded(path: str | os.PathLike, model: str, base_url: str | Sequence[str], cache_dir: str | None,
                   pred_key: str, question_key: str) -> dict[str, Any]:
    """``regrade --judge``: judge the rows of a regraded file in place (atomically), write its disagreements
    beside it (``<out>.judge_disagreements.jsonl``) and return the columns."""
    rows = [row for _, row in iter_jsonl(path)]
    judge = Judge.build(model, base_url, cache_dir)
    try:
        judge_rows(rows, judge, pred_key, question_key)
    finally:
        judge.close()
    write_jsonl(path, rows)
    out = Path(path)
    disagreements = out.with_name(f"{out.name.removesuffix('.jsonl')}.{DISAGREEMENTS}")
    write_row_disagreements(rows, disagreements)
    columns = judge_columns((row["grading"]["correct"], row["grading"].get("judge")) for row in rows)
    return columns.to_dict() | {"disagreements": str(disagreements)}


def judge_rows(rows: Sequence[dict[str, Any]], judge: Judge, pred_key: str, question_key: str) -> None:
    """Add ``grading.judge`` to every regraded row (``grading.regrade``'s output) the rules graded wrong."""
    asked = [row for row in rows if needs_judge(row["grading"]["correct"])]
    cases = [JudgeCase(str(row.get(question_key) or ""), str(row["grading"]["gold"]), row["grading"]["answer"],
                       str(row.get(pred_key) or "")) for row in asked]
    for row, verdict in zip(asked, judge.ask(cases)):
        row["grading"]["judge"] = verdict.to_dict()
