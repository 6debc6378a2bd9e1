"""The seeded generator: problems from every family, each with gold, CoT and PoT from one computation.

``generate(count, seed)`` is deterministic (one ``random.Random(seed)``); families take turns, so every
family is present in any set of four or more. ``write_rationales`` and ``write_problems`` lay a set out
as the data builder's ``rationales`` source and the ``custom`` benchmark read it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mammoth_math.files import write_jsonl
from mammoth_math.prompts import LETTERS, MC_RESPONSE_PREFIX, with_choices
from mammoth_math.synthetic.computation import Computation
from mammoth_math.synthetic.families import (
    ARITHMETIC,
    CHOICE_FAMILY,
    FAMILIES,
    RATES,
    Family,
)

FAMILY_NAMES: tuple[str, ...] = tuple(f.name for f in FAMILIES) + (CHOICE_FAMILY,)
_OFFSETS = (1, 2, 9, 10, 11, 20, 90, 100, 110, 200, 1000)  # distractors: near misses a slip of arithmetic gives


@dataclass(frozen=True)
class SyntheticProblem:
    id: str
    family: str
    question: str  # options included for multiple choice, as the benchmarks lay them out
    gold: str
    kind: str  # an AnswerKind value: number, list, choice
    cot: str
    pot: str
    options: tuple[str, ...] | None = None

    def rationale_row(self) -> dict[str, Any]:
        """A row of the data builder's ``rationales`` source."""
        return {"id": self.id, "source": self.family, "question": self.question, "gold": self.gold,
                "kind": self.kind, "options": list(self.options) if self.options else None,
                "cot": self.cot, "pot": self.pot}

    def problem_row(self) -> dict[str, Any]:
        """A row of the ``custom`` benchmark (no rationales: the model must write them)."""
        return {"id": self.id, "question": self.question, "gold": self.gold, "kind": self.kind,
                "options": list(self.options) if self.options else None, "family": self.family}


def generate(count: int, seed: int = 0, prefix: str = "syn", exclude: frozenset[str] = frozenset()
             ) -> list[SyntheticProblem]:
    """``count`` distinct problems, families in turn; questions in ``exclude`` (a test set) are never drawn."""
    rng = random.Random(seed)
    seen, problems = set(exclude), []
    while len(problems) < count:
        name = FAMILY_NAMES[len(problems) % len(FAMILY_NAMES)]
        problem = _draw(rng, name, f"{prefix}/{len(problems)}")
        if problem.question not in seen:
            seen.add(problem.question)
            problems.append(problem)
    return problems


def _draw(rng: random.Random, family: str, pid: str) -> SyntheticProblem:
    if family == CHOICE_FAMILY:
        return _choice(rng, pid)
    spec: Family = next(f for f in FAMILIES if f.name == family)
    template = rng.choice(spec.templates)
    question, computation = template.draw(rng)
    gold = computation.answer()
    cot = "\n".join(computation.cot_lines() + [f"The answer is {gold}."])
    return SyntheticProblem(pid, family, question, gold, template.kind, cot, computation.program())


def _choice(rng: random.Random, pid: str) -> SyntheticProblem:
    """A number question with five options holding its answer exactly once, among plausible slips."""
    template = rng.choice(rng.choice((ARITHMETIC, RATES)).templates)
    question, computation = template.draw(rng)
    value = int(computation.answer())
    options = _options(rng, value, computation)
    letter = LETTERS[options.index(str(value))]
    # Evaluation prompts a question with options with MAmmoTH's multiple-choice response prefix, so both
    # rationales start with it; the program sits in a fence, which the sandbox unwraps.
    cot = MC_RESPONSE_PREFIX + "\n".join(computation.cot_lines() + [f"The answer is ({letter})."])
    pot = f"{MC_RESPONSE_PREFIX}```python\n{computation.program()}```"
    return SyntheticProblem(pid, CHOICE_FAMILY, with_choices(question, options), letter, "choice", cot, pot,
                            tuple(options))


def _options(rng: random.Random, value: int, computation: Computation) -> list[str]:
    steps = computation.values()
    slips = {value + sign * d for d in _OFFSETS for sign in (1, -1)}
    slips |= {v for name, v in steps.items() if name in {s.name for s in computation.steps}}  # stopped early
    candidates = sorted(v for v in slips if v > 0 and v != value)
    options = [*rng.sample(candidates, 4), value]
    rng.shuffle(options)
    return [str(v) for v in options]


def write_rationales(problems: list[SyntheticProblem], path: str | Path) -> None:
    write_jsonl(path, (p.rationale_row() for p in problems))


def write_problems(problems: list[SyntheticProblem], path: str | Path) -> None:
    write_jsonl(path, (p.problem_row() for p in problems))
