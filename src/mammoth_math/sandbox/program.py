"""Turn model output into program text: decode bytes, unwrap Markdown fences, reject what cannot run."""

from __future__ import annotations

import re

_FENCE = re.compile(r"```[ \t]*([\w+.-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
_PYTHON = {"python", "py", "python3", "py3", "ipython"}


def unwrap_fences(text: str) -> str:
    """The code inside ```python fences (all of them, in order), else inside bare ``` fences, else ``text``."""
    if "```" not in text:
        return text
    blocks = [(lang.lower(), body) for lang, body in _FENCE.findall(text)]
    chosen = [body for lang, body in blocks if lang in _PYTHON] or [body for lang, body in blocks if not lang]
    return "\n".join(chosen) if chosen else text


def prepare(code: str | bytes) -> tuple[str | None, str | None]:
    """``(source, None)`` ready to run, or ``(None, error)`` for input that cannot be a program."""
    if isinstance(code, (bytes, bytearray)):
        try:
            code = bytes(code).decode("utf-8-sig")
        except UnicodeDecodeError as e:
            return None, f"UnicodeDecodeError: the program is not valid UTF-8 ({e})"
    if not isinstance(code, str):
        return None, f"TypeError: a program is str or bytes, not {type(code).__name__}"
    source = unwrap_fences(code)
    if not source.strip():
        return None, "EmptyProgram: there is no code to run"
    return source, None
