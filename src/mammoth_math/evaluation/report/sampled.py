"""The report's suite sections: accuracy per named suite, sampled metrics with their standard errors (per
subset where a set defines one), truncation rate and mean output tokens.

``build_report`` calls :func:`suite_sections`; everything here is computed from the saved records and
``run.json``, so ``--pass-k`` at report time recomputes any k with no backend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mammoth_math.benchmarks import SUITES, get_benchmark
from mammoth_math.evaluation.config import default_ks
from mammoth_math.evaluation.grader import Grader
from mammoth_math.evaluation.records import ProblemRecord
from mammoth_math.evaluation.sampled import final_attempts, generation_stats, metrics_dict, set_metrics
from mammoth_math.evaluation.scores import Run
from mammoth_math.pages import escape

OTHER = "other"  # sets of no named suite (the quickstart's custom set)


@dataclass(frozen=True)
class SuiteSections:
    """Per run and dataset: ``sampled`` metrics (absent for single-sample sets), their ``subsets`` rows and
    ``generation`` stats; ``suites`` names the datasets of each suite present, in order."""

    suites: dict[str, list[str]]
    sampled: dict[str, dict[str, dict[str, Any]]]  # run -> dataset -> metrics_dict
    subsets: dict[str, dict[str, dict[str, dict[str, Any]]]]  # run -> dataset -> subset value -> metrics_dict
    generation: dict[str, dict[str, dict[str, Any]]]  # run -> dataset -> GenerationStats.to_dict()


def suites_of(datasets: Sequence[str]) -> dict[str, list[str]]:
    """The datasets of each named suite (``mammoth``, ``modern``; ``all`` is their union), then the rest."""
    grouped = {name: [d for d in datasets if d in members] for name, members in SUITES.items() if name != "all"}
    named = {d for members in grouped.values() for d in members}
    grouped[OTHER] = [d for d in datasets if d not in named]
    return {name: members for name, members in grouped.items() if members}


def suite_sections(runs: Sequence[Run], datasets: Sequence[str], pass_k: Sequence[int] | None) -> SuiteSections:
    """Every run's sampled metrics and generation stats; ``pass_k`` overrides the k each run saved."""
    sampled: dict[str, dict[str, dict[str, Any]]] = {}
    subsets: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
    generation: dict[str, dict[str, dict[str, Any]]] = {}
    for run in runs:
        for dataset, records in run.records.items():
            bench = run.meta.get("benchmarks", {}).get(dataset, {})
            grader = Grader(run.meta.get("grading", "strict"), bench.get("rel_tol"))
            generation.setdefault(run.name, {})[dataset] = generation_stats(records).to_dict()
            n = max((len(final_attempts(r)) for r in records), default=1)
            ks = list(pass_k) if pass_k else bench.get("pass_k") or default_ks(n)
            metrics = set_metrics(records, ks, grader)
            if metrics is None:
                continue
            sampled.setdefault(run.name, {})[dataset] = metrics_dict(metrics, bench.get("sampling"))
            by_subset = _subset_metrics(records, _subset_field(dataset, bench), ks, grader, bench.get("sampling"))
            if by_subset:
                subsets.setdefault(run.name, {})[dataset] = by_subset
    return SuiteSections(suites_of(datasets), sampled, subsets, generation)


def _subset_field(dataset: str, bench: dict[str, Any]) -> str | None:
    if "subset_field" in bench:
        return bench["subset_field"]
    try:
        return get_benchmark(dataset).subset_field
    except KeyError:
        return None


