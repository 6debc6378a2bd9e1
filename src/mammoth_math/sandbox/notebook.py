"""What a model is shown after a tool call: what a notebook cell would show, capped head and tail."""

from __future__ import annotations

from mammoth_math.sandbox.result import ExecResult


def notebook_output(result: ExecResult, limit: int = 2000) -> str:
    """The printed output, then on error the traceback's last line ("NameError: name 'x' is not defined");
    past ``limit`` characters, its head and tail around a "... [N characters cut] ..." note.

    >>> notebook_output(ExecResult("6\\n", "NameError: name 'x' is not defined", False, None, 0.0))
    "6\\nNameError: name 'x' is not defined"
    """
    text = result.stdout.rstrip("\n")
    if result.error is not None:
        text = f"{text}\n{result.error}" if text else result.error
    if len(text) <= limit:
        return text
    head = limit // 2
    tail = limit - head
    return f"{text[:head]}\n... [{len(text) - head - tail} characters cut] ...\n{text[-tail:] if tail else ''}"
