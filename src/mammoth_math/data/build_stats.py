"""The build's statistics: counts per source x type, verification pass rates, rejects by reason, contamination
hits, and the length distribution in tokens (a PNG histogram). Written as JSON and Markdown (``report.json``,
``report.md``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mammoth_math.data.examples import Example, Reject
from mammoth_math.files import atomic_writer, write_json

_PIECE_RE = re.compile(r"\w+|[^\w\s]")


def token_counter(tokenizer: str | None = None) -> Callable[[str], int]:
    """Count tokens with a Hugging Face tokenizer when named, else words and symbols (an approximation)."""
    if tokenizer is None:
        return lambda text: len(_PIECE_RE.findall(text))
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tokenizer)
    return lambda text: len(tok(text, add_special_tokens=False)["input_ids"])


def build_stats(read: Sequence[Example], verified: Sequence[Example], final: Sequence[Example],
                rejects: Sequence[Reject], removed: Sequence[Reject], lengths: Sequence[int],
                tokenizer: str | None) -> dict[str, Any]:
    def by_group(rows: Sequence[Example | Reject]) -> Counter:
        return Counter(f"{r.source.split(':')[0]}/{r.rationale_type}" for r in rows)

    checked, passed = by_group(read), by_group(verified)
    return {
        "rows": len(final),
        "counts": dict(sorted(by_group(final).items())),
        "verification": {k: {"checked": checked[k], "passed": passed[k], "pass_rate": round(passed[k] / checked[k], 4)}
                         for k in sorted(checked)},
        "rejects_by_reason": dict(sorted(Counter(f"{r.stage}:{r.reason}" for r in rejects).items())),
        "removed_by_reason": dict(sorted(Counter(f"{r.stage}:{r.reason}" for r in removed).items())),
        "contamination_hits": [{"id": r.id, "rationale_type": r.rationale_type, "matched": r.detail}
                               for r in removed if r.stage == "decontaminate"],
        "lengths": _length_summary(lengths) | {"tokenizer": tokenizer or "words-and-symbols"},
    }


def _length_summary(lengths: Sequence[int]) -> dict[str, Any]:
    if not lengths:
        return {"count": 0}
    ordered = sorted(lengths)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    return {"count": len(ordered), "mean": round(sum(ordered) / len(ordered), 1), "p50": pick(0.5),
            "p90": pick(0.9), "p99": pick(0.99), "max": ordered[-1]}


def write_report(report: dict[str, Any], lengths: Sequence[int], out_dir: str | Path) -> None:
    out = Path(out_dir)
    write_json(out / "report.json", report)
    _histogram(lengths, out / "lengths.png")
    with atomic_writer(out / "report.md") as f:
        f.write(render_markdown(report))


def render_markdown(report: dict[str, Any]) -> str:
    lines = [f"# Build report\n\n{report['rows']} rows.\n", "| source/type | rows | checked | passed | pass rate |",
             "|---|---|---|---|---|"]
    for key, v in report["verification"].items():
        lines.append(f"| {key} | {report['counts'].get(key, 0)} | {v['checked']} | {v['passed']} | {v['pass_rate']:.1%} |")
    lines += ["", "## Rejects by reason", ""] + [f"- {k}: {n}" for k, n in report["rejects_by_reason"].items()]
    lines += ["", "## Removed (dedup, decontamination)", ""] + [f"- {k}: {n}" for k, n in report["removed_by_reason"].items()]
    lines += ["", f"## Contamination hits ({len(report['contamination_hits'])})", ""]
    lines += [f"- {h['id']} ({h['rationale_type']}) matched {h['matched']}" for h in report["contamination_hits"][:200]]
    lengths = report["lengths"]
    lines += ["", f"## Lengths ({lengths['tokenizer']} tokens)", "", "`" + str({k: v for k, v in lengths.items()
                                                                                if k != 'tokenizer'}) + "`",
              "", "![lengths](lengths.png)", ""]
    return "\n".join(lines)


def _histogram(lengths: Sequence[int], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.hist(list(lengths) or [0], bins=50, color="#4472c4")
    ax.set_xlabel("tokens per row (instruction + output)")
    ax.set_ylabel("rows")
    fig.tight_layout()
    with atomic_writer(path, "wb") as f:
        fig.savefig(f, format="png", metadata={"Software": None})  # no version stamp: rebuilds stay byte-identical
    plt.close(fig)
