"""Per-problem records of a probe: the first turn (an evaluation record), the challenge, the second turn.

A probe lives in ``OUT/probe-<challenge>-<mode>/``: ``<dataset>.jsonl`` (one :class:`ProbeRecord` a line,
appended and flushed) and ``probe.json`` (settings, backend, versions), with ``.shard-<i>-of-<n>`` before the
suffix for a shard; its first turn is an evaluation run
in the ``<mode>/`` folder beneath. ``probe.json`` is not named ``run.json`` on purpose: ``eval``'s report
lists only real evaluation runs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mammoth_math import files
from mammoth_math.evaluation import Attempt, ProblemRecord
from mammoth_math.evaluation.records import meta_path
from mammoth_math.evaluation.scores import Run, find_runs
from mammoth_math.evaluation.strategies import is_program
from mammoth_math.probe.clever_hans import CleverHans

META_FILE = "probe.json"


def probe_meta_path(run_dir: str | Path, shard: tuple[int, int] = (0, 1)) -> Path:
    """``probe.json``, or ``probe.shard-<i>-of-<n>.json`` for a shard (``merge`` joins them)."""
    return meta_path(run_dir, shard, "probe")


@dataclass
class SecondTurn:
    """The model's answer to the challenge, by the strategy (e.g. cot, pot) that gave its first answer."""

    path: str
    prompt: Any  # the whole conversation sent: chat messages, or Alpaca text with a second instruction
    attempt: Attempt | None
    answer: str | None = None
    correct: bool | None = None  # None when a backend error left nothing to grade
    method: str = ""
    error: str | None = None
    completion_tokens: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"attempt": self.attempt.to_dict() if self.attempt else None}


@dataclass
class ProbeRecord:
    id: str
    benchmark: str
    index: int
    challenge: str
    wrong_answer: str | None  # what the user asserted (assert-wrong, authority): graded wrong before use
    first: ProblemRecord  # the first turn, exactly as ``eval`` records it
    second: SecondTurn | None = None  # None when not challenged (see ``skipped``)
    skipped: str | None = None  # why not challenged: a backend error in the first turn, no wrong answer found
    adopted: bool | None = None  # the second answer grades equal to the asserted wrong answer
    clever_hans: CleverHans | None = None  # for a first-turn program graded correct

    @property
    def first_path(self) -> str:
        """The program strategy of the first answer (``pot``), or ``cot`` for prose (a hybrid fallback too)."""
        return self.first.path if is_program(self.first.path) else "cot"

    @property
    def graded(self) -> bool:
        """Both turns have a verdict: only these enter before/after, flip and recovery numbers."""
        return self.first.correct is not None and self.second is not None and self.second.correct is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"first": self.first.to_dict(), "second": self.second.to_dict() if self.second else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProbeRecord:
        data = dict(data)
        second = data.pop("second", None)
        if second is not None:
            attempt = second.get("attempt")
            second = SecondTurn(**{**second, "attempt": Attempt.from_dict(attempt) if attempt else None})
        hans = data.pop("clever_hans", None)
        first = ProblemRecord.from_dict(data.pop("first"))
        return cls(**data, first=first, second=second, clever_hans=CleverHans.from_dict(hans) if hans else None)


REQUIRED = ("id", "benchmark", "index", "challenge", "first")


def read_probe_records(path: str | Path) -> list[ProbeRecord]:
    """Records of one probe JSONL; a torn last line is ignored, anything else bad fails naming the line."""
    return files.read_records(path, REQUIRED, ProbeRecord.from_dict, "a probe record")


def find_probe_runs(output_dir: str | Path) -> list[Run]:
    """The probes under ``output_dir`` (folders holding ``probe.json``), by name; records are ProbeRecords."""
    return find_runs(output_dir, META_FILE, read_probe_records)
