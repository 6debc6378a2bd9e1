"""The report's terminal tables: rich ``Table`` s built from a :class:`~mammoth_math.evaluation.report.build.Report`
(and an evaluation's scores); ``mammoth-math eval`` and ``report`` print them. Library code builds, the command
prints."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from rich.table import Table

from mammoth_math.evaluation.report.build import TOOL_HEADS, Report, tool_cells
from mammoth_math.evaluation.report.sampled import format_metric, metric_names, sampled_rows, settings_text
from mammoth_math.evaluation.report.selection import rule_columns
from mammoth_math.files import read_json


def percent(value: float | None) -> str:
    """A share as a percentage with one decimal; ``-`` for none."""
    return "-" if value is None else f"{100 * value:.1f}"


def scores_table(title: str, scores: Mapping[str, Any]) -> Table:
    """An evaluation's :class:`~mammoth_math.evaluation.DatasetScore` s, one row per set (tool use when a run
    called one)."""
    tools = any(s.tools for s in scores.values())
    table = Table("dataset", "problems", "accuracy", "errors", "fallbacks", *(TOOL_HEADS if tools else ()),
                  title=title)
    for name, s in scores.items():
        table.add_row(name, str(s.problems), percent(s.accuracy), str(s.errors), str(s.fallbacks),
                      *(tool_cells(s.tools) if tools else ()))
    return table


def report_tables(report: Report, rules: Sequence[str] = ()) -> Iterator[Table]:
    """Every table of ``report`` in the order ``mammoth-math report`` prints them: accuracy, each suite's sampled
    metrics and generation, tool use, the selection ``rules`` scored, breakdowns, the judge."""
    if report.runs:  # a folder of probes only has none
        models = sorted(set(report.models.values()))
        table = Table("dataset", *report.runs, title=f"accuracy (%) of {', '.join(models)}")
        for row in report.table:
            table.add_row(row["dataset"], *(percent(row[r]) for r in report.runs))
        yield table
    yield from suite_tables(report)
    if report.tools:
        yield tool_use_table(report)
    if rules:
        yield from selection_tables(report.results_json, rules)
    for dataset, breakdown in report.breakdown.items():
        table = Table(breakdown["field"], *report.runs, title=f"{dataset}: accuracy (%) by {breakdown['field']}")
        for row in breakdown["rows"]:
            table.add_row(row["value"], *(percent(row[r]) for r in report.runs))
        yield table
    if report.judge:
        table = Table("run", "dataset", "rules", "judge", "rules-or-judge", "asked", "judge failures",
                      title="accuracy (%) by rules, judge and either")
        for row in report.judge:
            table.add_row(row["run"], row["dataset"], *(percent(row[k]) for k in ("rules", "judge", "rules-or-judge")),
                          str(row["asked"]), str(row["failures"]))
        yield table


def selection_tables(results_json: str, rules: Sequence[str]) -> Iterator[Table]:
    """The selection section's rows (results.json's ``selection``), one table per suite."""
    rows = read_json(results_json)["selection"]
    for suite in dict.fromkeys(row["suite"] for row in rows):
        table = Table("run", "dataset", "n", "k", "avg", *rules, title=f"{suite}: selection, accuracy (%)")
        for row in (r for r in rows if r["suite"] == suite):
            table.add_row(row["run"], row["dataset"], str(row["n"]), str(row["k"]),
                          *(percent(row.get(name)) for name in rule_columns(row, rules)))
        yield table


def tool_use_table(report: Report) -> Table:
    """Tool use of the runs that called one (tir), per dataset."""
    table = Table("run", "dataset", *TOOL_HEADS, title="tool use")
    for run, by_dataset in report.tools.items():
        for dataset, tools in by_dataset.items():
            table.add_row(run, dataset, *tool_cells(tools))
    return table


def suite_tables(report: Report) -> Iterator[Table]:
    """Per suite: each run's sampled metrics (avg@n ± standard error, pass@k, maj@k), then truncation and
    mean output tokens per set."""
    for suite, datasets in report.suites.items():
        for run in report.runs:
            rows = sampled_rows(report.sampled, report.subsets, run, datasets)
            if rows:
                names = metric_names([row for _, row in rows])
                table = Table("dataset", "settings", *names, title=f"{suite}: {run}: sampled metrics (%)")
                for d, row in rows:
                    table.add_row(d, settings_text(row), *(format_metric(row, m) for m in names))
                yield table
        table = Table("run", "dataset", "truncated (%)", "mean output tokens", title=f"{suite}: generation")
        for run in report.runs:
            for d in datasets:
                if (g := report.generation.get(run, {}).get(d)):
                    tokens = "-" if g["output_tokens"] is None else f"{g['output_tokens']:.0f}"
                    table.add_row(run, d, percent(g["truncation_rate"]), tokens)
        yield table
