"""What ``mammoth-math benchmarks`` lists: one row per set with its kind, the paper's count and, given a data dir,
how many problems load. Under ``all`` the extra sets in no suite follow the suites' sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mammoth_math.benchmarks.registry import EXTRA_BENCHMARKS, get_benchmark, load_problems, resolve_datasets


@dataclass(frozen=True)
class BenchmarkRow:
    name: str
    kind: str
    multiple_choice: bool
    paper_count: int  # 0: no paper count (an extra set), so any count loaded is right
    loaded: int | None  # problems read under the data dir; None: not loaded
    source: str
    hub_id: str | None
    version: int

    @property
    def ok(self) -> bool:
        return self.loaded is None or not self.paper_count or self.loaded == self.paper_count


def benchmark_rows(datasets: str = "all", data_dir: str | Path | None = None) -> list[BenchmarkRow]:
    """A row per set ``datasets`` names (as ``--datasets`` resolves it); ``all`` adds the extra sets, which are
    loaded only where their file is under ``data_dir`` (a set named on its own must load)."""
    names = resolve_datasets(datasets)
    implicit = [n for n in EXTRA_BENCHMARKS if n not in names] if datasets == "all" else []
    rows = []
    for name in [*names, *implicit]:
        spec = get_benchmark(name)
        present = bool(data_dir) and (name not in implicit or (Path(data_dir) / spec.source).exists())
        rows.append(BenchmarkRow(name, spec.kind.value, spec.multiple_choice, spec.expected_count,
                                 len(load_problems(name, data_dir)) if present else None, spec.source,
                                 spec.hub_id, spec.version))
    return rows
