"""Answer extraction and grading: pull the final answer out of model text, decide if it equals the gold.

``grade`` (text or an :class:`Extraction`, gold -> :class:`Grade`) is the one entry; beneath it
``extract_answer`` (text -> :class:`Extraction`), ``is_equivalent`` / ``rule_verdict`` (answer, gold -> verdict) and
``parse_gold`` (a benchmark's raw gold -> canonical text). Modes: ``strict`` and ``mammoth`` (:class:`GradingMode`).
Hard symbolic cases run in a killable worker process.
"""

from mammoth_math.grading.equivalence import GradeConfig, Verdict, is_equivalent, rule_verdict
from mammoth_math.grading.extract import extract_answer
from mammoth_math.grading.gold import parse_gold
from mammoth_math.grading.grade import Grade, grade, program_failure, program_output
from mammoth_math.grading.kinds import AnswerKind, Extraction, GradingMode, ProgramFailure
from mammoth_math.grading.latex import last_boxed

__all__ = ["AnswerKind", "Extraction", "Grade", "GradeConfig", "GradingMode", "ProgramFailure", "Verdict",
           "extract_answer", "grade", "is_equivalent", "last_boxed", "parse_gold", "program_failure",
           "program_output", "rule_verdict"]
