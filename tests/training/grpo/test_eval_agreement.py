"""The reward's verdict equals the evaluation's on every record of a real eval run: a tiny SFT'd model answers
problems under ``eval`` (cot, pot, tir, HF backend, real sandbox); each record's text (for tir, its
transcript and the outputs its turns got) goes through the rewarder, and the verdicts agree one for one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataclasses import replace

from mammoth_math.backends import make_backend
from mammoth_math.benchmarks import Problem
from mammoth_math.evaluation.grader import Grader
from mammoth_math.grading import AnswerKind
from mammoth_math.evaluation import EvalConfig, evaluate, read_problem_records
from mammoth_math.sandbox import Sandbox
from mammoth_math.training.grpo.rewards import Rewarder, Target

from .test_train_grpo import sft  # noqa: F401 - the fixture: a tiny model SFT'd on CoT and PoT rows

pytestmark = pytest.mark.slow


def test_reward_verdict_equals_the_evaluation_on_every_record(sft: Path, tmp_path: Path) -> None:  # noqa: F811
    data = tmp_path / "test"
    data.mkdir()
    # the questions the model was SFT'd on, so that it writes answers and programs (some right, some wrong)
    rows = [{"id": f"t{i}", "question": q, "gold": str(a + b), "kind": "number"}
            for i, (a, b) in enumerate((a, b) for a in range(2, 8) for b in (3, 5))
            for q in [f"Tom has {a} apples and buys {b} more. How many apples does he have?" if i % 2 else
                      f"What is {a} plus {b}?"]]
    (data / "custom.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    backend = make_backend("hf", str(sft), batch_size=12, device="cpu")
    checked, agreed, answered = 0, 0, 0
    with Sandbox(timeout=3.0, workers=2) as sandbox:
        for mode in ("cot", "pot", "tir"):
            evaluate(EvalConfig(model=str(sft), datasets=["custom"], output_dir=str(tmp_path / "eval"), mode=mode,
                                data_dir=str(data), max_new_tokens=48, progress=False, temperature=1.0, seed=0,
                                backend_options={"batch_size": 12, "device": "cpu"}), backend=backend, sandbox=sandbox)
            records = read_problem_records(tmp_path / "eval" / mode / "custom.jsonl")
            assert len(records) == 12
            texts = [r.attempts[0].text for r in records]
            targets = [Target(r.gold, r.kind, tuple(r.options) if r.options else None, r.question) for r in records]
            outputs = [[t.output or "" for t in r.attempts[0].turns if t.code is not None] for r in records]
            readings = Rewarder(sandbox).read(texts, targets, [mode] * 12, outputs if mode == "tir" else None)
            for record, reading in zip(records, readings):
                checked += 1
                agreed += reading.correct == bool(record.correct)
            # the same texts against their own extracted answer as gold: where the evaluation read an answer, it
            # grades it right, and so must the reward; where it read none (or the program failed), neither does
            attempts = [r.attempts[0] for r in records]
            own = [Target(a.answer or "0", r.kind, tuple(r.options) if r.options else None, r.question)
                   for a, r in zip(attempts, records)]
            for attempt, record, reading in zip(attempts, records,
                                                Rewarder(sandbox).read(texts, own, [mode] * 12,
                                                                       outputs if mode == "tir" else None)):
                expected = Grader().attempt_correct(attempt, replace(_problem(record), gold=attempt.answer or "0"))
                checked += 1
                agreed += reading.correct == expected
                answered += expected
    assert agreed == checked == 72
    assert answered > 0, "no record had an answer: the second half compared nothing but misses"


def _problem(record) -> Problem:
    return Problem(record.benchmark, record.id, record.question, record.gold, AnswerKind(record.kind),
                   tuple(record.options) if record.options else None)
