"""The symbolic worker's child process: math-verify and sympy behind a pipe, one JSON request per line.

Run by :mod:`mammoth_math.grading.symbolic`, which kills it on timeout; math-verify's own
``signal.alarm`` timeouts are switched off here (``parsing_timeout=None``, ``timeout_seconds=None``).
It dies with the thread that started it (``PR_SET_PDEATHSIG``), so a SIGKILLed grader leaves no worker behind.
Only booleans and bounded float reprs go back to the parent, never ``str()`` of a sympy object.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import sys
from functools import lru_cache

from mammoth_math.grading.numbers import NOISE
from mammoth_math.grading.symbolic import PARENT_ENV

_PR_SET_PDEATHSIG = 1


@lru_cache(maxsize=10_000)  # a gold is parsed once for all the samples graded against it
def _parse(answer: str) -> list:
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse

    configs = [LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()]
    return parse("\\boxed{" + answer + "}", extraction_config=configs, parsing_timeout=None)


def _verify(gold: str, pred: str) -> bool:
    from math_verify import verify

    g, p = _parse(gold), _parse(pred)
    return bool(g and p and verify(g, p, timeout_seconds=None)) and not _relatively_apart(g[0], p[0])


def _relatively_apart(gold, pred) -> bool:
    """True if two closed-form numbers differ by more than float noise (relative ``NOISE``, 1e-8), the rule of
    the numeric fast path for exact golds. math-verify rounds to 6 decimals, an absolute rule under which
    `1/2^99` equals `1/2^98` and `1.414214` equals `\\sqrt{2}`; its "equal" stands only where the values agree
    to float noise (a program's `1.4142135623730951` does)."""
    import sympy

    if not (isinstance(gold, sympy.Expr) and isinstance(pred, sympy.Expr)) or gold.free_symbols or pred.free_symbols:
        return False
    a, b = sympy.N(gold, 30), sympy.N(pred, 30)
    if not (a.is_real and b.is_real and a.is_finite and b.is_finite):
        return False
    return abs(a - b) > sympy.Float(float(NOISE)) * max(abs(a), abs(b))


def _evaluate(expr: str) -> str | None:
    """A real, finite float value of ``expr`` (as ``repr``), or None."""
    import sympy

    for item in _parse(expr):
        if isinstance(item, sympy.Basic) and not item.free_symbols:
            value = sympy.N(item, 30)
            if value.is_real and value.is_finite and (value == 0 or 1e-300 < abs(value) < 1e300):
                return repr(float(value))  # never a value that a float would round to 0 or inf
    return None


def _handle(request: dict) -> dict:
    if request["op"] == "verify":
        return {"result": _verify(request["gold"], request["pred"])}
    if request["op"] == "evaluate":
        return {"result": _evaluate(request["expr"])}
    if request["op"] == "ping":
        return {"result": True}
    return {"error": f"unknown op {request['op']!r}"}


def _die_with_parent() -> None:
    """SIGKILL this process when its parent goes; exit now if the parent went before the signal was armed."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != int(os.environ.get(PARENT_ENV, os.getppid())):
        os._exit(0)


def main() -> None:
    _die_with_parent()
    logging.disable(logging.WARNING)
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    sys.stdout = sys.stderr  # library prints must not corrupt the protocol
    _verify("1", "1")  # load the LaTeX grammar before saying ready
    out.write('{"ready": true}\n')
    out.flush()
    for line in sys.stdin:
        try:
            reply = _handle(json.loads(line))
        except Exception as e:  # model output is data: a failure is a verdict, not a crash
            reply = {"error": f"{type(e).__name__}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
