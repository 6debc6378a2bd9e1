"""Rows passed between the builder's stages: an example (one rationale for one problem) and a reject.

Both are plain dataclasses stored as JSONL; every row keeps ``source`` and ``rationale_type`` to the end.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

RationaleType = Literal["cot", "pot", "tir"]


@dataclass(frozen=True)
class Example:
    """One (question, rationale) pair with the gold it must reach; ``output`` is a program for PoT, prose with
    code and output blocks for TIR."""

    source: str
    id: str  # "<source>/<item id>", stable across runs
    rationale_type: RationaleType
    question: str  # the instruction without the PoT trigger (options included for multiple choice)
    output: str
    gold: str  # canonical gold text, as the grader reads it
    kind: str  # an AnswerKind value
    options: tuple[str, ...] | None = None  # option texts in letter order, for multiple choice
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        row = asdict(self)
        row["options"] = list(self.options) if self.options is not None else None
        return row


@dataclass(frozen=True)
class Reject:
    """Why a row did not make it: bad input, failed verification, duplicate or contamination."""

    source: str
    id: str
    rationale_type: str
    stage: Literal["input", "convert", "verify", "synthesize", "dedup", "decontaminate"]
    reason: str  # a short machine-readable tag: "missing_field", "wrong_answer", "timeout", ...
    detail: str = ""  # what was expected and found, or the file:line, or the item matched

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SeedProblem:
    """A problem with a gold but no rationale of the wanted type: input to synthesis."""

    source: str
    id: str
    question: str
    gold: str
    kind: str
    options: tuple[str, ...] | None = None


@dataclass
class SourceResult:
    """What a source adapter read: examples to verify, problems to synthesise for, rows it could not read."""

    examples: list[Example] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    problems: list[SeedProblem] = field(default_factory=list)


def base_source(source: str) -> str:
    """The configured source a row came from: "mathinstruct:gsm8k_pot" comes from "mathinstruct"."""
    return source.split(":", 1)[0]
