"""The kinds of answer a math benchmark can have (every gold and prediction is graded as one), and grading modes."""

from __future__ import annotations

from enum import Enum


class AnswerKind(str, Enum):
    NUMBER = "number"  # 18, 1,000, $18, 18%, 0.25, 1363.0
    EXPRESSION = "expression"  # LaTeX or sympy-able: \frac{1}{2}, 2\sqrt{3}, (1, 2], x^2+1, matrices, equations
    CHOICE = "choice"  # a letter among given options: A-E
    BOOL = "bool"  # True / False (TheoremQA)
    LIST = "list"  # several values: [1, 2] ordered, or "x = 3, y = 4" (SimulEq)
    TEXT = "text"  # word answers: August, Tuesday


class GradingMode(str, Enum):
    """Which rules decide equivalence; every results file records the one used."""

    STRICT = "strict"  # this project's rules (issue 3): exact integers, relative tolerance, math-verify
    MAMMOTH = "mammoth"  # MAmmoTH's math_eval rules, to compare with the paper's published numbers