def _subset_metrics(records: list[ProblemRecord], field: str | None, ks: Sequence[int], grader: Grader,
                    sampling: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    if field is None:
        return {}
    out = {}
    for value in sorted({str(r.meta[field]) for r in records if field in r.meta}):
        metrics = set_metrics([r for r in records if str(r.meta.get(field)) == value], ks, grader)
        if metrics is not None:
            out[value] = metrics_dict(metrics, sampling)
    return out


Metrics = dict[str, Any]  # one metrics_dict


def sampled_rows(sampled: dict[str, dict[str, Metrics]], subsets: dict[str, dict[str, dict[str, Metrics]]],
                 run: str, datasets: Sequence[str]) -> list[tuple[str, Metrics]]:
    """(label, metrics) of one run's sampled sets, then their subsets (``comp_math_24_25 / hmmt_feb_2025``)."""
    rows = [(d, sampled[run][d]) for d in datasets if d in sampled.get(run, {})]
    return rows + [(f"{d} / {value}", row) for d in datasets for value, row in subsets.get(run, {}).get(d, {}).items()]


def metric_names(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The metric columns of sampled rows, in a fixed order: avg@n, pass@k..., maj@k..."""
    keys = {k for row in rows for k in row if "@" in k}
    order = {"avg": 0, "pass": 1, "maj": 2}
    return sorted(keys, key=lambda k: (order[k.split("@")[0]], int(k.split("@")[1])))


def format_metric(row: dict[str, Any], name: str) -> str:
    """A metric in percent; avg@n with its standard error (``41.3 ± 2.1``)."""
    value = row.get(name)
    if value is None:
        return "-"
    text = f"{100 * value:.1f}"
    return f"{text} ± {100 * row['std_error']:.1f}" if name.startswith("avg@") else text


def settings_text(row: dict[str, Any]) -> str:
    s = row.get("sampling") or {}
    return f"n={row['n']}, T={s.get('temperature', '?')}, top-p={s.get('top_p', '?')}"


def sections_html(sections: SuiteSections, table: list[dict[str, Any]], runs: Sequence[str],
                  names: Mapping[str, str] | None = None, other: str = OTHER) -> str:
    """One ``<section>`` per suite: accuracy, then sampled metrics (and subsets), then generation stats.
    ``names`` are the data sets' shown names, ``other`` the name of the suite of the rest."""
    parts = []
    accuracy = {row["dataset"]: row for row in table}
    shown_names = dict(names or {})
    shown = (lambda d: shown_names.get(d, d))
    for suite, datasets in sections.suites.items():
        head = _row("th", ["dataset", *runs])
        rows = "".join(_row("td", [shown(d), *(pct(accuracy.get(d, {}).get(r)) for r in runs)]) for d in datasets)
        body = f'<h3>accuracy (%)</h3><table class="suite-accuracy">{head}{rows}</table>'
        for run in runs:
            present = sampled_rows(sections.sampled, sections.subsets, run, datasets)
            if present:
                metrics = metric_names([row for _, row in present])
                rows = "".join(_row("td", [d, settings_text(row), *(format_metric(row, m) for m in metrics)])
                               for d, row in present)
                body += (f'<h3>{escape(run)}: sampled metrics (%, avg ± standard error)</h3>'
                         f'<table class="sampled">{_row("th", ["dataset", "settings", *metrics])}{rows}</table>')
        stats = [(run, d, sections.generation.get(run, {}).get(d)) for run in runs for d in datasets]
        rows = "".join(_row("td", [run, shown(d), pct(g["truncation_rate"]), _tokens(g["output_tokens"])])
                       for run, d, g in stats if g)
        body += (f'<h3>generation</h3><table class="generation">'
                 f'{_row("th", ["run", "dataset", "truncated (%)", "mean output tokens"])}{rows}</table>')
        title = other if suite == OTHER else suite
        parts.append(f'<section class="suite" id="suite-{escape(suite)}"><h2>suite: {escape(title)}</h2>'
                     f"{body}</section>\n")
    return "".join(parts)


def _row(cell: str, values: Sequence[Any]) -> str:
    return "<tr>" + "".join(f"<{cell}>{escape(str(v))}</{cell}>" for v in values) + "</tr>"


def pct(value: float | None) -> str:
    """A share in percent with one decimal, "-" for none."""
    return "-" if value is None else f"{100 * value:.1f}"


def _tokens(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"
