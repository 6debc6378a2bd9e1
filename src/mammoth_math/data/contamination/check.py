"""The model check of a retrieved pair: is this training problem the test problem, reworded?

The rule (after the LLM-decontaminator of Yang et al. 2023, "Rethinking Benchmark and Contamination for Language
Models with Rephrased Samples", and NeMo-Skills' ``judge/check-contamination`` prompt) is written into the prompt:
names, wording, sentence order, notation and language may differ; different numbers, a different question or
different conditions make a different problem. The reply must hold exactly one verdict line, ``Verdict: same``
or ``Verdict: different``; anything else, and every backend error, is an unknown verdict, never a clean one.
Requests go through any backend behind the response cache, so a rerun asks only what is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from mammoth_math.backends import Backend
from mammoth_math.backends.verdicts import ask_verdicts, strict_verdict, verdict_pattern
from mammoth_math.progress import track

SAME_PROBLEM_RULE = (
    "Two problems are the same problem when solving one solves the other: they state the same quantities with the "
    "same numbers and ask for the same thing. Names of people and objects, wording, sentence order, notation "
    "(words or symbols, LaTeX or plain text) and the layout of answer options may differ. They are different "
    "problems when any given number differs, when a condition differs, or when they ask for a different quantity, "
    "even if the setting, the topic and most of the words are shared.")

_SYSTEM = ("You detect test problems that were copied into training data, possibly reworded. " + SAME_PROBLEM_RULE
           + " Do not solve the problems. End your reply with exactly one line, either\nVerdict: same\nor\n"
             "Verdict: different")

_VERDICT = verdict_pattern("verdict", "same", "different")


@dataclass(frozen=True)
class CheckVerdict:
    """One pair's verdict: ``same`` is None when unknown (a backend ``error`` or a malformed ``reply``)."""

    same: bool | None
    reply: str = ""
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_messages(test_problem: str, train_problem: str) -> tuple[dict[str, str], ...]:
    """The chat request for one pair."""
    user = f"Test problem:\n{test_problem}\n\nTraining problem:\n{train_problem}\n\nAre they the same problem?"
    return ({"role": "system", "content": _SYSTEM}, {"role": "user", "content": user})


def parse_verdict(reply: str) -> bool | None:
    """True/False when the reply's verdict lines all agree; None for anything else."""
    return strict_verdict(reply, _VERDICT, "same")


class Checker:
    """Asks one model through ``backend`` (wrap it in ``backends.cache.CachingBackend`` to resume); greedy."""

    def __init__(self, backend: Backend, max_new_tokens: int = 256, batch_size: int = 64, progress: bool = False):
        self.backend, self.max_new_tokens, self.batch_size, self.progress = backend, max_new_tokens, batch_size, progress

    def info(self) -> dict[str, Any]:
        return self.backend.info()

    def check(self, pairs: Sequence[tuple[str, str]]) -> list[CheckVerdict]:
        """One verdict per (test problem, training problem), in order; asked in batches, each cached as it ends."""
        verdicts: list[CheckVerdict] = []
        starts = range(0, len(pairs), self.batch_size)
        for start in track(starts, "checking pairs", len(starts), self.progress):
            prompts = [check_messages(t, s) for t, s in pairs[start:start + self.batch_size]]
            found = ask_verdicts(self.backend, prompts, _VERDICT, "same", self.max_new_tokens)
            verdicts += [CheckVerdict(*f) for f in found]
        return verdicts

    def close(self) -> None:
        self.backend.close()
