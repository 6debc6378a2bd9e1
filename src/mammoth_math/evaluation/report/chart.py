"""``report.png``: accuracy per group and run (mode), each bar labelled with its value.

A report of one data set with a breakdown (the quickstart's families, MATH's levels) is charted per value of
that breakdown, then the whole set; several data sets are charted per set, then their average, as the
MAmmoTH tables read. The legend sits beside the plot, never on the bars, and the axis leaves room above 100.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mammoth_math.files import atomic_writer

Group = tuple[str, dict[str, float | None]]  # label, run -> accuracy (0-1) or None


def chart_groups(table: Sequence[dict[str, Any]], breakdown: Mapping[str, dict[str, Any]], runs: Sequence[str],
                 names: Mapping[str, str]) -> list[Group]:
    """The chart's groups: one data set's breakdown rows and the set, else one group per table row."""
    sets = [row for row in table if row["dataset"] != "average"]
    if len(sets) == 1 and sets[0]["dataset"] in breakdown:
        rows = breakdown[sets[0]["dataset"]]["rows"]
        return ([(str(row["value"]), {r: row.get(r) for r in runs}) for row in rows]
                + [("all", {r: sets[0].get(r) for r in runs})])
    return [(names.get(row["dataset"], row["dataset"]), {r: row.get(r) for r in runs}) for row in table]


def bar_chart(groups: Sequence[Group], runs: Sequence[str], path: Path, title: str, xlabel: str = "") -> None:
    """Grouped bars, one colour per run, the value (%) on each bar; written atomically as PNG."""
    import matplotlib

    matplotlib.use("Agg")  # no display: render straight to a file
    import matplotlib.pyplot as plt

    n = max(1, len(runs))
    width = 0.8 / n
    fig, ax = plt.subplots(figsize=(min(16.0, max(6.5, 1.6 + 0.32 * n * max(1, len(groups)))), 4.2))
    for k, run in enumerate(runs):
        values = [group[1].get(run) for group in groups]
        xs = [i + (k - (n - 1) / 2) * width for i in range(len(groups))]
        bars = ax.bar(xs, [100 * (v or 0) for v in values], width, label=run)
        ax.bar_label(bars, labels=["–" if v is None else f"{100 * v:.0f}" for v in values],
                     padding=2, fontsize=7 if n * len(groups) > 24 else 8)
    ax.set_xticks(range(len(groups)), [label for label, _ in groups],
                  rotation=30 if len(groups) > 6 else 0, ha="right" if len(groups) > 6 else "center")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 112)  # room for a 100% bar's label inside the frame
    ax.set_yticks(range(0, 101, 20))
    ax.spines[["top", "right"]].set_visible(False)
    if xlabel:
        ax.set_xlabel(xlabel)
    ax.set_title(title)
    if runs:  # a folder of probes only has no accuracy to chart
        ax.legend(title="mode", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    with atomic_writer(path, "wb") as f:
        fig.savefig(f, format="png", dpi=110)
    plt.close(fig)
