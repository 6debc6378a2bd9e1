"""``mammoth-math report OUT``: the paper-style table, ``results.json``, a PNG bar chart and an HTML report.

Runs (cot, pot, hybrid, ...) sit side by side per dataset, with the average over datasets as in the
MAmmoTH tables. The HTML page is one self-contained file (data, chart and script inline): every problem
opens to its question, program, program output, CoT fallback and verdict; filters pick wrong,
fallback or error problems. Other parts of the package add their own sections (``ReportSection``): the
report never imports them.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from mammoth_math.evaluation.records import ProblemRecord
from mammoth_math.evaluation.scores import Run, find_runs
from mammoth_math.files import atomic_writer, write_json

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
class Report:
    datasets: list[str]
    runs: list[str]
    table: list[dict[str, Any]]  # one row per dataset, then "average": run -> accuracy (0-1) or None
    errors: dict[str, dict[str, int]]  # run -> dataset -> backend errors
    results_json: str
    chart_png: str
    html: str


def build_report(output_dir: str | Path, sections: Sequence[SectionMaker] = ()) -> Report:
    """Write ``results.json``, ``report.png`` and ``report.html`` into ``output_dir`` from the runs found there.

    ``sections`` add their rows and HTML (e.g. the probe's robustness section).
    """
    output_dir = Path(output_dir)
    runs = find_runs(output_dir)
    if not runs:
        raise FileNotFoundError(f"{output_dir}: no finished run (OUT/<mode>/run.json); "
                                "sharded runs need `mammoth-math merge` first")
    scores = {run.name: run.scores() for run in runs}
    datasets = _dataset_order(runs)
    table = [{"dataset": d, **{r: _accuracy(scores[r].get(d)) for r in scores}} for d in datasets]
    average = {r: _mean([row[r] for row in table]) for r in scores}
    table.append({"dataset": "average", **average})
    results = {"datasets": datasets, "table": table,
               "runs": {run.name: {"meta": run.meta, "average": average[run.name],
                                   "datasets": {d: s.to_dict() for d, s in scores[run.name].items()}}
                        for run in runs}}
    extra = [make(output_dir) for make in sections]
    results.update({section.key: section.rows for section in extra})
    write_json(output_dir / "results.json", results)
    chart = output_dir / "report.png"
    _bar_chart(table, list(scores), chart)
    html = output_dir / "report.html"
    _html_page(results, runs, chart, html, "\n".join(section.html for section in extra if section.html))
    errors = {r: {d: s.errors for d, s in by_dataset.items()} for r, by_dataset in scores.items()}
    return Report(datasets, list(scores), table, errors, str(output_dir / "results.json"), str(chart), str(html))


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


def _bar_chart(table: list[dict[str, Any]], runs: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display: render straight to a file
    import matplotlib.pyplot as plt

    labels = [row["dataset"] for row in table]
    width = 0.8 / max(1, len(runs))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(labels) * max(1, len(runs)) ** 0.5), 4.0))
    for k, run in enumerate(runs):
        xs = [i + (k - (len(runs) - 1) / 2) * width for i in range(len(labels))]
        ax.bar(xs, [100 * (row[run] or 0) for row in table], width, label=run)
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.legend()
    fig.tight_layout()
    with atomic_writer(path, "wb") as f:
        fig.savefig(f, format="png", dpi=110)
    plt.close(fig)


def _problem_view(run: str, r: ProblemRecord) -> dict[str, Any]:
    """What the page shows for one problem (long texts clipped to ``MAX_TEXT``)."""
    def clip(text: str | None) -> str | None:
        return text if text is None or len(text) <= MAX_TEXT else text[:MAX_TEXT] + " [...]"

    return {"key": f"{run}|{r.id}", "run": run, "id": r.id, "benchmark": r.benchmark, "question": clip(r.question),
            "gold": r.gold, "answer": r.answer, "correct": r.correct, "path": r.path, "error": r.error,
            "fallback": r.fallback_reasons, "votes": r.votes, "method": r.method,
            "attempts": [{"path": a.path, "text": clip(a.text), "program": clip(a.program), "answer": a.answer,
                          "failure": a.failure, "rule": a.rule,
                          "stdout": clip(a.execution.stdout) if a.execution else None,
                          "exec_error": clip(a.execution.error) if a.execution else None,
                          "timed_out": a.execution.timed_out if a.execution else None,
                          "turns": [{"text": clip(t.text), "code": clip(t.code), "output": clip(t.output),
                                     "error": clip(t.error)} for t in a.turns]}
                         for a in r.attempts]}


def _html_page(results: dict[str, Any], runs: list[Run], chart: Path, path: Path, sections: str) -> None:
    problems = [_problem_view(run.name, r) for run in runs for records in run.records.values() for r in records]
    data = {"datasets": results["datasets"], "table": results["table"], "runs": [run.name for run in runs],
            "scores": {name: run["datasets"] for name, run in results["runs"].items()}, "problems": problems}
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")  # never close the <script> early
    template = files("mammoth_math.evaluation").joinpath("report_template.html").read_text(encoding="utf-8")
    page = (template.replace("__CHART__", base64.b64encode(chart.read_bytes()).decode("ascii"))
            .replace("__SECTIONS__", sections).replace("__DATA__", payload))
    with atomic_writer(path) as f:
        f.write(page)
