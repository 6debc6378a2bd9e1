"""An LLM judge for what the grading rules cannot decide (``eval``/``regrade --judge MODEL --judge-base-url URL``).

Asked only where the rules said "not equal" or found no answer, with the question, the gold and the extracted
answer (or the last part of the response when none was found). The reply must hold exactly one line
``Judgement: equivalent`` or ``Judgement: different``; anything else, like a server error, is a judge failure:
recorded with the raw reply, never scored wrong. Requests go through the backends' response cache (keyed by a
hash of the request), so a re-run asks nothing again. Verdicts are stored in the records (``judge``), so
``report`` recomputes its columns (``report.judge``) without asking the judge again. Never on by default.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mammoth_math.backends import Backend, make_backend
from mammoth_math.backends.verdicts import ask_verdicts, strict_verdict, verdict_pattern
from mammoth_math.evaluation.records import ProblemRecord
from mammoth_math.evaluation.report.judge import DISAGREEMENTS, judge_columns, write_row_disagreements
from mammoth_math.files import iter_jsonl, write_jsonl

TAIL_CHARS = 800  # of a response with no extracted answer, shown to the judge (the final answer sits at the end)

_SYSTEM = ("You check answers to math problems. Decide whether the candidate answer is mathematically equivalent "
           "to the reference answer (same value, same set, same choice; a different form of writing is fine). "
           "Do not solve the problem again. End your reply with exactly one line, either\n"
           "Judgement: equivalent\nor\nJudgement: different")

_JUDGEMENT = verdict_pattern("judgement", "equivalent", "different")


@dataclass(frozen=True)
class JudgeCase:
    """What the judge sees: ``answer`` is the rules' extraction, None when they found none."""

    question: str
    gold: str
    answer: str | None
    response: str  # the model's text: its tail stands in for a missing answer


@dataclass(frozen=True)
class JudgeVerdict:
    """The judge's word on one case: ``equivalent`` is None when it failed (``error`` or a malformed ``reply``)."""

    equivalent: bool | None
    reply: str
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def judge_messages(case: JudgeCase) -> tuple[dict[str, str], ...]:
    """The chat request for ``case``."""
    if case.answer is not None:
        candidate = f"Candidate answer: {case.answer}"
    else:
        candidate = ("No final answer was extracted; the end of the candidate's response is:\n"
                     f"{case.response[-TAIL_CHARS:]}")
    user = f"Problem: {case.question}\n\nReference answer: {case.gold}\n\n{candidate}"
    return ({"role": "system", "content": _SYSTEM}, {"role": "user", "content": user})


def parse_judgement(reply: str) -> bool | None:
    """True/False for a reply with judgement lines that all agree; None for anything else (a judge failure)."""
    return strict_verdict(reply, _JUDGEMENT, "equivalent")


class Judge:
    """Asks one judge model through a backend (the ``openai`` one, usually behind the response cache)."""

    def __init__(self, backend: Backend, max_new_tokens: int = 256):
        self.backend = backend
        self.max_new_tokens = max_new_tokens

    @classmethod
    def build(cls, model: str, base_url: str | Sequence[str], cache_dir: str | None = None, **options: Any) -> Judge:
        """A judge served at ``base_url`` (any OpenAI-compatible server), cached in ``cache_dir``."""
        return cls(make_backend("openai", model, cache_dir=cache_dir, base_url=base_url, **options))

    def info(self) -> dict[str, Any]:
        return self.backend.info()

    def ask(self, cases: Sequence[JudgeCase]) -> list[JudgeVerdict]:
        """One verdict per case, in order; greedy, so the cache gives the same reply on a re-run."""
        found = ask_verdicts(self.backend, [judge_messages(c) for c in cases], _JUDGEMENT, "equivalent",
                             self.max_new_tokens)
        return [JudgeVerdict(*f) for f in found]

    def close(self) -> None:
        self.backend.close()


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
