"""The LLM judge's question and its strict reading: is a candidate answer equivalent to the reference?

One model on any OpenAI-compatible server, asked through the backends (behind the response cache when given a
folder). The reply must hold exactly one line ``Judgement: equivalent`` or ``Judgement: different``; anything
else, like a server error, is a judge failure (``equivalent`` None), never a verdict. It sits here, beside
:mod:`.verdicts`, because two layers ask it: the evaluation (``eval``/``regrade --judge``,
``evaluation/judge.py``) and GRPO's optional judge reward (``training/grpo/judged.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from mammoth_math.backends import Backend, make_backend
from mammoth_math.backends.verdicts import ask_verdicts, strict_verdict, verdict_pattern

TAIL_CHARS = 800  # of a response with no extracted answer, shown to the judge (the final answer sits at the end)

_SYSTEM = ("You check answers to math problems. Decide whether the candidate answer is mathematically equivalent "
           "to the reference answer (same value, same set, same choice; a different form of writing is fine). "
           "Do not solve the problem again. End your reply with exactly one line, either\n"
           "Judgement: equivalent\nor\nJudgement: different")

_JUDGEMENT = verdict_pattern("judgement", "equivalent", "different")


@dataclass(frozen=True)
class JudgeCase:
    """What the judge sees: ``answer`` is the rules' extraction, None when they found none."""

    question: str
    gold: str
    answer: str | None
    response: str  # the model's text: its tail stands in for a missing answer


@dataclass(frozen=True)
class JudgeVerdict:
    """The judge's word on one case: ``equivalent`` is None when it failed (``error`` or a malformed ``reply``)."""

    equivalent: bool | None
    reply: str
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def judge_messages(case: JudgeCase) -> tuple[dict[str, str], ...]:
    """The chat request for ``case``."""
    if case.answer is not None:
        candidate = f"Candidate answer: {case.answer}"
    else:
        candidate = ("No final answer was extracted; the end of the candidate's response is:\n"
                     f"{case.response[-TAIL_CHARS:]}")
    user = f"Problem: {case.question}\n\nReference answer: {case.gold}\n\n{candidate}"
    return ({"role": "system", "content": _SYSTEM}, {"role": "user", "content": user})


def parse_judgement(reply: str) -> bool | None:
    """True/False for a reply with judgement lines that all agree; None for anything else (a judge failure)."""
    return strict_verdict(reply, _JUDGEMENT, "equivalent")


class Judge:
    """Asks one judge model through a backend (the ``openai`` one, usually behind the response cache)."""

    def __init__(self, backend: Backend, max_new_tokens: int = 256):
        self.backend = backend
        self.max_new_tokens = max_new_tokens

    @classmethod
    def build(cls, model: str, base_url: str | Sequence[str], cache_dir: str | None = None, **options: Any) -> Judge:
        """A judge served at ``base_url`` (any OpenAI-compatible server), cached in ``cache_dir``."""
        return cls(make_backend("openai", model, cache_dir=cache_dir, base_url=base_url, **options))

    def info(self) -> dict[str, Any]:
        return self.backend.info()

    def ask(self, cases: Sequence[JudgeCase]) -> list[JudgeVerdict]:
        """One verdict per case, in order; greedy, so the cache gives the same reply on a re-run."""
        found = ask_verdicts(self.backend, [judge_messages(c) for c in cases], _JUDGEMENT, "equivalent",
                             self.max_new_tokens)
        return [JudgeVerdict(*f) for f in found]

    def close(self) -> None:
        self.backend.close()
