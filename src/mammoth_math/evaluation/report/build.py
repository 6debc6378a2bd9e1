"""``mammoth-math report OUT``: the paper-style table, ``results.json``, a PNG bar chart and an HTML report.

Runs (cot, pot, hybrid, ...) sit side by side per dataset, with the average over datasets as in the
MAmmoTH tables (when there are several). The page also names each run's model and says how many problems
were run of how many (``--limit``), and breaks each dataset down by its family, subject or type. The HTML page is one self-contained file (data, chart and script inline): every problem
opens to its question, program, program output, CoT fallback and verdict (a sampled run's n samples side
by side); filters pick wrong, fallback or error problems. Each suite gets a section of its own (accuracy,
sampled metrics, truncation and output tokens: ``report.sampled``). Other parts of the package add their own sections (``ReportSection``): the
report never imports them.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from mammoth_math.benchmarks import get_benchmark
from mammoth_math.evaluation.records import ProblemRecord
from mammoth_math.evaluation.report.chart import bar_chart, chart_groups
from mammoth_math.evaluation.report.judge import DISAGREEMENTS, judge_html, judge_summary
from mammoth_math.evaluation.report.sampled import OTHER, SuiteSections, pct, sections_html, suite_sections
from mammoth_math.evaluation.scores import DatasetScore, Run, ToolUse, find_runs, score_records
from mammoth_math.files import InputError, write_json, write_jsonl
from mammoth_math.pages import escape, script_json, write_page

log = logging.getLogger(__name__)

MAX_TEXT = 4000  # characters of any one generation or output kept in the HTML page


@dataclass(frozen=True)
class ReportSection:
    """An extra part of the report: ``rows`` go to ``results.json`` under ``key``, ``html`` into the page."""

    key: str
    rows: list[dict[str, Any]]
    html: str  # one self-contained ``<section>`` (own styles, no script), or "" for nothing to show


SectionMaker = Callable[[Path], ReportSection]  # the output folder -> its section


@dataclass(frozen=True)
class Naming:
    """What the page and chart call what the registry cannot name well (the quickstart's ``custom`` set)."""

    title: str = "mammoth-math evaluation report"
    datasets: dict[str, str] = field(default_factory=dict)  # dataset -> the name shown; results.json keeps keys
    suite: str = OTHER  # the suite of sets no named suite holds

    def of(self, dataset: str) -> str:
        return self.datasets.get(dataset, dataset)


@dataclass(frozen=True)
class Report:
    datasets: list[str]
    runs: list[str]
    table: list[dict[str, Any]]  # one row per dataset, then "average" (2+ datasets): run -> accuracy (0-1) or None
    errors: dict[str, dict[str, int]]  # run -> dataset -> backend errors
    models: dict[str, str]  # run -> model
    breakdown: dict[str, dict[str, Any]]  # dataset -> {"field": meta field, "rows": [{value, run -> accuracy}]}
    results_json: str
    chart_png: str
    html: str
    suites: dict[str, list[str]]  # suite (mammoth, modern, other) -> its datasets in this report
    sampled: dict[str, dict[str, dict[str, Any]]]  # run -> dataset -> avg@n, pass@k, maj@k, std_error, n, sampling
    subsets: dict[str, dict[str, dict[str, dict[str, Any]]]]  # run -> dataset -> subset -> the same
    generation: dict[str, dict[str, dict[str, Any]]]  # run -> dataset -> truncation rate, mean output tokens
    judge: list[dict[str, Any]]  # per run and dataset: rules, judge, rules-or-judge, asked, failures (--judge runs)
    tools: dict[str, dict[str, ToolUse]]  # run -> dataset -> tool use, for the runs that called a tool (tir)


def build_report(output_dir: str | Path, sections: Sequence[SectionMaker] = (),
                 pass_k: Sequence[int] | None = None, naming: Naming = Naming()) -> Report:
    """Write ``results.json``, ``report.png`` and ``report.html`` into ``output_dir`` from the runs found there.

    ``sections`` add their rows and HTML (e.g. the probe's section); ``pass_k`` recomputes the
    sampled metrics for these k instead of the ones each run was made with; ``naming`` titles the page.
    """
    output_dir = Path(output_dir)
    runs = find_runs(output_dir)
    extra = [make(output_dir) for make in sections]
    if not runs and not any(section.rows for section in extra):  # a folder of probes only has a report too
        raise InputError(output_dir, "no evaluation run here (OUT/<mode>/run.json): give the --output-dir of "
                         "`mammoth-math eval`; sharded runs need `mammoth-math merge` first")
    scores = {run.name: run.scores() for run in runs}
    datasets = _dataset_order(runs)
    table = [{"dataset": d, **{r: _accuracy(scores[r].get(d)) for r in scores}} for d in datasets]
    average = {r: _mean([row[r] for row in table]) for r in scores}
    if len(datasets) > 1:
        table.append({"dataset": "average", **average})
    models = {run.name: str(run.meta.get("config", {}).get("model", "?")) for run in runs}
    breakdown = {d: b for d in datasets if (b := _breakdown(d, runs))}
    suite = suite_sections(runs, datasets, pass_k)
    results = {"datasets": datasets, "table": table, "breakdown": breakdown, "suites": suite.suites,
               "runs": {run.name: {"meta": run.meta, "model": models[run.name], "average": average[run.name],
                                   "datasets": {d: s.to_dict() | _extras(suite, run.name, d)
                                                for d, s in scores[run.name].items()}}
                        for run in runs}}
    judged, disagreements = judge_summary(runs)
    if judged:  # only runs made with --judge have these columns
        write_jsonl(output_dir / DISAGREEMENTS, disagreements)
        extra.append(ReportSection("judge", judged, judge_html(judged, disagreements)))
    results.update({section.key: section.rows for section in extra})
    write_json(output_dir / "results.json", results)
    chart = output_dir / "report.png"
    only = datasets[0] if len(datasets) == 1 and datasets[0] in breakdown else None
    bar_chart(chart_groups(table, breakdown, list(scores), naming.datasets), list(scores), chart,
              _chart_title(models) + (f": {naming.of(only)} by {breakdown[only]['field']}" if only else ""))
    html = output_dir / "report.html"
    details = (_runs_section(runs, scores, naming) + sections_html(suite, table, list(scores), naming.datasets,
                                                                   naming.suite)
               + _breakdown_section(breakdown, list(scores), naming))
    _html_page(results, runs, chart, html, details + "\n".join(section.html for section in extra if section.html),
               naming)
    errors = {r: {d: s.errors for d, s in by_dataset.items()} for r, by_dataset in scores.items()}
    tools = {r: used for r, by_dataset in scores.items()
             if (used := {d: s.tools for d, s in by_dataset.items() if s.tools})}
    return Report(datasets, list(scores), table, errors, models, breakdown, str(output_dir / "results.json"),
                  str(chart), str(html), suite.suites, suite.sampled, suite.subsets, suite.generation, judged, tools)


def _extras(suite: SuiteSections, run: str, dataset: str) -> dict[str, Any]:
    """A dataset's generation stats, and its sampled metrics (and per-subset ones) when it has n > 1."""
    extras: dict[str, Any] = {"generation": suite.generation.get(run, {}).get(dataset)}
    if dataset in suite.sampled.get(run, {}):
        extras["sampled"] = suite.sampled[run][dataset]
    if dataset in suite.subsets.get(run, {}):
        extras["subsets"] = suite.subsets[run][dataset]
    return extras


def _breakdown(dataset: str, runs: list[Run]) -> dict[str, Any] | None:
    """Accuracy per value of the dataset's first reported meta field (MATH: level, MMLU: subject, the
    quickstart's problems: family), when its records carry one with two or more values."""
    try:
        fields = (*get_benchmark(dataset).show_fields, "family")
    except KeyError:
        fields = ("family",)
    records = [r for run in runs for r in run.records.get(dataset, [])]
    for name in fields:
        values = sorted({str(r.meta[name]) for r in records if name in r.meta})
        if len(values) < 2:
            continue
        rows = []
        for value in values:
            row: dict[str, Any] = {"value": value}
            for run in runs:
                hits = [r for r in run.records.get(dataset, []) if str(r.meta.get(name)) == value]
                row[run.name] = _accuracy(score_records(hits)) if hits else None
                row[f"{run.name} problems"] = len(hits)
            rows.append(row)
        return {"field": name, "rows": rows}
    return None


def _chart_title(models: dict[str, str]) -> str:
    names = sorted(set(models.values()))
    return "accuracy (%) of " + (names[0] if len(names) == 1 else f"{len(names)} models")


def _runs_section(runs: list[Run], scores: dict[str, dict[str, DatasetScore]], naming: Naming) -> str:
    """Which model each run evaluated and how many problems of how many (a ``--limit``ed run says so); a tir
    run's tool use."""
    tools = any(s.tools for by_dataset in scores.values() for s in by_dataset.values())
    rows = []
    for run in runs:
        config = run.meta.get("config", {})
        for dataset, score in scores[run.name].items():
            bench = run.meta.get("benchmarks", {}).get(dataset, {})
            limit = bench.get("limit")
            loaded = bench.get("loaded")
            of = f"{score.problems} of {loaded}" if loaded is not None else str(score.problems)
            cells = (run.name, config.get("model", "?"), config.get("backend", "?"), naming.of(dataset), of,
                     f"--limit {limit}" if limit is not None else "all", str(score.graded), str(score.errors),
                     *(tool_cells(score.tools) if tools else ()))
            rows.append("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{h}</th>" for h in ("run", "model", "backend", "dataset", "problems", "limit",
                                              "graded", "backend errors", *(TOOL_HEADS if tools else ())))
    return f'<h2>Runs</h2>\n<table id="runs"><tr>{head}</tr>{"".join(rows)}</table>\n'


TOOL_HEADS = ("tool calls per problem (mean / max)", "hit the call cap (%)", "code raised (%)")


def tool_cells(tools: ToolUse | None) -> tuple[str, ...]:
    """A run's tool use as the ``TOOL_HEADS`` columns show it (here and in the CLI's tables)."""
    if tools is None:
        return ("-",) * len(TOOL_HEADS)
    return f"{tools.mean_calls:.2f} / {tools.max_calls:g}", pct(tools.hit_cap), pct(tools.raised)


def _breakdown_section(breakdown: dict[str, dict[str, Any]], runs: list[str], naming: Naming) -> str:
    parts = []
    for dataset, b in breakdown.items():
        head = "".join(f"<th>{escape(h)}</th>" for h in (b["field"], *runs, "problems"))
        rows = "".join(
            f"<tr><td>{escape(row['value'])}</td>"
            + "".join(f'<td class="num">{pct(row[r])}</td>' for r in runs)
            + f'<td class="num">{max(row[f"{r} problems"] for r in runs)}</td></tr>' for row in b["rows"])
        parts.append(f"<h2>{escape(naming.of(dataset))}: accuracy (%) by {escape(b['field'])}</h2>\n"
                     f'<table class="breakdown"><tr>{head}</tr>{rows}</table>\n')
    return "".join(parts)


def _dataset_order(runs: list[Run]) -> list[str]:
    seen: list[str] = []
    for run in runs:
        seen.extend(d for d in run.records if d not in seen)
    return seen


def _accuracy(score: Any) -> float | None:
    return None if score is None else score.accuracy


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _problem_view(run: str, r: ProblemRecord) -> dict[str, Any]:
    """What the page shows for one problem (long texts clipped to ``MAX_TEXT``)."""
    def clip(text: str | None) -> str | None:
        return text if text is None or len(text) <= MAX_TEXT else text[:MAX_TEXT] + " [...]"

    return {"key": f"{run}|{r.id}", "run": run, "id": r.id, "benchmark": r.benchmark, "question": clip(r.question),
            "gold": r.gold, "answer": r.answer, "correct": r.correct, "path": r.path, "error": r.error,
            "fallback": r.fallback_reasons, "votes": r.votes, "method": r.method, "judge": r.judge,
            "attempts": [{"path": a.path, "text": clip(a.text), "program": clip(a.program), "answer": a.answer,
                          "failure": a.failure, "rule": a.rule, "sample": a.sample, "correct": a.correct,
                          "finish_reason": a.finish_reason, "tokens": a.tokens,
                          "stdout": clip(a.execution.stdout) if a.execution else None,
                          "exec_error": clip(a.execution.error) if a.execution else None,
                          "timed_out": a.execution.timed_out if a.execution else None,
                          "turns": [{"text": clip(t.text), "code": clip(t.code), "output": clip(t.output),
                                     "error": clip(t.error), "seconds": t.seconds} for t in a.turns]}
                         for a in r.attempts]}


def _html_page(results: dict[str, Any], runs: list[Run], chart: Path, path: Path, sections: str,
               naming: Naming) -> None:
    problems = [_problem_view(run.name, r) for run in runs for records in run.records.values() for r in records]
    data = {"datasets": results["datasets"], "names": {d: naming.of(d) for d in results["datasets"]},
            "table": results["table"], "runs": [run.name for run in runs],
            "scores": {name: run["datasets"] for name, run in results["runs"].items()}, "problems": problems}
    template = files("mammoth_math.evaluation.report").joinpath("template.html").read_text(encoding="utf-8")
    write_page(path, template, {"TITLE": escape(naming.title),
                                "CHART": base64.b64encode(chart.read_bytes()).decode("ascii"),
                                "SECTIONS": sections, "DATA": script_json(data)})
