"""Yes/no questions to a model with a strict reply format: the LLM judge's and the contamination check's one way.

A reply counts only when its verdict lines (``<Key>: <yes word>`` or ``<Key>: <no word>``, markdown bold and a
final period allowed) all agree; anything else is malformed, and a backend error is an error: both give ``None``,
which callers record as unknown, never as the "no" that would pass the item.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mammoth_math.backends.base import Backend, GenerationRequest


def verdict_pattern(key: str, yes: str, no: str) -> re.Pattern[str]:
    """The line ``key: yes`` or ``key: no`` (any case, markdown bold and a final period allowed)."""
    return re.compile(rf"^[ \t*]*{key}[ \t*]*:[ \t*]*({yes}|{no})[ \t*.]*$", re.IGNORECASE | re.MULTILINE)


def strict_verdict(reply: str, pattern: re.Pattern[str], yes: str) -> bool | None:
    """True/False when the reply's verdict lines all agree; None for anything else."""
    found = {m.lower() for m in pattern.findall(reply)}
    return found == {yes} if len(found) == 1 else None


def ask_verdicts(backend: Backend, prompts: Sequence[tuple[dict[str, str], ...]], pattern: re.Pattern[str],
                 yes: str, max_new_tokens: int) -> list[tuple[bool | None, str, str | None]]:
    """(verdict, reply, error) per prompt, in order, asked greedily (a cache answers a rerun with the same reply)."""
    requests = [GenerationRequest(p, max_new_tokens, 0.0) for p in prompts]
    found: list[tuple[bool | None, str, str | None]] = []
    for completion in backend.generate(requests) if requests else []:
        if completion.error:
            found.append((None, "", completion.error))
            continue
        reply = completion.texts[0]
        verdict = strict_verdict(reply, pattern, yes)
        found.append((verdict, reply, None if verdict is not None else "malformed reply"))
    return found
