"""The vocabulary of grading: answer kinds, grading modes, what extraction found, and why a program failed.

Everything else in ``grading`` imports these; this module imports nothing, so no two grading modules
need each other for a type.
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple, TypeVar

_E = TypeVar("_E", bound=Enum)


class AnswerKind(str, Enum):
    NUMBER = "number"  # 18, 1,000, $18, 18%, 0.25, 1363.0
    EXPRESSION = "expression"  # LaTeX or sympy-able: \frac{1}{2}, 2\sqrt{3}, (1, 2], x^2+1, matrices, equations
    CHOICE = "choice"  # a letter among given options: A-E
    BOOL = "bool"  # True / False (TheoremQA)
    LIST = "list"  # several values: [1, 2] ordered, or "x = 3, y = 4" (SimulEq)
    TEXT = "text"  # word answers: August, Tuesday


class GradingMode(str, Enum):
    """Which rules decide equivalence; every results file records the one used."""

    STRICT = "strict"  # this project's rules: exact integers, relative tolerance, math-verify
    MAMMOTH = "mammoth"  # MAmmoTH's math_eval rules, to compare with the paper's published numbers


def as_member(enum: type[_E], value: _E | str) -> _E:
    """``enum(value)``, without the enum machinery's cost (a third of a microsecond) when ``value`` already is one."""
    return value if type(value) is enum else enum(value)


class Extraction(NamedTuple):
    """The answer found in a model output (None if none), the rule that found it, and the raw span.

    A named tuple, not a frozen dataclass: one is built per graded answer, in a quarter of the time."""

    answer: str | None
    rule: str
    span: str | None = None


class ProgramFailure(str, Enum):
    """Why a program gave no usable answer: the same words in evaluation records and data rejects."""

    TIMEOUT = "timeout"
    ERROR = "error"
    NO_OUTPUT = "no output"
    NO_ANSWER = "no answer"  # it printed something, but no answer of the problem's kind
    NOT_AN_OPTION = "not an option"  # multiple choice: what it printed is none of the options
