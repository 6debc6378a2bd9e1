"""What the worker concludes about a child: from its report (untrusted bytes, checked field by field),
from its exit status, or from its stdout. Standard library only.
"""

from __future__ import annotations

import json
import math
import os
import signal
from collections.abc import Callable
from typing import Any

ANSWER_MAX = 4096
ERROR_MAX = 2048
REPORT_MAX = 1 << 16  # bytes: a report holds at most an answer and an error message
_SOURCES = {"print", "variable", "solution", None}
_CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE, signal.SIGABRT}


def response(capture: Any, done: bool, report: bytes, exit_status: Callable[[], int], timeout: float,
             duration: float) -> dict[str, Any]:
    """The response for the host, from what the worker saw: the report, the exit, or its own clock.

    ``capture``: the child's ``SharedCapture``; ``done``: False when the worker's clock ran out first;
    ``exit_status``: waits for the (killed or exited) child, called only when there is no report.
    """
    stdout, stdout_bytes = capture.read(0)
    stderr, _ = capture.read(1)
    result: dict[str, Any] = {"stdout": stdout, "stderr": stderr, "timed_out": not done, "duration_s": duration,
                              "stdout_truncated": stdout_bytes > capture.head + capture.tail,
                              "error": None, "answer": None, "answer_source": None, "memory_exceeded": False}
    if not done:
        result["error"] = f"Timeout: the program ran past the {timeout:g} s time limit"
    elif not report:
        result["error"] = describe_exit(exit_status(), timeout)
    else:
        checked = verdict(report)
        if checked is None:
            result["error"] = "BadReport: the program's process sent a malformed report (it tampered with it)"
        else:
            result.update(checked)
            if checked["answer_source"] == "print":
                result["answer"] = last_line(stdout)
    return result


def report_complete(received: bytes | bytearray) -> bool:
    """Whether ``received`` is a whole report frame, or too long to be a valid one: read no further."""
    have = len(received)
    return have >= REPORT_MAX or (have >= 4 and have >= 4 + int.from_bytes(received[:4], "big"))


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
