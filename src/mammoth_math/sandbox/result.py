"""What one sandboxed program run produced: the record every caller of the sandbox reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

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


def from_response(r: dict[str, Any]) -> ExecResult:
    """A worker's response as a result, each field checked for its type."""
    def text(key: str) -> str | None:
        return r[key] if isinstance(r.get(key), str) else None

    source = r.get("answer_source")
    duration = r.get("duration_s")
    return ExecResult(stdout=text("stdout") or "", error=text("error"), timed_out=r.get("timed_out") is True,
                      answer=text("answer"), duration_s=float(duration) if isinstance(duration, float) else 0.0,
                      stderr=text("stderr") or "",
                      answer_source=source if source in ("print", "variable", "solution") else None,
                      memory_exceeded=r.get("memory_exceeded") is True,
                      stdout_truncated=r.get("stdout_truncated") is True)
