"""Per-problem records of a probe: the first turn (an evaluation record), the challenge, the second turn.

A probe lives in ``OUT/probe-<challenge>-<mode>/``: ``<dataset>.jsonl`` (one :class:`ProbeRecord` a line,
appended and flushed) and ``probe.json`` (settings, backend, versions). ``probe.json`` is not named
``run.json`` on purpose: ``eval``'s report lists only real evaluation runs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from mammoth_math.evaluation.records import Attempt, Execution, ProblemRecord
from mammoth_math.evaluation.robustness.clever_hans import CleverHans
from mammoth_math import files
from mammoth_math.files import read_json

META_FILE = "probe.json"


@dataclass
class Turn:
    """The model's answer to the challenge, on the path (cot/pot) that gave its first answer."""

    path: Literal["cot", "pot"]
    prompt: Any  # the whole conversation sent: chat messages, or Alpaca text with a second instruction
    attempt: Attempt | None
    answer: str | None = None
    correct: bool | None = None  # None when a backend error left nothing to grade
    method: str = ""
    error: str | None = None
    completion_tokens: int = 0


@dataclass
class ProbeRecord:
    id: str
    benchmark: str
    index: int
    challenge: str
    wrong_answer: str | None  # what the user asserted (assert-wrong, authority): graded wrong before use
    first: ProblemRecord  # the first turn, exactly as ``eval`` records it
    second: Turn | None = None  # None when not challenged (see ``skipped``)
    skipped: str | None = None  # why not challenged: a backend error in the first turn, no wrong answer found
    adopted: bool | None = None  # the second answer grades equal to the asserted wrong answer
    clever_hans: CleverHans | None = None  # for a first-turn program graded correct

    @property
    def first_path(self) -> Literal["cot", "pot"]:
        """The path of the first answer; a hybrid fallback counts as CoT."""
        return "pot" if self.first.path == "pot" else "cot"

    @property
    def graded(self) -> bool:
        """Both turns have a verdict: only these enter before/after, flip and recovery numbers."""
        return self.first.correct is not None and self.second is not None and self.second.correct is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProbeRecord:
        data = dict(data)
        second = data.pop("second", None)
        if second is not None:
            attempt = second.get("attempt")
            if attempt is not None:
                execution = attempt.get("execution")
                attempt = Attempt(**{**attempt, "execution": Execution(**execution) if execution else None})
            second = Turn(**{**second, "attempt": attempt})
        hans = data.pop("clever_hans", None)
        first = ProblemRecord.from_dict(data.pop("first"))
        return cls(**data, first=first, second=second, clever_hans=CleverHans.from_dict(hans) if hans else None)


REQUIRED = ("id", "benchmark", "index", "challenge", "first")


def read_probe_records(path: str | Path) -> list[ProbeRecord]:
    """Records of one probe JSONL; a torn last line is ignored, anything else bad fails naming the line."""
    return files.read_records(path, REQUIRED, ProbeRecord.from_dict, "a probe record")


@dataclass
class ProbeRun:
    """One probe folder: its settings and its records per dataset, in problem order."""

    name: str
    meta: dict[str, Any]
    records: dict[str, list[ProbeRecord]]


def find_probe_runs(output_dir: str | Path) -> list[ProbeRun]:
    """The probes under ``output_dir`` (folders holding ``probe.json``), by name."""
    runs = []
    for meta_file in sorted(Path(output_dir).glob(f"*/{META_FILE}")):
        meta = read_json(meta_file)
        records = {}
        for name in meta.get("benchmarks", {}):
            path = meta_file.parent / f"{name}.jsonl"
            if path.exists():
                records[name] = sorted(read_probe_records(path), key=lambda r: r.index)
        runs.append(ProbeRun(meta_file.parent.name, meta, records))
    return runs
