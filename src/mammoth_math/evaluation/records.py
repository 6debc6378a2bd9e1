"""Per-problem records of an evaluation run: one JSONL line each, appended and flushed as problems finish.

A run lives in ``OUT/<run>/`` (``<run>`` is the mode, e.g. ``hybrid``, or ``cot-sc`` for n > 1 samples;
runs saved before were ``cot-sc<n>``): ``<dataset>.jsonl``
records plus ``run.json`` (settings, backend info, library and spec versions). Shards write
``<dataset>.shard-<i>-of-<n>.jsonl`` and ``run.shard-<i>-of-<n>.json`` until ``merge`` joins them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mammoth_math import files


@dataclass
class Execution:
    """What the sandbox reported for one program."""

    stdout: str
    error: str | None
    timed_out: bool
    duration_s: float
    answer: str | None = None  # the sandbox's own reading of the program's answer (its last printed line)


@dataclass
class Turn:
    """One step of a multi-step attempt (model text, then the code it ran and what came back)."""

    text: str
    code: str | None = None
    output: str | None = None
    error: str | None = None
    seconds: float = 0.0


@dataclass
class Attempt:
    """One answer to a problem by one strategy: its text, the program and sandbox run if any, the answer.

    ``path`` is the name of the strategy that made it (``cot``, ``pot``, ...). Self-consistency keeps every
    sample as its own attempt, numbered by ``sample``; a multi-step strategy keeps its steps in ``turns``.
    A sampled run (n > 1) grades every attempt (``correct``): the sampled metrics are computed from these.
    ``tokens``: output tokens of this sample, where the backend reports them per sample. ``reward``: an outcome
    reward model's score of this sample (``eval --reward-model``, or a harness's imported score); higher is better.
    ``step_rewards``: a process reward model's score of each step (``eval --process-reward-model``), in order.
    """

    path: str
    text: str
    answer: str | None  # the extracted, normalised answer (None: none found)
    rule: str  # the extraction rule that found it
    program: str | None = None
    execution: Execution | None = None
    failure: str | None = None  # why it gave no usable answer: error, timeout, no output, no answer, ...
    finish_reason: str = ""
    sample: int = 0
    turns: list[Turn] = field(default_factory=list)
    correct: bool | None = None  # this attempt's own verdict (sampled runs)
    tokens: int = 0
    reward: float | None = None
    step_rewards: list[float] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Without the defaults of the later fields, so single-pass records stay as they were."""
        data = asdict(self)
        for name, empty in (("turns", []), ("sample", 0), ("correct", None), ("tokens", 0), ("reward", None),
                            ("step_rewards", None)):
            if data[name] == empty:
                del data[name]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Attempt:
        execution = data.get("execution")
        return cls(**{**data, "execution": Execution(**execution) if execution else None,
                      "turns": [Turn(**t) for t in data.get("turns", [])]})


@dataclass
class ProblemRecord:
    """Everything about one problem in one run: what was asked, generated, run, extracted and graded."""

    id: str
    benchmark: str
    index: int  # position in the benchmark's file order (merge restores it)
    question: str
    gold: str
    kind: str
    options: list[str] | None
    meta: dict[str, Any]
    mode: str  # the strategy's name
    prompt: Any  # the first prompt sent (text, or chat messages)
    attempts: list[Attempt] = field(default_factory=list)
    fallback_prompt: Any = None  # the fallback's prompt, when a hybrid strategy fell back
    fallback_reasons: list[str] = field(default_factory=list)
    answer: str | None = None
    path: str = "none"  # which produced ``answer``: a strategy's name, "fallback", "error" or "none"
    correct: bool | None = None  # None when a backend error left nothing to grade
    method: str = ""  # how the verdict was reached (exact, numeric, symbolic, empty, ...)
    votes: dict[str, int] = field(default_factory=dict)  # self-consistency: answer -> samples agreeing
    error: str | None = None  # backend error after its retries: reported apart, never scored wrong
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0  # generation plus sandbox time spent on this problem
    judge: dict[str, Any] | None = None  # the LLM judge's verdict (evaluation.judge), asked only when the rules said wrong
    selections: dict[str, Any] = field(default_factory=dict)  # "genselect@k" -> a selector's pick (genselect)

    @property
    def fallback(self) -> bool:
        return bool(self.fallback_reasons)

    def to_dict(self) -> dict[str, Any]:
        """Without ``judge`` and ``selections`` when there are none, so records of runs without them stay as
        they were."""
        data = asdict(self) | {"attempts": [a.to_dict() for a in self.attempts]}
        if self.judge is None:
            del data["judge"]
        if not self.selections:
            del data["selections"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProblemRecord:
        data = dict(data)
        return cls(**data | {"attempts": [Attempt.from_dict(a) for a in data.get("attempts", [])]})


REQUIRED = ("id", "benchmark", "index", "correct", "path")


def read_problem_records(path: str | Path) -> list[ProblemRecord]:
    """Records of one JSONL file; a torn last line (a killed writer) is ignored, anything else bad fails loudly.

    A record given more samples (``eval --samples`` larger than the run's) is appended again: the last line of
    an id wins, at the place of its first.
    """
    return _latest(_read_lines(path))


def compact_records(path: str | Path) -> list[ProblemRecord]:
    """:func:`read_problem_records`, rewriting ``path`` atomically with one line per id when it held superseded ones."""
    lines = _read_lines(path)
    records = _latest(lines)
    if len(records) < len(lines):
        files.write_jsonl(path, (r.to_dict() for r in records))
    return records


def _read_lines(path: str | Path) -> list[ProblemRecord]:
    return files.read_records(path, REQUIRED, ProblemRecord.from_dict, "an evaluation record")


def _latest(records: list[ProblemRecord]) -> list[ProblemRecord]:
    latest = {r.id: r for r in records}
    return records if len(latest) == len(records) else list(latest.values())


def samples_of(record: ProblemRecord) -> int:
    """How many samples a record holds (a hybrid's fallback answers one of them, it is not another)."""
    return len({a.sample for a in record.attempts})


def shard_suffix(shard: tuple[int, int]) -> str:
    """``""`` for an unsharded run, else ``.shard-<i>-of-<n>``."""
    index, count = shard
    return "" if count == 1 else f".shard-{index}-of-{count}"


def records_path(run_dir: str | Path, dataset: str, shard: tuple[int, int] = (0, 1)) -> Path:
    return Path(run_dir) / f"{dataset}{shard_suffix(shard)}.jsonl"


def meta_path(run_dir: str | Path, shard: tuple[int, int] = (0, 1), stem: str = "run") -> Path:
    """``<stem>.json`` (``run.json`` for an evaluation run), or ``<stem>.shard-<i>-of-<n>.json`` for a shard."""
    return Path(run_dir) / f"{stem}{shard_suffix(shard)}.json"
