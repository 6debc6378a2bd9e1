"""Majority labelling, hedged final answers and the written-arithmetic check, on constructed samples."""

from __future__ import annotations

import pytest

from mammoth_math.data.distill.checks import final_answers, majority, program_answers, wrong_arithmetic


def test_majority_groups_answers_equal_under_the_grader():
    vote = majority(["0.5", "1/2", "\\frac{1}{2}", "3", None, ""], "number")
    assert (vote.label, vote.reason) == ("0.5", "agreed")  # the class's first-written form
    assert vote.share == pytest.approx(3 / 6)  # empties count in the denominator


def test_majority_of_expressions_written_differently():
    vote = majority(["x^2+2x", "2x + x^2", "x(x+2)", "x^2"], "expression", min_share=0.7)
    assert (vote.label, vote.share) == ("x^2+2x", 0.75)


def test_a_tie_leaves_the_problem_unlabelled():
    vote = majority(["3", "3.0", "4", "4", None], "number")
    assert (vote.label, vote.reason) == (None, "tie")
    assert vote.share == pytest.approx(2 / 5)


def test_all_empty_answers_never_win():
    assert majority([None, "", "  "], "number") == majority([None], "number")
    assert majority(["", None, ""], "number").reason == "no_answers"
    assert majority(["", "", "7"], "number", min_share=0.5).reason == "too_few"  # 1 of 3: empties still count
    assert majority(["", "", "7"], "number", min_share=0.3).label == "7"


def test_choice_majority_maps_option_text_to_letters():
    vote = majority(["B", "B", "A"], "choice", ("12", "15", "20"), min_share=0.6)
    assert vote.label == "B"


@pytest.mark.parametrize(("text", "answers"), [
    ("So 2 + 3 = 5. The answer is 5.", []),
    ("The answer is 5. Checking again, the answer is 5.0.", ["5"]),  # equal under the grader: one answer
    ("The answer is 7. No wait, the answer is 5.", ["7", "5"]),
    ("Thus \\boxed{12}. Hmm, maybe \\boxed{13}.", ["12", "13"]),
])
def test_final_answers(text, answers):
    assert final_answers(text, "number") == answers


def test_list_answers_are_not_split_into_several():
    assert final_answers("x = \\boxed{2}, y = \\boxed{3}", "list") == []


def test_program_answers_counts_printed_lines():
    assert program_answers("5\n") == 1
    assert program_answers("2\n\n5\n") == 2


@pytest.mark.parametrize(("text", "wrong"), [
    ("She has 2 + 3 = 5 apples.", []),
    ("x = 4 * 3 = 13 so", ["4 * 3 = 13"]),
    ("There are 3 boxes. 4 * 3 = 13 nails.", ["4 * 3 = 13"]),
    ("1,000 + 2 = 1,002 and 12 - 15 = -3", []),
    ("10 / 3 = 3.33", []),  # right to the decimals written
    ("7 / 2 = 3", ["7 / 2 = 3"]),
    ("6 × 7 = 42 but 6 x 7 is words; 9 ÷ 3 = 4", ["9 ÷ 3 = 4"]),
    ("1 + 2 * 3 = 7", []),  # inside a longer expression: not judged
    ("50 * 2 = 100%", []),  # a percent: not judged
    ("5 / 0 = 0", ["5 / 0 = 0"]),
])
def test_wrong_arithmetic(text, wrong):
    assert [a.text for a in wrong_arithmetic(text)] == wrong
