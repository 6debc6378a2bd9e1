"""Decoding strategies as units: one module each, one registry.

``STRATEGIES`` maps a name to a strategy; the CLI's ``--mode`` choices, ``EvalConfig`` and the harness read it,
and records, scores and report know a strategy only by the name its attempts carry. A new strategy is a
module with a class following :class:`Strategy` (or a :class:`SinglePass` subclass), plus one line here; it
declares its prompt kinds and which of its attempts are programs, and everything else asks it.
``SelfConsistency`` wraps any of them.
"""

from mammoth_math.evaluation.strategies.base import Sampler, SinglePass, Solution, Strategy
from mammoth_math.evaluation.strategies.cot import CoT
from mammoth_math.evaluation.strategies.hybrid import Hybrid
from mammoth_math.evaluation.strategies.pot import PoT
from mammoth_math.evaluation.strategies.self_consistency import SelfConsistency
from mammoth_math.evaluation.strategies.tir import TIR

STRATEGIES: dict[str, Strategy] = {"cot": CoT(), "pot": PoT(), "hybrid": Hybrid(PoT(), CoT()), "tir": TIR(),
                                   "hybrid-tir": Hybrid(TIR(), CoT(), name="hybrid-tir")}


def get_strategy(name: str, samples: int = 1) -> Strategy:
    """Strategy ``name`` from the registry; ``samples`` > 1 wraps it in self-consistency."""
    if name not in STRATEGIES:
        raise ValueError(f"unknown mode {name!r}; choose one of {', '.join(STRATEGIES)}")
    strategy = STRATEGIES[name]
    return SelfConsistency(strategy, samples) if samples > 1 else strategy


def is_program(path: str) -> bool:
    """Whether an attempt on ``path`` (the strategy that wrote it) is a program whose run gave its answer."""
    return any(path in strategy.program_paths for strategy in STRATEGIES.values())


__all__ = ["STRATEGIES", "CoT", "Hybrid", "PoT", "Sampler", "SelfConsistency", "SinglePass", "Solution",
           "Strategy", "TIR", "get_strategy", "is_program"]
