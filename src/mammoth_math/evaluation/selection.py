"""Selection rules: which of a problem's first k samples to answer with, computed from saved records alone.

``report OUT --select majority,rm_best,rm_majority,genselect`` scores each rule at each k: the share of
problems whose picked sample is correct. Names follow NeMo-Skills (``majority@k``, ``rm_best@k``,
``rm_majority@k``); ``rm_best@k`` is Qwen2.5-Math's RM@k. Unlike ``maj@k`` of ``metrics`` (the expected vote
over all k-subsets of n), every rule here looks at the first k samples in sample order, as
Qwen2.5-Math's ``rm_maj_eval.py`` and NeMo-Skills do, so imported runs reproduce their numbers.

Rules, the same for every rule:
- a sample with no answer (None, blank, or a failed program) never votes and is never picked;
  no answered sample among the k: no pick, the problem scores wrong;
- ``majority``: the largest class of answers that grade as equal (``metrics.group_answers``); a tie goes to
  the class whose first member came first; the pick is that first member;
- ``rm_best``: the answered sample with the highest reward; a tie goes to the earliest;
- ``rm_majority``: the class with the largest sum of its members' rewards (raw scores, summed as NeMo-Skills
  does); a tie goes to the class seen first; the pick is its first member;
- ``genselect``: the pick a selector model made (``evaluation.genselect``, stored in the record); a record
  without one has no genselect@k. A reply that names no valid candidate falls back to the majority pick.
- ``prm_<agg>_best`` / ``prm_<agg>_majority`` (agg: ``min``, ``last``, ``product``): ``rm_best`` / ``rm_majority``
  on a process reward model's step scores folded into one: the weakest step (Math-Shepherd, Lightman et al.),
  the final step, or the product of all.
The rm rules need a reward on every answered sample, the prm rules step scores: a set without them reports no
such columns.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from mammoth_math.evaluation.metrics import Equal, group_answers, majority_index
from mammoth_math.evaluation.records import Attempt, ProblemRecord


@dataclass(frozen=True)
class Candidate:
    """One sample as the rules see it: its answer (None: none), its reward and its step scores (None: not scored)."""

    answer: str | None
    reward: float | None = None
    steps: tuple[float, ...] | None = None


def answer_of(attempt: Attempt) -> str | None:
    """A sample's vote: its answer, or None for a failed or blank one."""
    return None if attempt.failure or not (attempt.answer or "").strip() else attempt.answer


def _answered(candidate: Candidate) -> bool:
    return bool(candidate.answer and candidate.answer.strip())


def majority_pick(candidates: Sequence[Candidate], equal: Equal) -> int | None:
    return majority_index([c.answer for c in candidates], equal)


def rm_best_pick(candidates: Sequence[Candidate]) -> int | None:
    best: int | None = None
    for i, c in enumerate(candidates):
        if _answered(c) and (best is None or _reward(c) > _reward(candidates[best])):
            best = i  # strictly greater: the earliest of equal rewards stays
    return best


def rm_majority_pick(candidates: Sequence[Candidate], equal: Equal) -> int | None:
    ids = group_answers([c.answer for c in candidates], equal)
    totals: dict[int, float] = {}
    for c, j in zip(candidates, ids):
        if j is not None:
            totals[j] = totals.get(j, 0.0) + _reward(c)
    if not totals:
        return None
    top = max(totals.values())
    winner = min(j for j, total in totals.items() if total == top)  # class ids follow first appearance
    return ids.index(winner)


def _reward(candidate: Candidate) -> float:
    if candidate.reward is None:
        raise ValueError("an rm rule needs a reward on every answered sample")
    return candidate.reward


def scored(candidates: Sequence[Candidate]) -> bool:
    """Whether every answered sample has a reward (what the rm rules need)."""
    return all(c.reward is not None for c in candidates if _answered(c))


AGGREGATES: dict[str, Callable[[Sequence[float]], float]] = {"min": min, "last": lambda s: s[-1],
                                                             "product": math.prod}


def step_scored(candidates: Sequence[Candidate]) -> bool:
    """Whether every answered sample has step scores (what the prm rules need)."""
    return all(c.steps for c in candidates if _answered(c))


def _folded(candidates: Sequence[Candidate], aggregate: str) -> list[Candidate]:
    """Each answered sample's steps folded into its reward, so the rm rules pick on them."""
    if not step_scored(candidates):
        raise ValueError("a prm rule needs step scores on every answered sample")
    return [replace(c, reward=AGGREGATES[aggregate](c.steps)) if _answered(c) else c for c in candidates]


