"""The registry: benchmark name -> spec (the suites' tables and the extra sets in no suite), named suites, and one
function that loads a benchmark's problems.

``load_problems("gsm8k", data_dir)`` reads the MAmmoTH file layout under ``data_dir``;
``data_dir=None`` reads the Hugging Face hub copy instead (for users online).
``resolve_datasets("modern,gsm8k")`` turns a ``--datasets`` value into benchmark names.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from mammoth_math.benchmarks.extra import EXTRA_SPECS
from mammoth_math.benchmarks.modern import MODERN_SPECS
from mammoth_math.benchmarks.spec import BenchmarkSpec, Problem
from mammoth_math.benchmarks.suite import SPECS

log = logging.getLogger(__name__)

BENCHMARKS: dict[str, BenchmarkSpec] = {spec.name: spec for spec in SPECS}  # the paper's ten: decontamination's default
MODERN_BENCHMARKS: dict[str, BenchmarkSpec] = {spec.name: spec for spec in MODERN_SPECS}
EXTRA_BENCHMARKS: dict[str, BenchmarkSpec] = {spec.name: spec for spec in EXTRA_SPECS}  # in no suite: named one by one
SUITES: dict[str, tuple[str, ...]] = {
    "mammoth": tuple(BENCHMARKS),
    "modern": tuple(MODERN_BENCHMARKS),
    "all": (*BENCHMARKS, *MODERN_BENCHMARKS),
}
ALIASES = {"mmlu": "mmlu_math", "mmlu_mathematics": "mmlu_math", "AQuA": "aqua", "SVAMP": "svamp"}  # MAmmoTH's names


def get_benchmark(name: str) -> BenchmarkSpec:
    """The spec for ``name`` (a few of MAmmoTH's folder names are accepted as aliases)."""
    key = ALIASES.get(name, name)
    spec = BENCHMARKS.get(key) or MODERN_BENCHMARKS.get(key) or EXTRA_BENCHMARKS.get(key)
    if spec is None:
        raise KeyError(f"unknown benchmark {name!r}; known: {', '.join((*SUITES['all'], *EXTRA_BENCHMARKS))}")
    return spec


def resolve_datasets(value: str | Sequence[str]) -> list[str]:
    """Benchmark names for a ``--datasets`` value: comma-separated names, aliases and suite names
    (``mammoth``, ``modern``, ``all``), expanded in order, each benchmark once."""
    items = value.split(",") if isinstance(value, str) else list(value)
    names: list[str] = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        expanded = SUITES.get(item) or (get_benchmark(item).name,)
        names.extend(n for n in expanded if n not in names)
    if not names:
        raise ValueError(f"no benchmarks in {value!r}; name some, or a suite: {', '.join(SUITES)}")
    return names


def load_problems(name: str, data_dir: str | Path | None = None, limit: int | None = None) -> list[Problem]:
    """The problems of benchmark ``name`` in file order, gold answers normalised; the first ``limit`` if given."""
    spec = get_benchmark(name)
    if data_dir is not None:
        problems = spec.load_local(Path(data_dir))
    elif spec.load_hub is not None:
        problems = spec.load_hub()
    else:
        raise ValueError(f"{spec.name} has no public hub copy of its file ({spec.source}); "
                         "pass a data directory holding the evaluation files")
    if spec.expected_count and len(problems) != spec.expected_count:  # 0: no paper count (custom)
        log.warning("%s: loaded %d problems, expected %d", spec.name, len(problems), spec.expected_count)
    return problems[:limit] if limit is not None else problems
