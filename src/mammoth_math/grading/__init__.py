"""Answer extraction and grading: pull the final answer out of model text, decide if it equals the gold."""

from mammoth_math.grading.gold import parse_gold
from mammoth_math.grading.kinds import AnswerKind
from mammoth_math.grading.latex import last_boxed

__all__ = ["AnswerKind", "last_boxed", "parse_gold"]
