"""What one sandboxed program run produced: the record every caller of the sandbox reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

AnswerSource = Literal["print", "variable", "solution"]


@dataclass(frozen=True)
class ExecResult:
    """One program's outcome. ``error`` is "ExcType: message" (also "Timeout: ...", "Crash: ...", "Exit: ...").

    ``answer`` follows the first convention that applies: the last non-empty printed line (MAmmoTH), the
    value of ``ans`` (Program-of-Thoughts), the return value of ``solution()`` (PAL); None on any error.
    """

    stdout: str
    error: str | None
    timed_out: bool
    answer: str | None
    duration_s: float
    stderr: str = ""
    answer_source: AnswerSource | None = None
    memory_exceeded: bool = False
    stdout_truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None
