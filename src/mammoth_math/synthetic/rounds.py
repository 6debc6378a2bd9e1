"""The quickstart's second round (``--rounds 2``): one round of self-distillation with majority labels.

The first round's model samples CoT and PoT solutions to a new batch of synthetic problems whose golds it is
not shown (``data distill`` with ``use_gold: false``); the majority answer labels each problem, the filters
keep the agreeing solutions, and a second model trains on the first round's data plus these rows and is
evaluated on the same test set. The label accuracy is the majority's agreement with the hidden golds.
Everything goes under ``<out>/round2/``; each stage resumes like the first round's. :func:`rounds_section`
puts both rounds' tables side by side, with the label accuracy and counts, into the quickstart's report.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mammoth_math.cpu import free_threads
from mammoth_math.pages import escape
from mammoth_math.synthetic.generate import generate, write_problems

if TYPE_CHECKING:
    from mammoth_math.evaluation import ReportSection

ROUND = "round2"
K = 4  # samples per problem and type: enough for a majority, cheap for a tiny model on a CPU


@dataclass
class SecondRound:
    table: list[dict[str, Any]]  # the second model's evaluation rows, as the first round's
    families: dict[str, dict[str, float]]
    label_accuracy: dict[str, Any] | None  # majority labels against the hidden golds
    distilled: int  # rows the distillation kept
    report: dict[str, Any]  # the distillation report (counts at every filter stage)

    def labels(self) -> dict[str, Any]:
        """How the new problems were labelled: read, majority-labelled, unlabelled by reason, label accuracy."""
        counts = {k: v for k, v in self.report["problems"].items() if k != "sampled"}
        return {"distilled_rows": self.distilled, **counts, "label_accuracy": self.label_accuracy}


def second_round(config: Any, out: Path, data: Callable, train: Callable, evaluate: Callable,
                 family_scores: Callable, naming: Any) -> SecondRound:
    """Run (or resume) round two with the first round's stage functions (``data``, ``train``, ``evaluate``);
    its report page is named as the first round's (``naming``), marked round 2."""
    from mammoth_math.evaluation import build_report

    folder = out / ROUND
    report = _distill(config, out, folder)
    data(config, out, f"{ROUND}/data", ({"name": "distilled", "path": str(folder / "distill")},))
    train(config, out, f"{ROUND}/data", f"{ROUND}/model")
    evaluate(config, out, f"{ROUND}/model", f"{ROUND}/eval")
    table = build_report(folder / "eval", naming=replace(naming, title=f"{naming.title}, round 2")).table
    return SecondRound(table, family_scores(folder / "eval"), report["label_accuracy"], report["rows"], report)


def _distill(config: Any, out: Path, folder: Path) -> dict[str, Any]:
    from mammoth_math.backends import make_backend
    from mammoth_math.data import DistillConfig, SourceSpec, distill

    problems = folder / "problems.jsonl"
    if not problems.exists():
        seen = {json.loads(line)["question"] for name in ("train.jsonl", "test/custom.jsonl")
                for line in (out / "synthetic" / name).read_text(encoding="utf-8").splitlines() if line.strip()}
        write_problems(generate(max(8, config.train_problems // 2), config.seed + 2, prefix=ROUND,
                                exclude=frozenset(seen)), problems)
    if (folder / "distill" / "report.json").exists():
        return json.loads((folder / "distill" / "report.json").read_text(encoding="utf-8"))
    # The golds stay in the file but are hidden from labelling: they only score the majority afterwards.
    # Pass-rate window 0..1: a problem the model always agrees on is its surest label, not a trivial one.
    settings = DistillConfig(sources=(SourceSpec("rationales", path=str(problems)),), model=str(out / "model"),
                             teacher="quickstart round 1", prompt="mammoth", use_gold=False, k=K, temperature=0.7,
                             max_new_tokens=config.max_new_tokens, seed=config.seed,
                             batch_size=config.eval_batch_size, pass_rate_min=0.0, pass_rate_max=1.0,
                             workers=config.threads or free_threads())
    backend = make_backend("hf", str(out / "model"), batch_size=config.eval_batch_size, device="cpu")
    return distill(settings, folder / "distill", backend=backend, progress=config.progress).report


def rounds_section(modes: Sequence[str], first_table: list[dict[str, Any]],
                   first_families: dict[str, dict[str, float]], second: SecondRound) -> ReportSection:
    """Both rounds side by side for the report: ``rounds`` rows (one per family, then ``all``; columns ``cot``,
    ..., ``cot r2``, ...) and, under ``round2_labels`` in ``results.json``, the majority labels' counts and accuracy."""
    from mammoth_math.evaluation import ReportSection

    rows = side_by_side(modes, first_table, first_families, second.table, second.families, "r2")
    return ReportSection("rounds", rows, _rounds_html(rows, second.labels()))


def side_by_side(modes: Sequence[str], first_table: list[dict[str, Any]], first_families: dict[str, dict[str, float]],
                 table: list[dict[str, Any]], families: dict[str, dict[str, float]], suffix: str
                 ) -> list[dict[str, Any]]:
    """Rows of two models' accuracies (0-1): one per family, then ``all``; columns ``cot``, ..., then
    ``cot <suffix>``, ... for the second model."""
    rows = [{"test set": family, **{m: first_families[family].get(m) for m in modes},
             **{f"{m} {suffix}": families.get(family, {}).get(m) for m in modes}} for family in first_families]
    rows.append({"test set": "all", **{m: first_table[0][m] for m in modes},
                 **{f"{m} {suffix}": table[0][m] for m in modes}})
    return rows


def accuracy_table_html(rows: list[dict[str, Any]]) -> str:
    """:func:`side_by_side`'s rows as an HTML table (percent; "-" where a mode has no score)."""
    columns = list(rows[0])[1:]
    head = "".join(f"<th>{escape(c)}</th>" for c in ["test set", *columns])
    body = "".join("<tr>" + f"<td>{escape(row['test set'])}</td>" + "".join(
        f'<td class="num">{"-" if row[c] is None else f"{100 * row[c]:.1f}"}</td>' for c in columns) + "</tr>"
        for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def labels_section(second: SecondRound) -> ReportSection:
    """The round-two labels as ``results.json`` rows (shown in the rounds section's HTML)."""
    from mammoth_math.evaluation import ReportSection

    return ReportSection("round2_labels", [second.labels()], "")


def _rounds_html(rows: list[dict[str, Any]], labels: dict[str, Any]) -> str:
    accuracy = labels["label_accuracy"]
    checked = (f"{100 * accuracy['accuracy']:.1f}% ({accuracy['correct']} of {accuracy['checked']} against the "
               "hidden golds)") if accuracy else "none checked (no problem got a majority label)"
    unlabelled = ", ".join(f"{k.removeprefix('unlabelled_')} {v}" for k, v in labels.items()
                           if k.startswith("unlabelled_")) or "none"
    return (f'<section id="rounds"><h2>Self-distillation: round 1 and round 2 (accuracy %)</h2>'
            f"<p>The round-1 model wrote {K} CoT and {K} PoT solutions to {labels['read']} new problems without their "
            f"golds; {labels.get('majority', 0)} got a majority label (unlabelled: {escape(unlabelled)}). "
            f"Majority label accuracy: {escape(checked)}. Round 2 trained on round 1's data plus the "
            f"{labels['distilled_rows']} distilled rows kept by the filters (columns <i>r2</i>).</p>"
            f"{accuracy_table_html(rows)}</section>")
