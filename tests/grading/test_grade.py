"""The one grading entry: text is extracted then judged, an Extraction is judged as it is; program failures."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from mammoth_math.grading import AnswerKind, Extraction, ProgramFailure, grade, program_failure

CASES = [  # (prediction, gold, kind, options, correct, answer)
    ("Janet sells 9 eggs at $2 each, so she makes $18. The answer is 18.", "18", "number", None, True, "18"),
    ("First 40, then 2 more: \\boxed{42}", "42", "number", None, True, "42"),
    ("So the answer is (C).", "C", "choice", ("1", "2", "3", "4"), True, "C"),
    ("The answer is 17.", "18", "number", None, False, "17"),
    ("I do not know.", "18", "number", None, False, None),
]


@pytest.mark.parametrize("pred, gold, kind, options, correct, answer", CASES)
def test_grade_extracts_then_judges(pred, gold, kind, options, correct, answer):
    result = grade(pred, gold, kind, options)
    assert (result.correct, result.answer) == (correct, answer)


def test_an_extraction_is_judged_as_it_is():
    assert grade(Extraction("18", "answer field"), "18").correct
    assert not grade(Extraction("The answer is 18", "answer field"), "18", "text").correct
    assert grade("18.000000000000004", "18", from_program=True).extraction.rule == "program output"
    assert grade(Extraction(None, "empty"), "18").method == "empty"


@dataclass
class Run:
    stdout: str
    error: str | None = None
    timed_out: bool = False
    answer: str | None = None


@pytest.mark.parametrize("run, found, kind, failure", [
    (Run("", "Timeout: 5s", True), None, AnswerKind.NUMBER, ProgramFailure.TIMEOUT),
    (Run("", "SyntaxError: bad"), None, AnswerKind.NUMBER, ProgramFailure.ERROR),
    (Run("  \n"), None, AnswerKind.NUMBER, ProgramFailure.NO_OUTPUT),
    (Run("", answer="42"), Extraction("42", "program output"), AnswerKind.NUMBER, None),
    (Run("hello\n", answer="hello"), Extraction(None, "none"), AnswerKind.NUMBER, ProgramFailure.NO_ANSWER),
    (Run("Z\n", answer="Z"), Extraction(None, "none"), AnswerKind.CHOICE, ProgramFailure.NOT_AN_OPTION),
])
def test_program_failures_have_one_vocabulary(run, found, kind, failure):
    assert program_failure(run, found, kind) is failure
