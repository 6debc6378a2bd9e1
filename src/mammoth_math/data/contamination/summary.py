"""The contamination report: per test set the rate and counts (JSON, Markdown), every pair (JSONL), and one HTML
page per test set showing the pairs side by side with the retriever's score and the checker's verdict.

All text on the pages comes from data and models, so it is hostile: it reaches HTML only through ``html.escape``.
"""

from __future__ import annotations

import html
from collections import defaultdict
from pathlib import Path
from typing import Any

from mammoth_math.data.contamination.stages import Contamination, Pair
from mammoth_math.files import atomic_writer, write_json, write_jsonl

PAGE_PAIRS = 300  # unknown and unflagged pairs shown per page, most similar first (all are in pairs.jsonl)
TOP_PAIRS = 10  # highest-scoring retrieval pairs per set listed in report.json and report.md


def summarize(found: Contamination) -> dict[str, Any]:
    """Per test set: problems, flagged problems (by n-gram, by the check), unknown ones, the rate, top pairs."""
    by_set: dict[str, list[Pair]] = defaultdict(list)
    for pair in found.pairs:
        by_set[pair.test.benchmark].append(pair)
    sizes: dict[str, int] = defaultdict(int)
    for problem in found.tests:
        sizes[problem.benchmark] += 1
    sets = {}
    for name, size in sizes.items():
        pairs = by_set.get(name, [])
        flagged = {p.test.id for p in pairs if p.flagged}
        retrieved = sorted((p for p in pairs if p.stage == "retrieval"), key=lambda p: -p.score)
        sets[name] = {
            "problems": size, "flagged": len(flagged), "rate": round(len(flagged) / size, 4),
            "ngram": len({p.test.id for p in pairs if p.stage == "ngram"}),
            "same": len({p.test.id for p in pairs if p.flagged and p.stage == "retrieval"}),
            "unknown": len({p.test.id for p in pairs if p.unknown} - flagged),
            "pairs_retrieved": len(retrieved), "pairs_checked": sum(p.verdict is not None for p in retrieved),
            "top_pairs": [_brief(p) for p in retrieved[:TOP_PAIRS]]}
    return {"sets": sets, **found.info}


def _brief(pair: Pair) -> dict[str, Any]:
    return {"test_id": pair.test.id, "train_id": pair.train.ids[0], "score": round(pair.score, 4),
            "verdict": _verdict_word(pair)}


def _verdict_word(pair: Pair) -> str:
    if pair.stage == "ngram":
        return "n-gram overlap"
    if pair.verdict is None:
        return "not checked"
    return {True: "same", False: "different", None: "unknown"}[pair.verdict.same]


def write_contamination_report(found: Contamination, out_dir: str | Path) -> dict[str, Any]:
    """``report.json``, ``report.md``, ``pairs.jsonl`` and ``<set>.html`` under ``out_dir``; returns the summary."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = summarize(found)
    write_json(out / "report.json", summary)
    write_jsonl(out / "pairs.jsonl", (p.to_dict() for p in found.pairs))
    with atomic_writer(out / "report.md") as f:
        f.write(render_markdown(summary))
    for name in summary["sets"]:
        with atomic_writer(out / f"{name}.html") as f:
            f.write(render_page(name, summary["sets"][name], [p for p in found.pairs if p.test.benchmark == name]))
    return summary


def render_markdown(summary: dict[str, Any]) -> str:
    config = summary.get("config", {})
    checked = "checked by " + str((summary.get("checker") or {}).get("model")) if summary.get("checker") else (
        "not checked by a model: retrieval pairs are candidates, only n-gram overlaps are flagged")
    lines = [f"# Contamination report\n\n{summary.get('train_problems', 0)} distinct training problems "
             f"({summary.get('train_rows', 0)} rows); retriever {config.get('retriever')}, k={config.get('k')}; "
             f"{checked}.\n", "| test set | problems | flagged | rate | n-gram | same | unknown | pairs checked |",
             "|---|---|---|---|---|---|---|---|"]
    for name, s in summary["sets"].items():
        lines.append(f"| {name} | {s['problems']} | {s['flagged']} | {s['rate']:.2%} | {s['ngram']} | {s['same']} | "
                     f"{s['unknown']} | {s['pairs_checked']}/{s['pairs_retrieved']} |")
    lines += ["", "## Most similar retrieved pairs", ""]
    for name, s in summary["sets"].items():
        lines += [f"- {name}: {p['test_id']} ~ {p['train_id']} ({p['score']:.3f}, {p['verdict']})"
                  for p in s["top_pairs"][:3]]
    return "\n".join(lines) + "\n"


_STYLE = ("body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;width:100%}"
          "td,th{border:1px solid #ccc;padding:.4em;vertical-align:top}td.text{white-space:pre-wrap;width:38%}"
          "tr.flagged{background:#fde2e2}tr.unknown{background:#fff4cc}")


def render_page(name: str, stats: dict[str, Any], pairs: list[Pair]) -> str:
    """One test set's pairs side by side: every flagged one, then unknown ones, then the rest, by score."""
    e = html.escape
    by_score = sorted(pairs, key=lambda p: -p.score)
    flagged = [p for p in by_score if p.flagged]
    unknown = [p for p in by_score if p.unknown and not p.flagged][:PAGE_PAIRS]
    rest = [p for p in by_score if not (p.flagged or p.unknown)][:PAGE_PAIRS]
    rows = []
    for p in flagged + unknown + rest:
        kind = "flagged" if p.flagged else "unknown" if p.unknown else ""
        reply = p.verdict.reply if p.verdict else ""
        error = p.verdict.error if p.verdict and p.verdict.error else ""
        rows.append(f'<tr class="{kind}"><td class="text">{e(p.test.id)}\n\n{e(p.test.question)}</td>'
                    f'<td class="text">{e(", ".join(p.train.ids[:5]))}\n\n{e(p.train.question)}</td>'
                    f"<td>{e(p.stage)}<br>score {p.score:.3f}<br>rank {p.rank + 1}</td>"
                    f'<td><b>{e(_verdict_word(p))}</b><div class="text">{e(error)}\n{e(reply[:2000])}</div></td></tr>')
    head = (f"{stats['flagged']} of {stats['problems']} problems flagged ({stats['rate']:.2%}): {stats['ngram']} by "
            f"n-gram overlap, {stats['same']} by the check; {stats['unknown']} unknown (check failed). "
            f"Shown: every flagged pair, then up to {PAGE_PAIRS} unknown and {PAGE_PAIRS} other pairs by similarity; "
            "all pairs are in pairs.jsonl.")
    return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>contamination: {e(name)}</title>"
            f"<style>{_STYLE}</style></head><body><h1>{e(name)}</h1><p>{e(head)}</p>"
            "<table><tr><th>test problem</th><th>training problem</th><th>retriever</th><th>checker</th></tr>"
            + "".join(rows) + "</table></body></html>\n")
