"""What the worker concludes about a child: from its report (untrusted bytes, checked field by field),
from its exit status, or from its stdout. Standard library only.
"""

from __future__ import annotations

import json
import math
import os
import signal
from typing import Any

ANSWER_MAX = 4096
ERROR_MAX = 2048
_SOURCES = {"print", "variable", "solution", None}
_CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE, signal.SIGABRT}


def verdict(report: bytes) -> dict[str, Any] | None:
    """The report's fields, checked: a dict of exactly the expected types and sizes, else None."""
    if len(report) < 4 or len(report) != 4 + int.from_bytes(report[:4], "big"):
        return None
    try:
        data = json.loads(report[4:].decode("utf-8", "surrogatepass"))  # how ``_protocol`` encodes
    except (ValueError, RecursionError):  # bad bytes, bad JSON, or nesting deep enough to recurse
        return None
    if not isinstance(data, dict):
        return None
    error, answer, source, memory = (data.get(k) for k in ("error", "answer", "answer_source", "memory_exceeded"))
    if not (_text_or_none(error, ERROR_MAX) and _text_or_none(answer, ANSWER_MAX)
            and source in _SOURCES and isinstance(memory, bool)):
        return None
    return {"error": _clean(error), "answer": _clean(answer), "answer_source": source,
            "memory_exceeded": memory}


def _text_or_none(value: Any, limit: int) -> bool:
    return value is None or (type(value) is str and len(value) <= limit)


def _clean(text: str | None) -> str | None:
    """Lone surrogates (valid in JSON, not in UTF-8) replaced, so the text can be written anywhere."""
    return None if text is None else text.encode("utf-8", "replace").decode("utf-8")


def describe_exit(status: int, timeout: float) -> str:
    """Why a child ended without a report (``status`` from waitpid), as "Kind: message"."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else f"signal {sig}"
        if sig == signal.SIGXCPU:
            return f"CPULimit: the program used more than {math.ceil(timeout) + 1} s of CPU time"
        if sig in _CRASH_SIGNALS:
            return f"Crash: the process died of {name} (a segmentation fault, abort or bad instruction)"
        return f"Killed: the process died of {name}"
    return f"Exit: the process ended with status {os.WEXITSTATUS(status)} before the program finished (os._exit?)"


def last_line(text: str) -> str | None:
    """The MAmmoTH answer: the last non-empty printed line."""
    for line in reversed(text.splitlines()):
        if line.strip():
            return line.strip()[:ANSWER_MAX]
    return None
