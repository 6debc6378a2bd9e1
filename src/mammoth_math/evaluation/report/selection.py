"""The report's selection section: majority, reward-model and GenSelect picks side by side, per suite.

``report OUT --select majority,rm_best,rm_majority,genselect`` adds it (``build_report`` takes it as a
``ReportSection``): per run and set, avg@k (the mean verdict of the first k samples) and each rule's accuracy
at each k (``--pass-k``, default n), from the records alone (``selection``'s rules).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mammoth_math.evaluation.grader import Grader
from mammoth_math.evaluation.metrics import Equal
from mammoth_math.evaluation.pooled import pooled_samples
from mammoth_math.evaluation.records import Attempt, ProblemRecord
from mammoth_math.evaluation.report.build import ReportSection, SectionMaker
from mammoth_math.evaluation.report.sampled import pct, suites_of
from mammoth_math.evaluation.sampled import final_attempts, problem_of
from mammoth_math.evaluation.scores import Run, find_runs
from mammoth_math.evaluation.selection import RULES, score_rule


def selection_rows(runs: Sequence[Run], rules: Sequence[str], ks: Sequence[int] | None) -> list[dict[str, Any]]:
    """One row per run, set and k: ``avg@k`` and ``<rule>@k`` (0-1, absent where a rule cannot be scored),
    with the problems counted and, for genselect, the replies that fell back to the majority. Where sampled
    runs of one model share a set (``eval --modes``), a ``pooled`` row per set follows (``evaluation.pooled``)
    at k = n and at k = every pooled sample."""
    rows = []
    datasets = list(dict.fromkeys(d for run in runs for d in run.records))
    suite_of = {d: suite for suite, members in suites_of(datasets).items() for d in members}
    for run in runs:
        for dataset, records in run.records.items():
            samples = [(r, final_attempts(r)) for r in records if r.error is None and r.attempts]
            n = min((len(s) for _, s in samples), default=0)
            if n:
                ks_here = sorted({k for k in (ks or [n]) if k <= n})
                rows += _rows(run.name, dataset, suite_of[dataset], n, samples, _grader(run, dataset), rules, ks_here)
    for dataset in datasets:
        pooled = pooled_samples(runs, dataset)
        if pooled is not None:
            names, n, samples = pooled
            first = next(run for run in runs if run.name == names[0])
            rows += _rows(f"pooled: {' + '.join(names)}", dataset, suite_of[dataset], n * len(names), samples,
                          _grader(first, dataset), [r for r in rules if not RULES[r].stored], [n, n * len(names)])
    return rows


def _grader(run: Run, dataset: str) -> Grader:
    bench = run.meta.get("benchmarks", {}).get(dataset, {})
    return Grader(run.meta.get("grading", "strict"), bench.get("rel_tol"))


def _rows(run: str, dataset: str, suite: str, n: int, samples: list[tuple[ProblemRecord, list[Attempt]]],
          grader: Grader, rules: Sequence[str], ks: Sequence[int]) -> list[dict[str, Any]]:
    def verdict(record: ProblemRecord, attempt: Attempt) -> bool:
        return attempt.correct if attempt.correct is not None else grader.attempt_correct(attempt, problem_of(record))

    def equal(record: ProblemRecord) -> Equal:
        problem = problem_of(record)
        return lambda a, b: grader.equal(a, b, problem)

    rows = []
    for k in ks:
        row: dict[str, Any] = {"run": run, "dataset": dataset, "suite": suite, "n": n, "k": k,
                               "problems": len(samples),
                               f"avg@{k}": sum(verdict(r, a) for r, s in samples for a in s[:k]) / (k * len(samples))}
        for rule in rules:
            score = score_rule(rule, k, samples, verdict, equal)
            if score is not None:
                row[f"{rule}@{k}"] = score.accuracy
                if RULES[rule].stored:
                    row[f"{rule} fallbacks"] = score.fallbacks
        rows.append(row)
    return rows


def selection_section(rules: Sequence[str], ks: Sequence[int] | None = None) -> SectionMaker:
    """The section maker ``build_report`` calls with the output folder."""
    def make(output_dir: Path) -> ReportSection:
        rows = selection_rows(find_runs(output_dir), rules, ks)
        return ReportSection("selection", rows, selection_html(rows, rules))
    return make


def rule_columns(row: dict[str, Any], rules: Sequence[str]) -> list[str]:
    """The metric columns of one row, in a fixed order: avg@k, then the rules as given."""
    return [f"avg@{row['k']}", *(f"{rule}@{row['k']}" for rule in rules)]


def selection_html(rows: Sequence[dict[str, Any]], rules: Sequence[str]) -> str:
    """One table per suite: run, set, n, then avg and each rule in percent ("-" where it cannot be scored)."""
    if not rows:
        return ""
    parts = []
    for suite in dict.fromkeys(row["suite"] for row in rows):
        head = "".join(f"<th>{html.escape(h)}</th>" for h in ("run", "dataset", "n", "k", "avg", *rules))
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in (row["run"], row["dataset"], row["n"],
                                                                           row["k"]))
            + "".join(f'<td class="num">{pct(row.get(name))}</td>' for name in rule_columns(row, rules)) + "</tr>"
            for row in rows if row["suite"] == suite)
        parts.append(f"<h3>suite: {html.escape(suite)}</h3><table class=\"selection\"><tr>{head}</tr>{body}</table>")
    return ('<section id="selection"><h2>Selection: majority, reward model, GenSelect (accuracy %, first k samples)'
            "</h2>" + "".join(parts) + "</section>\n")
