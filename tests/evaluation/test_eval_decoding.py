"""Decoding end to end with the hf backend: CoT, PoT, hybrid fallback (counted calls), self-consistency."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.backends import CountingBackend
from helpers.taught_model import GSM8K_FAILED, GSM8K_PROGRAMS, N_AQUA, N_GSM8K

from mammoth_math.backends import make_backend
from mammoth_math.benchmarks import Problem, load_problems
from mammoth_math.evaluation import Attempt, EvalConfig, evaluate, read_problem_records
from mammoth_math.evaluation import Grader, vote
from mammoth_math.grading import AnswerKind
from mammoth_math.prompts import build_prompt


def _config(out: Path, eval_dir: Path, mode: str, dataset: str, limit: int, **kw) -> EvalConfig:
    return EvalConfig(model="taught-tiny", datasets=[dataset], output_dir=str(out), mode=mode, data_dir=str(eval_dir),
                      limit=limit, max_new_tokens=24, chunk_size=16, progress=False, **kw)


@pytest.fixture
def backend(taught_model):
    model, tokenizer = taught_model
    return CountingBackend(make_backend("hf", model, tokenizer=tokenizer, batch_size=16))


def test_hybrid_sends_only_failed_programs_to_cot(backend, sandbox, eval_dir, tmp_path):
    problems = load_problems("gsm8k", eval_dir, limit=N_GSM8K)
    scores = evaluate(_config(tmp_path, eval_dir, "hybrid", "gsm8k", N_GSM8K), backend, sandbox)

    pot_call, cot_call = backend.calls  # one batched PoT call, then one batched CoT call: nothing else
    assert [r.prompt for r in pot_call] == [build_prompt(p, "pot") for p in problems]
    assert [r.prompt for r in cot_call] == [build_prompt(problems[i], "cot") for i in sorted(GSM8K_FAILED)]

    records = read_problem_records(tmp_path / "hybrid" / "gsm8k.jsonl")
    assert [r.id for r in records] == [p.id for p in problems]
    for i, r in enumerate(records):
        if i in GSM8K_FAILED:
            assert r.fallback_reasons == [GSM8K_FAILED[i]], r.id
            assert [a.path for a in r.attempts] == ["pot", "cot"]
            assert r.fallback_prompt == build_prompt(problems[i], "cot")
        else:
            assert not r.fallback and [a.path for a in r.attempts] == ["pot"] and r.path == "pot"
            assert r.attempts[0].program == GSM8K_PROGRAMS[i].format(g=problems[i].gold)
    right = {r.id for r in records if r.correct}
    assert right == {problems[i].id for i in (0, 1, 2, 4, 5, 7)}
    assert records[1].attempts[0].execution.error and "SyntaxError" in records[1].attempts[0].execution.error
    assert records[4].attempts[0].execution.timed_out
    assert (records[3].answer, records[3].path, records[3].method) == (None, "fallback", "empty")
    assert (records[6].answer, records[6].correct) == ("12345", False)  # wrong, yet no fallback
    assert {r.path for r in records if r.correct} == {"pot", "fallback"}
    assert scores["gsm8k"].correct == 6 and scores["gsm8k"].fallbacks == 4 and scores["gsm8k"].errors == 0


def test_hybrid_multiple_choice_falls_back_when_not_an_option(backend, sandbox, eval_dir, tmp_path):
    evaluate(_config(tmp_path, eval_dir, "hybrid", "aqua", N_AQUA), backend, sandbox)
    first, second = read_problem_records(tmp_path / "hybrid" / "aqua.jsonl")
    assert (first.path, first.answer, first.correct) == ("pot", first.gold, True)
    assert second.fallback_reasons == ["not an option"] and second.attempts[0].execution.stdout.strip() == "Z"
    assert (second.path, second.answer, second.correct) == ("fallback", second.gold, True)
    assert len(backend.calls) == 2 and len(backend.calls[1]) == 1


def test_cot_and_pot_modes(backend, sandbox, eval_dir, tmp_path):
    cot = evaluate(_config(tmp_path, eval_dir, "cot", "gsm8k", N_GSM8K), backend, sandbox)["gsm8k"]
    pot = evaluate(_config(tmp_path, eval_dir, "pot", "gsm8k", N_GSM8K), backend, sandbox)["gsm8k"]
    assert (cot.correct, cot.paths) == (N_GSM8K - 1, {"cot": N_GSM8K})  # problem 3's rationale has no answer
    assert (pot.correct, pot.paths, pot.fallbacks) == (3, {"pot": N_GSM8K}, 0)
    assert len(backend.calls) == 2  # one call per mode: the sandbox, not the model, runs the programs


def test_self_consistency_votes_over_samples(backend, sandbox, eval_dir, tmp_path):
    config = _config(tmp_path, eval_dir, "hybrid", "gsm8k", N_GSM8K, samples=3, temperature=0.7, seed=1)
    assert config.run_name == "hybrid-sc"
    evaluate(config, backend, sandbox)
    assert all(r.n == 3 for r in backend.calls[0])
    for r in read_problem_records(tmp_path / "hybrid-sc" / "gsm8k.jsonl"):
        pots = [a for a in r.attempts if a.path == "pot"]
        assert len(pots) == 3 and len(r.attempts) == 3 + len(r.fallback_reasons)  # one CoT per failed sample
        voters = [a for a in r.attempts if not a.failure and a.answer]
        assert sum(r.votes.values()) == len(voters)
        if voters:
            assert r.votes[r.answer] == max(r.votes.values())


# --- the vote on its own ----------------------------------------------------------------------------

PROBLEM = Problem("gsm8k", "gsm8k/x", "q", "0.5", AnswerKind.NUMBER)


def _cot(answer: str | None) -> Attempt:
    return Attempt("cot", f"The answer is {answer}", answer, "the answer is")


def test_vote_groups_graded_equal_answers():
    winner, votes = vote([_cot("2"), _cot("1/2"), _cot("0.5"), _cot("2")], PROBLEM, Grader())
    assert winner.answer == "2" and votes == {"2": 2, "1/2": 2}  # a tie goes to the answer seen first
    winner, votes = vote([_cot("3"), _cot("1/2"), _cot("0.50"), _cot("3"), _cot("0.5")], PROBLEM, Grader())
    assert winner.answer == "1/2" and votes == {"3": 2, "1/2": 3}


def test_vote_ignores_empty_answers_and_failed_programs():
    failed = Attempt("pot", "x", "7", "program output", failure="error")
    winner, votes = vote([_cot(None), _cot(""), _cot(None), failed, _cot("4")], PROBLEM, Grader())
    assert winner.answer == "4" and votes == {"4": 1}
    assert vote([_cot(None), _cot(None)], PROBLEM, Grader()) == (None, {})


def test_few_shot_prompts_draw_exemplars_from_the_train_split(backend, eval_dir, train_dir, tmp_path):
    evaluate(_config(tmp_path, eval_dir, "cot", "gsm8k", 2, few_shot=True, shots=2, train_dir=str(train_dir)), backend)
    tests = {p.question for p in load_problems("gsm8k", eval_dir)}
    for r in read_problem_records(tmp_path / "cot" / "gsm8k.jsonl"):
        shots = r.prompt.split("### Instruction:\n")[1:-1]  # the exemplars' turns, before the question's
        assert len(shots) == 2 and r.prompt.endswith(f"{r.question}\n\n### Response:")
        assert not any(shot.split("\n\n### Response:")[0] in tests for shot in shots)
    with pytest.raises(ValueError, match="--train-dir"):
        evaluate(_config(tmp_path / "x", eval_dir, "cot", "gsm8k", 2, few_shot=True), backend)

