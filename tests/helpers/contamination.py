"""Scripted checking models for the contamination tests: OpenAI-compatible replies chosen from the pair asked about."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "contamination" / "fixtures"
_PAIR = re.compile(r"Test problem:\n(.*)\n\nTraining problem:\n(.*)\n\nAre they the same problem\?\Z", re.DOTALL)


def asked_pair(body: dict) -> tuple[str, str]:
    """The (test problem, training problem) a checker request asks about."""
    match = _PAIR.search(body["messages"][-1]["content"])
    assert match, body["messages"][-1]["content"][:300]
    return match.group(1), match.group(2)


def fixture_rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines()]


def scripted(decide: Callable[[str, str], bool | None]) -> Callable[[dict], str]:
    """A reply function for ``helpers.servers.fault_server``: a verdict line (in varied forms, as models write
    them) when ``decide`` says True/False, prose without a verdict when it says None."""
    def reply(body: dict) -> str:
        same = decide(*asked_pair(body))
        if same is None:
            return "These look quite alike to me."
        return "Both ask for the same thing.\n**Verdict:** Same." if same else "Verdict: different"
    return reply


def same_answer(left: str, right: str) -> bool:
    """Equal answers: numerically when both parse as numbers, else as text without spaces."""
    try:
        return float(left) == float(right)
    except ValueError:
        return left.replace(" ", "") == right.replace(" ", "")
