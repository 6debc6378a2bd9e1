"""What a benchmark is: a spec value (not a class), and the problems it loads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mammoth_math.grading.kinds import AnswerKind


@dataclass(frozen=True)
class Problem:
    """One test item, with its gold answer already as the grader will read it."""

    benchmark: str
    id: str  # stable across runs: used to resume and to merge shards
    question: str  # the text the model sees (options included for multiple choice)
    gold: str  # the gold answer rendered for its kind: "18", "\\frac{1}{2}", "B", "True", "[1, 2]"
    kind: AnswerKind
    options: tuple[str, ...] | None = None  # option texts in letter order, for multiple choice
    meta: dict[str, Any] = field(default_factory=dict)  # level, subject, type... shown in reports


@dataclass(frozen=True)
class Sampling:
    """A set's default generation settings: ``n`` samples per problem at this temperature and top-p."""

    n: int = 1
    temperature: float = 0.0
    top_p: float = 1.0

    def __post_init__(self) -> None:
        if self.n < 1 or self.temperature < 0 or not 0 < self.top_p <= 1:
            raise ValueError(f"bad sampling settings {self}: need n >= 1, temperature >= 0, 0 < top_p <= 1")


GREEDY = Sampling()


@dataclass(frozen=True)
class BenchmarkSpec:
    """Everything a run needs to know about one benchmark (bump ``version`` when scores could move)."""

    name: str
    kind: AnswerKind  # the kind of most problems; a problem's own ``kind`` wins (NumGLUE, TheoremQA mix kinds)
    multiple_choice: bool
    load_local: Callable[[Path], list[Problem]]  # reads the MAmmoTH file layout under a data dir
    hub_id: str | None  # Hugging Face dataset id, for users online
    expected_count: int  # the paper's test-set size
    version: int = 1
    rel_tol: float | None = None  # the benchmark's official tolerance, if it has one (TheoremQA: 0.04)
    show_fields: tuple[str, ...] = ()  # meta fields shown in reports
    source: str = ""  # file or folder under the data dir, e.g. "gsm8k/gsm8k.jsonl"
    load_hub: Callable[[], list[Problem]] | None = None  # the same problems from ``hub_id`` (needs ``datasets``)
    convert: Callable[[Any], Problem] | None = None  # one raw record -> Problem (also lays out train exemplars)
    description: str = ""
    sampling: Sampling = GREEDY  # default n / temperature / top-p; a run's flags override it
    subset_field: str | None = None  # a meta field to report metrics by as well (comp-math-24-25: its subsets)
