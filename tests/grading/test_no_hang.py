"""No grading call can hang: pathological answers get a verdict, from the main thread and from others.

The deadline is the grader's own (a killable worker process), so it holds off the main thread where
math-verify's ``signal.alarm`` cannot. Liveness is checked with a generous join bound, not a timing.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from mammoth_math.grading import AnswerKind, GradeConfig, extract_answer, is_equivalent, rule_verdict

TIMEOUT = 2.0
LIVENESS = 60.0  # far above TIMEOUT plus a worker restart: only a real hang exceeds it

PATHOLOGICAL = [
    ("10^{10^{10}}", "5", AnswerKind.EXPRESSION),
    ("10^{10^{10}}", "5", AnswerKind.NUMBER),
    ("{" * 3000 + "1" + "}" * 3000, "2", AnswerKind.EXPRESSION),
    ("\\frac{" * 400 + "1" + "}{2}" * 400, "1", AnswerKind.EXPRESSION),
    ("9" * 5000, "5", AnswerKind.NUMBER),
    ("1+" * 50_000 + "1", "3", AnswerKind.EXPRESSION),  # 100 KB: refused as a runaway generation
    ("1+" * 7_000 + "1", "3", AnswerKind.EXPRESSION),  # 14 KB: goes to the worker
    ("x^{" + "x^{" * 200 + "2" + "}" * 201, "2", AnswerKind.EXPRESSION),
]


def _grade_all() -> list[bool]:
    return [is_equivalent(p, g, k, timeout=TIMEOUT) for p, g, k in PATHOLOGICAL]


def _run_in_thread(fn):
    box: dict = {}
    thread = threading.Thread(target=lambda: box.setdefault("result", fn()), daemon=True)
    thread.start()
    thread.join(LIVENESS)
    assert not thread.is_alive(), "grading hung"
    return box["result"]


def test_pathological_inputs_get_a_false_verdict_off_the_main_thread() -> None:
    assert _run_in_thread(_grade_all) == [False] * len(PATHOLOGICAL)


def test_nested_braces_are_only_grouping() -> None:
    assert _run_in_thread(lambda: is_equivalent("{" * 3000 + "1" + "}" * 3000, "1", AnswerKind.EXPRESSION))


def test_power_tower_times_out_and_the_worker_recovers() -> None:
    tower = GradeConfig(AnswerKind.EXPRESSION, timeout=TIMEOUT)
    verdict = _run_in_thread(lambda: rule_verdict("10^{10^{11}}", "7", tower))
    assert verdict.correct is False and verdict.method == "timeout"
    after = rule_verdict("2\\sqrt{2}", "\\sqrt{8}", GradeConfig(AnswerKind.EXPRESSION, timeout=30))
    assert after.correct and after.method == "symbolic"


def test_many_threads_share_the_worker() -> None:
    pairs = [("\\sqrt{18}", "3\\sqrt{2}", True), ("\\sqrt{20}", "2\\sqrt{5}", True),
             ("\\sqrt{24}", "3\\sqrt{2}", False),
             ("(x+2)^2", "x^2+4x+4", True), ("(x-2)^2", "x^2+4x+4", False)] * 3
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda c: is_equivalent(c[0], c[1], AnswerKind.EXPRESSION, timeout=30), pairs))
    assert got == [c[2] for c in pairs]


@pytest.mark.parametrize("text", ["\\boxed{" * 20_000, "}" * 50_000 + "The answer is 3", "a" * 100_000,
                                  "The answer is: " * 20_000, "answer:\n" * 50_000,
                                  "The answer is: " * 700_000,  # 10 MB on one line: was quadratic (36 s at 2.7 MB)
                                  "\\boxed{1 " * 1_000_000, "Answer: " + " " * 10_000_000 + "\n5"])
def test_extraction_of_pathological_text_returns(text: str) -> None:
    ex = _run_in_thread(lambda: extract_answer(text, AnswerKind.EXPRESSION))
    assert ex.answer is None or isinstance(ex.answer, str)


def test_a_runaway_generation_is_read_from_its_tail() -> None:
    ending = "So we add them.\nThe answer is 42."
    ex = _run_in_thread(lambda: extract_answer("The answer is 7. " * 500_000 + ending, AnswerKind.NUMBER))
    assert ex == extract_answer(ending, AnswerKind.NUMBER)
