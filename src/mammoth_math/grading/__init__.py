"""Answer extraction and grading: pull the final answer out of model text, decide if it equals the gold.

``extract_answer`` (text -> :class:`Extraction`), ``is_equivalent`` (answer, gold -> bool, or ``judge``
for the method too), ``parse_gold`` (a benchmark's raw gold -> canonical text). Modes: ``strict`` and
``mammoth`` (:class:`GradingMode`). Hard symbolic cases run in a killable worker process.
"""

from mammoth_math.grading.equivalence import GradeConfig, GradingMode, Verdict, is_equivalent, judge
from mammoth_math.grading.extract import Extraction, extract_answer
from mammoth_math.grading.gold import parse_gold
from mammoth_math.grading.kinds import AnswerKind
from mammoth_math.grading.latex import last_boxed

__all__ = ["AnswerKind", "Extraction", "GradeConfig", "GradingMode", "Verdict", "extract_answer", "is_equivalent",
           "judge", "last_boxed", "parse_gold"]
