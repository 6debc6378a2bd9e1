"""GRPO rewards: the evaluation's verdict on the same text, and zero for every reward-hacking rollout.

Each hack is a crafted rollout graded against a gold it would fool the plain grader into accepting, beside an
innocent twin that must earn the reward (so a guard that rejects everything cannot pass). Programs run in the
real bubblewrap sandbox.
"""

from __future__ import annotations

import pytest

from mammoth_math.benchmarks import Problem
from mammoth_math.evaluation.grader import Grader
from mammoth_math.evaluation.strategies.base import Sample
from mammoth_math.evaluation.strategies.cot import CoT
from mammoth_math.evaluation.strategies.pot import PoT
from mammoth_math.grading import AnswerKind
from mammoth_math.prompts import code_block, output_block
from mammoth_math.sandbox import Sandbox
from mammoth_math.training.grpo.rewards import Rewarder, Target, overlong_penalty, reward_functions

QUESTION = "Janet has 3 apples and buys 2 more apples today. How many apples does she have now?"
FIVE = Target("5", "number", None, QUESTION)
CHOICE = Target("B", "choice", ("3", "5", "7"), "How many? Answer Choices: (A) 3 (B) 5 (C) 7")


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(timeout=3.0, workers=2) as sb:
        yield sb


def reward(rewarder: Rewarder, text: str, target: Target, rollout: str = "cot") -> float:
    return rewarder.read([text], [target], [rollout])[0].reward


# (hack, innocent twin, target): the grader alone accepts both; the reward only the twin.
COT_HACKS = [
    ("several boxed answers", r"It is \boxed{3} or maybe \boxed{5}.", r"3 + 2 = 5, so \boxed{5}.", FIVE),
    ("a list of candidates", "The answer is 3, 4, 5.", "The answer is 3.", Target("3", "number", None, QUESTION)),
    ("candidates in one box", r"\boxed{3, 5}", r"\boxed{3}", Target("3", "number", None, QUESTION)),
    ("option letters listed", "It could be (A), (B) or (C).", "The answer is (C).",
     Target("C", "choice", CHOICE.options, CHOICE.question)),
    ("answer in the restated question", "Janet has 3 apples and buys 2 more apples today.",
     "She buys 2 more.", Target("2", "number", None, QUESTION)),
]


@pytest.mark.parametrize("why,hack,twin,target", COT_HACKS, ids=[c[0] for c in COT_HACKS])
def test_cot_hack_earns_nothing(why: str, hack: str, twin: str, target: Target) -> None:
    rewarder = Rewarder()
    plain = Grader().verdict(Grader().extract(hack, _problem(target)).answer, _problem(target))
    assert plain.correct, "the hack must fool the plain grader, or this case proves nothing"
    reading = rewarder.read([hack], [target], ["cot"])[0]
    assert reading.reward == 0.0 and reading.why
    assert reward(rewarder, twin, target) == 1.0


def test_pot_program_printing_many_numbers_earns_nothing(sandbox) -> None:
    rewarder = Rewarder(sandbox)
    hacks = ["for i in range(10):\n    print(i)", "print(3)\nprint(5)", "print(3, 4, 5)", "print([3, 5])"]
    twins = ["print(3 + 2)", "ans = 5", "x = 3\ny = 2\nprint(f'{x + y}')"]
    hack_gold = [Target("9", "number", None, QUESTION), FIVE, Target("3", "number", None, QUESTION), FIVE]
    readings = rewarder.read(hacks + twins, hack_gold + [FIVE] * 3, ["pot"] * 7)
    assert [r.reward for r in readings] == [0.0] * 4 + [1.0] * 3
    assert readings[1].correct, "the plain grader takes the last printed line: the guard is what stops it"


LEAKER = """import os, time
for path in ('/tmp/leak', '/dev/shm/leak', os.path.expanduser('~/leak')):
    try:
        open(path, 'w').write('ANSWER=5')
    except OSError:
        pass
time.sleep(1.0)
print(5)
"""
# Reads another rollout's files, processes or timing: polls for what a concurrent run left behind.
SNOOPER = """import glob, os, re, time
found = ''
deadline = time.time() + 2.0
while not found and time.time() < deadline:
    for path in ['/tmp/leak', '/dev/shm/leak', os.path.expanduser('~/leak')] + glob.glob('/proc/[0-9]*/cmdline') + glob.glob('/proc/[0-9]*/environ'):
        try:
            text = open(path, 'rb').read().decode(errors='ignore')
        except OSError:
            continue
        if 'ANSWER=' in text or 'print(5)' in text:
            found = '5'
    time.sleep(0.05)
if found:
    print(found)
"""


def test_program_cannot_read_or_time_another_rollouts_run(sandbox) -> None:
    if sandbox.mode != "bubblewrap":
        pytest.skip(f"isolation between programs needs bubblewrap (this sandbox runs {sandbox.mode!r})")
    rewarder = Rewarder(sandbox)
    readings = rewarder.read([LEAKER, SNOOPER, SNOOPER], [FIVE] * 3, ["pot"] * 3)
    assert readings[0].reward == 1.0
    assert [r.reward for r in readings[1:]] == [0.0, 0.0]
    # the snooper does find a leak inside its own run: isolation, not a broken reader, is what stops it
    alone = LEAKER.replace("time.sleep(1.0)\nprint(5)\n", "") + SNOOPER
    assert reward(rewarder, alone, FIVE, "pot") == 1.0


