"""The judge's columns and disagreements, recomputed from saved verdicts (no judge is asked here).

Columns, each a share of the graded problems: ``rules`` (the rules said correct), ``judge`` (the rules said
wrong, the judge "equivalent"), ``rules-or-judge`` (their sum). Judge failures count in neither and are
reported apart (``failures``). A disagreement is a problem the rules call wrong and the judge equivalent;
every one goes to ``judge_disagreements.jsonl`` and the report page. Used by ``report.build_report`` and ``regrade``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mammoth_math.evaluation.report.sampled import pct
from mammoth_math.evaluation.scores import Run
from mammoth_math.files import write_jsonl
from mammoth_math.pages import escape

DISAGREEMENTS = "judge_disagreements.jsonl"


@dataclass(frozen=True)
class JudgeColumns:
    graded: int
    rules: int  # correct by the rules
    judge: int  # wrong by the rules, equivalent by the judge
    asked: int
    failures: int  # the judge gave no verdict (server error, malformed reply)

    def to_dict(self) -> dict[str, Any]:
        share = (lambda n: n / self.graded if self.graded else None)
        return {"rules": share(self.rules), "judge": share(self.judge), "rules-or-judge": share(self.rules + self.judge),
                "graded": self.graded, "asked": self.asked, "failures": self.failures}


def judge_columns(verdicts: Iterable[tuple[bool | None, dict[str, Any] | None]]) -> JudgeColumns:
    """Columns from ``(rules verdict, judge verdict dict or None)`` pairs; a rules verdict of None is ungraded."""
    graded = rules = judge = asked = failures = 0
    for correct, verdict in verdicts:
        if correct is None:
            continue
        graded += 1
        rules += correct
        if verdict is not None:
            asked += 1
            judge += verdict["equivalent"] is True
            failures += verdict["equivalent"] is None
    return JudgeColumns(graded, rules, judge, asked, failures)


def is_disagreement(correct: bool | None, verdict: dict[str, Any] | None) -> bool:
    return correct is False and verdict is not None and verdict["equivalent"] is True


def judge_summary(runs: Sequence[Run]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The columns of every run and dataset whose records carry judge verdicts, and every disagreement."""
    rows, disagreements = [], []
    for run in runs:
        for dataset, records in run.records.items():
            if not any(r.judge is not None for r in records):
                continue
            columns = judge_columns((r.correct, r.judge) for r in records)
            rows.append({"run": run.name, "dataset": dataset, **columns.to_dict()})
            disagreements += [{"run": run.name, "dataset": dataset, "id": r.id, "question": r.question, "gold": r.gold,
                               "answer": r.answer, "rules": r.correct, "judge": r.judge}
                              for r in records if is_disagreement(r.correct, r.judge)]
    return rows, disagreements


def judge_html(rows: Sequence[dict[str, Any]], disagreements: Sequence[dict[str, Any]]) -> str:
    """The page's judge section: the columns, then every disagreement."""

    def cells(values: Iterable[Any], tag: str = "td") -> str:
        return "".join(f"<{tag}>{escape(str(v))}</{tag}>" for v in values)

    head = cells(("run", "dataset", "rules", "judge", "rules-or-judge", "asked", "judge failures"), "th")
    body = "".join("<tr>" + cells((r["run"], r["dataset"], pct(r["rules"]), pct(r["judge"]), pct(r["rules-or-judge"]),
                                   r["asked"], r["failures"])) + "</tr>" for r in rows)
    found = "".join("<tr>" + cells((d["run"], d["dataset"], d["id"], d["gold"], d["answer"], d["judge"]["reply"]))
                    + "</tr>" for d in disagreements)
    return (f'<section id="judge"><h2>Judge: accuracy (%) by rules, judge and either</h2>\n<table>'
            f"<tr>{head}</tr>{body}</table>\n<h3>Rules say wrong, judge says equivalent ({len(disagreements)}; "
            f"also in {DISAGREEMENTS})</h3>\n<table id=\"judge-disagreements\"><tr>"
            f"{cells(('run', 'dataset', 'problem', 'gold', 'answer', 'judge reply'), 'th')}</tr>{found}</table>"
            "</section>\n")


def write_row_disagreements(rows: Sequence[dict[str, Any]], path: str | Path) -> int:
    """``regrade``'s disagreements: every regraded row the rules call wrong and the judge equivalent."""
    return write_jsonl(path, (row for row in rows
                              if is_disagreement(row["grading"]["correct"], row["grading"].get("judge"))))
