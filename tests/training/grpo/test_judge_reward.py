"""GRPO's judge reward against a real OpenAI-compatible server on loopback (the scripted judge of the tests):
asked only about one clean answer the rules rejected, batched, a failure counted 0 and logged."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from helpers.servers import fault_server

from mammoth_math.backends.judge import Judge
from mammoth_math.files import InputError
from mammoth_math.training import load_grpo_config
from mammoth_math.training.grpo.rewards import Rewarder, reward_functions

GRPO = Path(__file__).resolve().parents[3] / "configs" / "train" / "grpo-tiny-cpu.yaml"
QUESTION = "Janet has 40 apples and buys 2 more apples today. How many apples does she have now?"
ROLLOUTS = [
    "40 + 2 makes forty-one, so the answer is 41.",  # one answer, rejected by the rules: the judge is asked
    r"It is \boxed{41} or \boxed{40}.",  # several answers: a hack, never asked
    "40 + 2 = 42. The answer is 42.",  # right by the rules: nothing to ask
    "I cannot tell.",  # no answer: nothing to ask
    "The answer is 43.",  # asked; the judge replies in prose: a failure, counted 0
]


def _reply(body: dict) -> str:
    user = body["messages"][-1]["content"]
    return "Judgement: equivalent" if "Candidate answer: 41" in user else "It looks close enough."


def _columns(n: int) -> dict:
    return {"gold": ["42"] * n, "kind": ["number"] * n, "options": [None] * n, "question": [QUESTION] * n,
            "rollout": ["cot"] * n}


def test_judge_sees_only_one_clean_rejected_answer_and_a_failure_counts_zero(tmp_path) -> None:
    metrics: list[tuple[str, float]] = []
    with fault_server([], text=_reply) as server:
        judge = Judge.build("judge", server.base_url, str(tmp_path / "cache"), max_retries=0)
        funcs = reward_functions(Rewarder(), 64, 0, judge)
        ids = [[1] * 4] * len(ROLLOUTS)
        log = lambda k, v: metrics.append((k, v))  # noqa: E731 (TRL's log_metric)
        correct, _, _, judged = [f(completions=ROLLOUTS, completion_ids=ids, log_metric=log, **_columns(len(ROLLOUTS)))
                                 for f in funcs]
        judge.close()
    assert [f.__name__ for f in funcs][-1] == "judge"
    assert correct == [0.0, 0.0, 1.0, 0.0, 0.0]
    assert judged == [1.0, 0.0, 0.0, 0.0, 0.0]
    asked = sorted(r["messages"][-1]["content"].rsplit("Candidate answer: ", 1)[1] for r in server.requests)
    assert asked == ["41", "43"]  # one batch: the hack, the right answer and the empty one were never sent
    assert metrics == [("judge/asked", 2.0), ("judge/failures", 1.0)]


def test_an_unreachable_judge_counts_zero_and_is_counted(tmp_path, caplog) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    judge = Judge.build("judge", f"http://127.0.0.1:{port}/v1", None, max_retries=0)
    metrics: list[tuple[str, float]] = []
    judged = reward_functions(Rewarder(), 64, 0, judge)[-1](
        completions=ROLLOUTS[:1], completion_ids=[[1]], log_metric=lambda k, v: metrics.append((k, v)),
        **_columns(1))
    judge.close()
    assert judged == [0.0] and metrics == [("judge/asked", 1.0), ("judge/failures", 1.0)]
    assert "1 of 1 questions failed" in caplog.text


def test_a_judge_without_its_server_is_a_config_error() -> None:
    with pytest.raises(InputError, match="judge_base_url"):
        load_grpo_config(GRPO, ["judge=qwen-judge"])
    assert load_grpo_config(GRPO).judge is None  # off by default