def _genselect_pick(candidates: Sequence[Candidate], equal: Equal, stored: int | None) -> int | None:
    if stored is not None and 0 <= stored < len(candidates) and _answered(candidates[stored]):
        return stored
    return majority_pick(candidates, equal)


@dataclass(frozen=True)
class Rule:
    """A selection rule: how it picks (candidates, the problem's equality, a stored pick), and what it needs."""

    choose: Callable[[Sequence[Candidate], Equal, int | None], int | None]
    needs_rewards: bool = False  # a reward on every answered sample
    needs_steps: bool = False  # step scores on every answered sample
    stored: bool = False  # reads a pick a selector model stored in the record


RULES: dict[str, Rule] = {
    "majority": Rule(lambda c, equal, _: majority_pick(c, equal)),
    "rm_best": Rule(lambda c, _, __: rm_best_pick(c), needs_rewards=True),
    "rm_majority": Rule(lambda c, equal, _: rm_majority_pick(c, equal), needs_rewards=True),
    "genselect": Rule(_genselect_pick, stored=True),
}


def _prm_rule(aggregate: str, weighted: bool) -> Rule:
    if weighted:
        return Rule(lambda c, equal, _: rm_majority_pick(_folded(c, aggregate), equal), needs_steps=True)
    return Rule(lambda c, _, __: rm_best_pick(_folded(c, aggregate)), needs_steps=True)


RULES.update({f"prm_{agg}_{kind}": _prm_rule(agg, kind == "majority")  # prm_min_best, prm_min_majority, ...
              for agg in AGGREGATES for kind in ("best", "majority")})


def pick(rule: str, candidates: Sequence[Candidate], equal: Equal, stored: int | None = None) -> int | None:
    """The index ``rule`` picks among ``candidates`` (None: no pick). ``stored``: a genselect pick, which
    falls back to the majority pick when it names no answered candidate."""
    if rule not in RULES:
        raise ValueError(f"unknown selection rule {rule!r}; choose from {', '.join(RULES)}")
    return RULES[rule].choose(candidates, equal, stored)


def parse_rules(text: str) -> list[str]:
    """``"majority,rm_best"`` -> ``["majority", "rm_best"]`` (the ``--select`` flag), unknown names refused."""
    rules = [r.strip() for r in text.split(",") if r.strip()]
    unknown = [r for r in rules if r not in RULES]
    if unknown or not rules:
        raise ValueError(f"--select takes a comma-separated list of {', '.join(RULES)}, got {text!r}")
    return rules


@dataclass(frozen=True)
class RuleScore:
    """One rule at one k over one set: problems scored, how many it picked right, picks it could not make."""

    rule: str
    k: int
    problems: int
    correct: int
    no_pick: int  # problems with no answered sample among the k
    fallbacks: int = 0  # a stored rule's picks that named no valid candidate (the majority pick stood in)

    @property
    def accuracy(self) -> float:
        return self.correct / self.problems if self.problems else 0.0


Verdict = Callable[[ProblemRecord, Attempt], bool]


def genselect_key(k: int) -> str:
    """Where a record keeps its genselect@k pick."""
    return f"genselect@{k}"


def score_rule(rule: str, k: int, records: Sequence[tuple[ProblemRecord, list[Attempt]]], verdict: Verdict,
               equal: Callable[[ProblemRecord], Equal]) -> RuleScore | None:
    """``rule`` at ``k`` over ``(record, its samples in order)`` pairs; None when the rule cannot be scored
    here (rm or prm rules on unscored samples, genselect where no record has a pick at this k)."""
    chosen = [(r, samples[:k]) for r, samples in records if len(samples) >= k]
    if not chosen:
        return None
    sets = [[Candidate(answer_of(a), a.reward, tuple(a.step_rewards) if a.step_rewards is not None else None)
             for a in samples] for _, samples in chosen]
    if RULES[rule].needs_rewards and not all(scored(c) for c in sets):
        return None
    if RULES[rule].needs_steps and not all(step_scored(c) for c in sets):
        return None
    picks = [r.selections.get(genselect_key(k)) if RULES[rule].stored else None for r, _ in chosen]
    if RULES[rule].stored and all(p is None for p in picks):
        return None
    correct = no_pick = fallbacks = 0
    for (record, samples), candidates, stored in zip(chosen, sets, picks):
        index = stored.get("pick") if isinstance(stored, dict) else None
        choice = pick(rule, candidates, equal(record), index)
        if RULES[rule].stored and choice != index:
            fallbacks += 1
        if choice is None:
            no_pick += 1
        elif verdict(record, samples[choice]):
            correct += 1
    return RuleScore(rule, k, len(chosen), correct, no_pick, fallbacks)
