"""The registry: benchmark name -> spec, and one function that loads a benchmark's problems.

``load_problems("gsm8k", data_dir)`` reads the MAmmoTH file layout under ``data_dir``;
``data_dir=None`` reads the Hugging Face hub copy instead (for users online).
"""

from __future__ import annotations

import logging
from pathlib import Path

from mammoth_math.benchmarks.spec import BenchmarkSpec, Problem
from mammoth_math.benchmarks.suite import CUSTOM, SPECS

log = logging.getLogger(__name__)

BENCHMARKS: dict[str, BenchmarkSpec] = {spec.name: spec for spec in SPECS}
ALIASES = {"mmlu": "mmlu_math", "mmlu_mathematics": "mmlu_math", "AQuA": "aqua", "SVAMP": "svamp"}  # MAmmoTH's names


def get_benchmark(name: str) -> BenchmarkSpec:
    """The spec for ``name`` (a few of MAmmoTH's folder names are accepted as aliases)."""
    key = ALIASES.get(name, name)
    if key == CUSTOM.name:
        return CUSTOM
    if key not in BENCHMARKS:
        raise KeyError(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}, {CUSTOM.name}")
    return BENCHMARKS[key]


def load_problems(name: str, data_dir: str | Path | None = None, limit: int | None = None) -> list[Problem]:
    """The problems of benchmark ``name`` in file order, gold answers normalised; the first ``limit`` if given."""
    spec = get_benchmark(name)
    if data_dir is not None:
        problems = spec.load_local(Path(data_dir))
    elif spec.load_hub is not None:
        problems = spec.load_hub()
    else:
        raise ValueError(f"{spec.name} has no public hub copy of MAmmoTH's file ({spec.source}); "
                         "pass a data directory holding the MAmmoTH evaluation files")
    if spec.expected_count and len(problems) != spec.expected_count:  # 0: no paper count (custom)
        log.warning("%s: loaded %d problems, the paper used %d", spec.name, len(problems), spec.expected_count)
    return problems[:limit] if limit is not None else problems
