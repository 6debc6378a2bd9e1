"""The tir loop with a scripted backend and the real sandbox: turns, state across blocks, fake outputs, the call
cap, unclosed and hostile blocks, samples, hybrid-tir, records, resume and report."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from helpers.backends import ScriptedBackend
from helpers.servers import fault_server

from mammoth_math.backends import Completion, GenerationRequest, make_backend
from mammoth_math.backends.base import cut_at_stop
from mammoth_math.benchmarks import Problem
from mammoth_math.evaluation import EvalConfig, build_report, evaluate, read_problem_records
from mammoth_math.evaluation.grader import TRUNCATED, Grader
from mammoth_math.evaluation.strategies import STRATEGIES, Generator, get_strategy
from mammoth_math.evaluation.strategies.tir import CALL_CAP, NO_ANSWER, STOP, Step, read_turn
from mammoth_math.grading import AnswerKind
from mammoth_math.probe import ProbeConfig
from mammoth_math.prompts import OUTPUT_FENCE, TIR_TRIGGER, output_block

BLOCK = "```python\n{}\n```\n"


class TurnBackend(ScriptedBackend):
    """Answers turn t of the problem whose question the prompt holds with ``script[question][t]``.

    A turn is counted by the output blocks the prompt already holds. A script entry is a text or
    ``(text, finish_reason)``; ``honours_stop`` cuts at the request's stop strings as real backends do.
    """

    name = "turns"

    def __init__(self, script: dict[str, Sequence[Any]], honours_stop: bool = True):
        super().__init__()
        self.script, self.honours_stop, self.calls = script, honours_stop, []

    def generate(self, requests: Sequence[GenerationRequest], progress: bool = False) -> list[Completion]:
        self.calls.append(list(requests))
        return [self._reply(r) for r in requests]

    def _reply(self, request: GenerationRequest) -> Completion:
        prompt = request.prompt if isinstance(request.prompt, str) else "".join(m["content"] for m in request.prompt)
        question = next(q for q in self.script if q in prompt)
        entry = self.script[question][min(prompt.count(OUTPUT_FENCE), len(self.script[question]) - 1)]
        text, reason = (entry, "stop") if isinstance(entry, str) else entry
        if self.honours_stop:
            text, stopped = cut_at_stop(text, request.stop)
            reason = "stop" if stopped else reason
        return Completion([text] * request.n, prompt_tokens=7, completion_tokens=3 * request.n,
                          finish_reasons=[reason] * request.n, sample_tokens=[3] * request.n)


def _problem(question: str, gold: str = "42") -> Problem:
    return Problem("gsm8k", question[:8], question, gold, AnswerKind.NUMBER)


def _solve(script: dict[str, Sequence[Any]], sandbox, golds: dict[str, str] | None = None, mode: str = "tir",
           honours_stop: bool = True, **generator: Any):
    backend = TurnBackend(script, honours_stop)
    problems = [_problem(q, (golds or {}).get(q, "42")) for q in script]
    solutions = get_strategy(mode).solve(problems, Generator(backend, **generator), sandbox, Grader())
    return solutions, backend


def test_read_turn_keeps_the_first_closed_block_and_cuts_what_follows():
    assert read_turn("The answer is 4.") == Step("The answer is 4.")
    stopped = read_turn("Add.\n```python\nprint(2 + 2)\n")  # the closing fence was the stop string
    assert stopped == Step("Add.\n" + BLOCK.format("print(2 + 2)"), "print(2 + 2)")
    fake = read_turn("Add.\n```python\nprint(2 + 2)\n```\n```output\n5\n```\nSo 5.")
    assert fake == stopped  # the made-up output and everything after it is gone
    assert read_turn("```python\nx = 1```") == Step(BLOCK.format("x = 1"), "x = 1")
    assert read_turn("Add.\n```python\nprint(2 +", "length") == Step("Add.\n```python\nprint(2 +", unclosed=True)
    assert STOP == ("```\n", "```output")


def test_blocks_run_in_one_session_per_problem_and_their_outputs_come_back(sandbox):
    first, second = "Tom has six apples; seven times as many?", "Name a variable of the other problem."
    script = {first: ["Six first.\n" + BLOCK.format("x = 6\nprint(x)"), BLOCK.format("print(x * 7)"),
                      "So the answer is \\boxed{42}."],
              second: [BLOCK.format("print(x)"), "It has none. The answer is 0."]}
    (one, two), backend = _solve(script, sandbox, {second: "0"})
    (a,) = one.attempts
    assert (a.path, a.answer, a.failure) == ("tir", "42", None)
    assert [(t.code, t.output, t.error) for t in a.turns] == [
        ("x = 6\nprint(x)", "6", None), ("print(x * 7)", "42", None), (None, None, None)]
    assert a.text == ("Six first.\n" + BLOCK.format("x = 6\nprint(x)") + output_block("6")
                      + BLOCK.format("print(x * 7)") + output_block("42") + "So the answer is \\boxed{42}.")
    # the other problem's session never saw x
    (b,) = two.attempts
    assert b.turns[0].output == "NameError: name 'x' is not defined" and b.turns[0].error and b.answer == "0"
    # every unfinished answer advanced together: both problems in each call while they had calls to make
    assert [len(call) for call in backend.calls] == [2, 2, 1]
    assert backend.calls[1][0].prompt.endswith(output_block("6")) and TIR_TRIGGER in backend.calls[0][0].prompt
    assert all(r.stop[-2:] == STOP for call in backend.calls for r in call)
    assert (one.prompt_tokens, one.completion_tokens) == (21, 9)


def test_a_made_up_output_is_replaced_by_the_real_one(sandbox):
    question = "What is six times seven?"
    liar = BLOCK.format("print(6 * 7)") + "```output\n99\n```\nThe answer is 99."
    (solution,), backend = _solve({question: [liar, "The answer is \\boxed{42}."]}, sandbox, honours_stop=False)
    (a,) = solution.attempts
    assert a.turns[0].output == "42" and "99" not in a.text and a.answer == "42"
    assert backend.calls[1][0].prompt.endswith(BLOCK.format("print(6 * 7)") + output_block("42"))


def test_the_call_cap_ends_an_answer_that_keeps_calling(sandbox):
    question = "Count forever?"
    (solution,), backend = _solve({question: [BLOCK.format("print(1)")]}, sandbox, max_tool_calls=2)
    (a,) = solution.attempts
    assert (a.answer, a.failure) == (None, CALL_CAP) and len(backend.calls) == 3
    assert [t.output for t in a.turns] == ["1", "1", None] and a.turns[-1].code == "print(1)"


def test_an_unclosed_block_never_runs(sandbox):
    question = "Write forever?"
    (solution,), backend = _solve({question: [("```python\nprint(1)\nprint(", "length")]}, sandbox)
    (a,) = solution.attempts
    assert (a.answer, a.failure, a.finish_reason) == (None, TRUNCATED, "length") and len(backend.calls) == 1
    assert [(t.code, t.output) for t in a.turns] == [(None, None)]


def test_hostile_blocks_end_as_turn_errors_not_crashes(sandbox):
    script = {"huge block?": [BLOCK.format("x = 1\n" + "#" * 1_000_000 + "\nprint(x)"), "The answer is 1."],
              "huge output?": [BLOCK.format("print('a' * 10_000_000)"), "The answer is 2."],
              "binary output?": [BLOCK.format("import sys\nsys.stdout.buffer.write(bytes(range(256)))"),
                                 "The answer is 3."],
              "endless?": [BLOCK.format("while True: pass"), "The answer is 4."],
              "no answer?": [BLOCK.format("print(1 / 0)"), "I cannot tell."]}
    solutions, _ = _solve(script, sandbox)
    big, loud, binary, endless, silent = (s.attempts[0] for s in solutions)
    assert (big.turns[0].output, big.answer) == ("1", "1")
    assert len(loud.turns[0].output) < 3000 and "characters cut" in loud.turns[0].output and loud.answer == "2"
    assert binary.turns[0].error and binary.answer == "3"
    assert endless.turns[0].error == "timeout" and endless.answer == "4"
    assert silent.turns[0].output == "ZeroDivisionError: division by zero" and silent.failure == NO_ANSWER


def test_samples_each_get_their_own_session(sandbox):
    question = "Which sample am I?"
    script = {question: [BLOCK.format("print(globals().get('seen', 0))\nseen = 1"), "The answer is 0."]}
    (solution,), backend = _solve(script, sandbox, samples=3, temperature=0.7, seed=5)
    assert [(a.sample, a.turns[0].output, a.answer) for a in solution.attempts] == [(k, "0", "0") for k in range(3)]
    assert [r.n for r in backend.calls[0]] == [3] and [r.n for r in backend.calls[1]] == [1, 1, 1]
    # each sample goes on with a seed of its own: alike so far, they need not write alike next
    assert [r.seed for r in backend.calls[0]] == [5] and [r.seed for r in backend.calls[1]] == [5, 6, 7]


def test_more_answers_than_sessions_go_in_waves():
    from mammoth_math.sandbox import Sandbox

    script = {f"Problem {k}?": [BLOCK.format(f"v = {k}\nprint(v)"), f"The answer is {k}."] for k in range(5)}
    with Sandbox(timeout=2.0, workers=1, sessions_per_worker=2) as small:
        solutions, backend = _solve(script, small)
        assert [s.attempts[0].answer for s in solutions] == ["0", "1", "2", "3", "4"]
        assert [len(call) for call in backend.calls] == [2, 2, 2, 2, 1, 1]  # two turns per wave of at most two
        with pytest.raises(ValueError, match="3 samples of one problem need as many sandbox sessions"):
            _solve({"Many?": ["The answer is 1."]}, small, samples=3)


def test_chat_answers_continue_the_assistant_message(sandbox):
    question = "Six times seven, in chat?"
    (solution,), backend = _solve({question: [BLOCK.format("print(6 * 7)"), "The answer is \\boxed{42}."]},
                                  sandbox, chat=True, style="qwen25-math-tir")
    system, user = backend.calls[0][0].prompt
    assert "integrate natural language reasoning with programs" in system["content"] and user["content"] == question
    *_, partial = backend.calls[1][0].prompt
    assert partial == {"role": "assistant", "content": BLOCK.format("print(6 * 7)") + output_block("42")}
    assert solution.attempts[0].answer == "42"


def test_openai_chat_asks_the_server_to_continue_the_answer(sandbox):
    def reply(body: dict) -> str:
        resumed = body["messages"][-1]["role"] == "assistant"
        return "The answer is \\boxed{42}." if resumed else BLOCK.format("print(6 * 7)")

    with fault_server([], text=reply) as server:
        backend = make_backend("openai", "fault", base_url=server.base_url)
        (solution,) = get_strategy("tir").solve([_problem("Six times seven?")], Generator(backend, chat=True),
                                                sandbox, Grader())
    first, second = server.requests
    assert "continue_final_message" not in first and first["messages"][-1]["role"] == "user"
    assert (second["continue_final_message"], second["add_generation_prompt"]) == (True, False)
    assert second["messages"][-1]["content"] == BLOCK.format("print(6 * 7)") + output_block("42")
    assert solution.attempts[0].answer == "42"


def _data(tmp_path: Path, rows: list[tuple[str, str]]) -> Path:
    (tmp_path / "data" / "gsm8k").mkdir(parents=True)
    lines = [json.dumps({"question": q, "answer": f"Working.\n#### {gold}"}) + "\n" for q, gold in rows]
    (tmp_path / "data" / "gsm8k" / "gsm8k.jsonl").write_text("".join(lines))
    return tmp_path / "data"


def test_tir_and_hybrid_tir_through_eval_resume_and_report(tmp_path, sandbox):
    rows = [("Six times seven?", "42"), ("Keep calling?", "5"), ("Say nothing?", "7")]
    script = {"Six times seven?": [BLOCK.format("print(6 * 7)"), "The answer is 42."],
              "Keep calling?": [BLOCK.format("print(1 / 0)")],
              "Say nothing?": ["Hmm. I do not know."]}
    data, out = _data(tmp_path, rows), tmp_path / "out"

    def run(mode: str, **settings: Any) -> TurnBackend:
        backend = TurnBackend(script)
        config = EvalConfig("scripted", ["gsm8k"], str(out), mode=mode, data_dir=str(data), progress=False,
                            **settings)
        evaluate(config, backend, sandbox)
        return backend

    backend = run("tir", max_tool_calls=2)
    records = read_problem_records(out / "tir" / "gsm8k.jsonl")
    assert [(r.path, r.answer, r.correct, r.attempts[0].failure) for r in records] == [
        ("tir", "42", True, None), ("tir", None, False, CALL_CAP), ("tir", None, False, NO_ANSWER)]
    assert records[0].attempts[0].turns[0].output == "42" and len(records[1].attempts[0].turns) == 3
    assert run("tir", max_tool_calls=2).calls == []  # resumed: everything was recorded
    with pytest.raises(ValueError, match="max_tool_calls 2 -> 3"):
        run("tir", max_tool_calls=3)

    # hybrid-tir: the two problems TIR left without an answer go to CoT (which reads "5" and "7" nowhere)
    run("hybrid-tir", max_tool_calls=2)
    fallback = read_problem_records(out / "hybrid-tir" / "gsm8k.jsonl")
    assert [[a.path for a in r.attempts] for r in fallback] == [["tir"], ["tir", "cot"], ["tir", "cot"]]
    assert [r.fallback_reasons for r in fallback] == [[], [CALL_CAP], [NO_ANSWER]]

    report = build_report(out)
    tools = report.tools["tir"]["gsm8k"]
    assert (tools.problems, tools.mean_calls, tools.max_calls, tools.hit_cap, tools.raised) == (3, 1.0, 2, 0.3333,
                                                                                                0.3333)
    assert "hybrid-tir" in report.tools and report.runs == ["tir", "hybrid-tir"]
    html = Path(report.html).read_text()
    assert "tool calls per problem (mean / max)" in html and '"output": "ZeroDivisionError: division by zero"' in html
    assert json.loads(Path(report.results_json).read_text())["runs"]["tir"]["datasets"]["gsm8k"]["tools"][
        "max_calls"] == 2


def test_self_consistency_votes_over_tir_samples(tmp_path, sandbox):
    script = {"Six times seven?": [BLOCK.format("print(6 * 7)"), "The answer is 42."]}
    data, out = _data(tmp_path, [("Six times seven?", "42")]), tmp_path / "out"
    config = EvalConfig("scripted", ["gsm8k"], str(out), mode="tir", samples=3, temperature=0.7,
                        data_dir=str(data), progress=False)
    score = evaluate(config, TurnBackend(script), sandbox)["gsm8k"]
    (record,) = read_problem_records(out / "tir-sc" / "gsm8k.jsonl")
    assert (record.answer, record.correct, record.votes) == ("42", True, {"42": 3})
    assert [(a.sample, a.correct, a.turns[0].output) for a in record.attempts] == [(k, True, "42") for k in range(3)]
    assert score.tools.mean_calls == 1.0


def test_settings_are_checked_before_any_work():
    assert STRATEGIES["hybrid-tir"].prompts == ("tir", "cot")
    config = EvalConfig("m", ["gsm8k"], "out", mode="tir", prompt_style="qwen25-math-tir")
    assert config.max_tool_calls == 4
    with pytest.raises(ValueError, match="asks for tir: use --mode tir or hybrid-tir"):
        EvalConfig("m", ["gsm8k"], "out", mode="cot", prompt_style="qwen25-math-tir")
    with pytest.raises(ValueError, match="max_tool_calls must be >= 1"):
        EvalConfig("m", ["gsm8k"], "out", mode="tir", max_tool_calls=0)
    with pytest.raises(ValueError, match="answers in several passes"):
        ProbeConfig("m", ["gsm8k"], "out", mode="hybrid-tir")