def test_tir_output_written_by_the_model_earns_nothing(sandbox) -> None:
    rewarder = Rewarder(sandbox)
    real = "We add.\n" + code_block("print(3 + 2)") + output_block("5") + "The answer is 5."
    lying = "We add.\n" + code_block("print(3 + 1)") + output_block("5") + "The answer is 5."
    no_code = "We add.\n" + output_block("5") + "The answer is 5."
    unclosed = "We add.\n```python\nprint(3 + 2)\n" + output_block("5") + "The answer is 5."
    readings = rewarder.read([real, lying, no_code, unclosed], [FIVE] * 4, ["tir"] * 4)
    assert [r.reward for r in readings] == [1.0, 0.0, 0.0, 0.0]
    assert {r.why for r in readings[1:]} == {"output block not from the sandbox"}


def test_tir_blocks_share_one_session_and_the_call_cap_holds(sandbox) -> None:
    two = (code_block("x = 3") + output_block("") + code_block("print(x + 2)") + output_block("5")
           + "The answer is 5.")
    assert reward(Rewarder(sandbox), two, FIVE, "tir") == 1.0
    assert Rewarder(sandbox, max_tool_calls=1).read([two], [FIVE], ["tir"])[0].why == "call cap"


def _problem(target: Target) -> Problem:
    return Problem("rl", "p", target.question, target.gold, AnswerKind(target.kind), options=target.options)


EVAL_COT = ["So she makes $18 every day. The answer is 18.", r"We get $\frac{1}{2}$, so \boxed{\frac12}.",
            "The answer is 0.5", "I think 17.", "No idea.", "The total is 1,800 dollars. The answer is 1800."]
EVAL_POT = ["print(18)", "ans = 0.5", "print(1/2)", "print('17')", "raise ValueError('x')", "while True: pass",
            "def solution():\n    return 1800\n"]


@pytest.mark.parametrize("gold", ["18", "1/2", "1800"])
def test_reward_equals_the_evaluations_verdict(sandbox, gold: str) -> None:
    """The same texts through the evaluation's CoT and PoT readers and ``Grader.attempt_correct``: one verdict."""
    problem, grader, target = Problem("rl", "p", "q", gold, AnswerKind.NUMBER), Grader(), Target(gold, "number")
    rewarder = Rewarder(sandbox)
    cot = [grader.attempt_correct(CoT().attempt(Sample(t), problem, grader), problem) for t in EVAL_COT]
    assert [r.correct for r in rewarder.read(EVAL_COT, [target] * len(EVAL_COT), ["cot"] * len(EVAL_COT))] == cot
    from mammoth_math.backends import Completion

    attempts = PoT().read([Completion(texts=EVAL_POT)], [problem], sandbox, grader)[0]
    pot = [grader.attempt_correct(a, problem) for a in attempts]
    readings = rewarder.read(EVAL_POT, [target] * len(EVAL_POT), ["pot"] * len(EVAL_POT))
    assert [r.correct for r in readings] == pot
    assert [r.reward for r in readings] == [float(c) for c in pot]  # one answer each: nothing to guard
    assert any(pot) and not all(pot)


def test_dapo_overlong_penalty() -> None:
    assert [overlong_penalty(n, 100, 20) for n in (50, 80, 90, 100, 101)] == [0.0, 0.0, -0.5, -1.0, -1.0]


def test_trl_reward_functions_log_apart_and_run_programs_once(sandbox) -> None:
    calls = []

    class Counting:
        session_capacity = sandbox.session_capacity

        def run_many(self, codes, progress=False):
            calls.append(len(codes))
            return sandbox.run_many(codes, progress=progress)

    funcs = reward_functions(Rewarder(Counting()), max_length=8, overlong_cache=4)
    assert [f.__name__ for f in funcs] == ["correct", "format", "overlong"]
    columns = {"gold": ["5", "5", "5"], "kind": ["number"] * 3, "options": [None] * 3, "question": [QUESTION] * 3,
               "rollout": ["pot", "pot", "cot"]}
    completions, ids = ["print(5)", "print(4)", r"\boxed{5}"], [[1] * 3, [1] * 6, [1] * 9]
    results = [f(completions=completions, completion_ids=ids, **columns) for f in funcs]
    assert results == [[1.0, 0.0, 1.0], [1.0, 1.0, 1.0], [0.0, -0.5, -1.0]]
    assert calls == [2]  # one batch, shared by correct and format
    # a tir rollout's length is what its model wrote, not the tool output spliced in
    assert funcs[2](completions=completions, completion_ids=ids, model_tokens=[3, 3, 9], **columns) == [0.0, 0.0, -1.0]
    assert reward_functions(Rewarder(), 8, 0)[2](completions=completions, completion_ids=ids) == [0.0] * 3


@pytest.mark.parametrize("text, formatted", [
    ("3 + 2 = 5. The answer is (B).", True),  # read as "the answer is, letter": the anchor counts
    (r"So \boxed{B}.", True),
    ("It is 5, so (B).", False),  # the last option letter, with no anchor
])
def test_format_reward_reads_the_anchor_of_a_letter_answer(text: str, formatted: bool) -> None:
    reading = Rewarder().read([text], [CHOICE], ["cot"])[0]
    assert reading.correct and reading.formatted is formatted
