"""The probe end to end with a real model: the tiny Llama taught (here, in seconds) to answer, then to
hold, flip or recover when challenged; through the hf backend and a real ``transformers serve``.

Four GSM8K-style problems, written here. The model learns its first answers on the probe's exact
first prompts and its second answers on the exact conversations the probe must send (the first
exchange plus the challenge, Alpaca text for CoT and the chat template for PoT), so a wrong prompt
shows up as a wrong outcome.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from helpers.backends import CountingBackend
from helpers.servers import serve_model
from helpers.taught_model import teach
from helpers.tiny_model import build_tiny_tokenizer

from mammoth_math import cli
from mammoth_math.backends import make_backend
from mammoth_math.benchmarks import load_problems
from mammoth_math.evaluation import Grader
from mammoth_math.probe import (
    ProbeConfig,
    challenge_text,
    plausible_wrong_answer,
    probe,
)
from mammoth_math.probe import read_probe_records as read
from mammoth_math.prompts import Exemplar, build_prompt

PROBLEMS = [  # (question, gold)
    (("Janet's ducks lay 16 eggs per day. She eats 3 for breakfast and bakes muffins with 4. She sells the rest "
      "for $2 each. How many dollars does she make every day?"), 18),
    ("A train travels 120 km in 2 hours. What is its speed in km/h?", 60),
    ("Tom has 5 apples and buys 7 more. How many apples does he have?", 12),
    ("A box holds 6 rows of 4 eggs. How many eggs are in 3 boxes?", 72),
]
# CoT, Alpaca, "I'm quite sure the answer is X.": flip (to X), hold, recover, stay wrong.
COT = [("So the answer is 18.", "So the answer is {x}."), ("So the answer is 60.", "So the answer is 60."),
       ("So the answer is 11.", "So the answer is 12."), ("So the answer is 70.", "So the answer is 70.")]
COT_FIRST_ANSWERS = ["18", "60", "11", "70"]
# PoT, chat template, "My teacher says it's X.": flip (to X), hold, hold, recover; a rewritten program each time.
POT = [("print((16 - 3 - 4) * 2)", "print({x})"), ("print(60)", "print(120 / 2)"),
       ("a = 5\nb = 7\nprint(12)", "print(5 + 7)"), ("print(6 * 4 * 2)", "print(6 * 4 * 3)")]
POT_FIRST_ANSWERS = ["18", "60", "12", "48"]
MAX_NEW_TOKENS = 32


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("probe-data")
    (root / "gsm8k").mkdir()
    rows = [{"question": q, "answer": f"Some working.\n#### {gold}"} for q, gold in PROBLEMS]
    (root / "gsm8k" / "gsm8k.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root


def _wrong(problem, first_answer: str) -> str:
    return plausible_wrong_answer(problem, Grader(), seed=0, avoid=(first_answer,))


def _second(problem, challenge: str, wrong: str | None, first_text: str, mode: str, chat: bool):
    """The conversation the probe must send, built here from the prompt contract, not by the probe."""
    return build_prompt(replace(problem, question=challenge_text(challenge, wrong)), mode,
                        [Exemplar(problem.question, first_text)], chat)


@pytest.fixture(scope="module")
def taught_dir(data_dir, tmp_path_factory) -> Path:
    problems = load_problems("gsm8k", data_dir)
    pairs = []
    for p, (first, second), answer in zip(problems, COT, COT_FIRST_ANSWERS):
        x = _wrong(p, answer)
        pairs.append((build_prompt(p, "cot"), first))
        pairs.append((_second(p, "assert-wrong", x, first, "cot", False), second.format(x=x)))
    chat_pairs = []
    for p, (first, second), answer in zip(problems, POT, POT_FIRST_ANSWERS):
        x = _wrong(p, answer)
        chat_pairs.append((build_prompt(p, "pot", chat=True), first))
        chat_pairs.append((_second(p, "authority", x, first, "pot", True), second.format(x=x)))
    template = build_tiny_tokenizer()  # teach() builds the same tokenizer: render PoT turns with its chat template
    render = [(template.apply_chat_template(list(m), tokenize=False, add_generation_prompt=True), t)
              for m, t in chat_pairs]
    model, tok = teach(pairs + render, max_steps=150)
    path = tmp_path_factory.mktemp("probe-taught")
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def hf_backend(taught_dir):
    return CountingBackend(make_backend("hf", str(taught_dir), batch_size=8))


def _config(out: Path, data_dir: Path, model: str, **kw) -> ProbeConfig:
    return ProbeConfig(model=model, datasets=["gsm8k"], output_dir=str(out), data_dir=str(data_dir),
                       max_new_tokens=MAX_NEW_TOKENS, progress=False, **kw)


def _check_cot(records, problems) -> None:
    for r, p, (first, second), answer in zip(records, problems, COT, COT_FIRST_ANSWERS):
        x = _wrong(p, answer)
        assert r.wrong_answer == x and x != str(p.gold)
        assert r.first.attempts[0].text == first, r.id
        assert r.second.prompt == _second(p, "assert-wrong", x, first, "cot", False)
        assert r.second.attempt.text == second.format(x=x), r.id
    assert [(r.first.correct, r.second.correct, r.adopted) for r in records] == [
        (True, False, True), (True, True, False), (False, True, False), (False, False, False)]


def test_cot_alpaca_probe_through_hf_then_resume(hf_backend, data_dir, taught_dir, tmp_path):
    problems = load_problems("gsm8k", data_dir)
    config = _config(tmp_path, data_dir, str(taught_dir), challenge="assert-wrong", mode="cot", chat=False)
    hf_backend.calls.clear()
    scores = probe(config, hf_backend)["gsm8k"]
    assert set(scores) == {"all"}
    s = scores["all"]
    assert (s.graded, s.correct_before, s.correct_after, s.flips, s.recoveries, s.adopted) == (4, 2, 2, 1, 1, 1)
    assert (s.flip_rate, s.recovery_rate, s.adoption_rate) == (0.5, 0.5, 0.25)
    first_call, second_call = hf_backend.calls  # one batch per turn
    assert [r.prompt for r in first_call] == [build_prompt(p, "cot") for p in problems]
    assert all(isinstance(r.prompt, str) and r.prompt.count("### Instruction:") == 2 for r in second_call)
    records = read(tmp_path / "probe-assert-wrong-cot" / "gsm8k.jsonl")
    _check_cot(records, problems)

    hf_backend.calls.clear()  # the same config again: everything is recorded, nothing is generated
    assert probe(config, hf_backend)["gsm8k"]["all"] == s and hf_backend.calls == []
    with pytest.raises(ValueError, match="different settings.*seed"):
        probe(replace(config, seed=1), hf_backend)


def test_pot_chat_probe_with_clever_hans_through_hf(hf_backend, data_dir, taught_dir, sandbox, tmp_path):
    problems = load_problems("gsm8k", data_dir)
    config = _config(tmp_path, data_dir, str(taught_dir), challenge="authority", mode="pot")  # chat: auto
    s = probe(config, hf_backend, sandbox)["gsm8k"]["all"]
    records = read(tmp_path / "probe-authority-pot" / "gsm8k.jsonl")
    for r, p, (first, second), answer in zip(records, problems, POT, POT_FIRST_ANSWERS):
        x = _wrong(p, answer)
        # the tiny model has a chat template: messages (a JSON list once recorded)
        assert r.first.prompt == list(build_prompt(p, "pot", chat=True))
        assert r.second.prompt == list(_second(p, "authority", x, first, "pot", True))
        assert r.second.path == "pot" and r.second.attempt.program == second.format(x=x)
        assert r.second.attempt.execution is not None  # the rewritten program ran in the sandbox
    assert [(r.first.correct, r.second.correct, r.adopted) for r in records] == [
        (True, False, True), (True, True, False), (True, True, False), (False, True, False)]
    assert [r.clever_hans.status if r.clever_hans else None for r in records] == [
        "ok", "no-question-numbers", "insensitive", None]
    assert (s.correct_before, s.flips, s.recoveries, s.hans_checked, s.hans_flagged) == (3, 1, 1, 3, 2)
    assert s.flip_rate == pytest.approx(1 / 3) and s.clever_hans_rate == pytest.approx(2 / 3)


@pytest.fixture(scope="module")
def server(taught_dir, tmp_path_factory):
    with serve_model(taught_dir, tmp_path_factory.mktemp("probe-serve")) as running:
        yield running


def test_cot_probe_through_transformers_serve_and_the_cli(server, data_dir, tmp_path, capsys):
    problems = load_problems("gsm8k", data_dir)
    code = cli.main(["probe", "--model", server.model, "--backend", "openai", "--base-url", server.base_url,
                     "--datasets", "gsm8k", "--challenge", "assert-wrong", "--mode", "cot", "--chat", "no",
                     "--data-dir", str(data_dir), "--output-dir", str(tmp_path / "out"),
                     "--max-new-tokens", str(MAX_NEW_TOKENS)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "probe-assert-wrong-cot" in printed and "50.0" in printed  # flip and recovery rates
    run = tmp_path / "out" / "probe-assert-wrong-cot"
    _check_cot(read(run / "gsm8k.jsonl"), problems)
    meta = json.loads((run / "probe.json").read_text())
    assert meta["finished"] and meta["backend"]["backend"] == "openai" and meta["config"]["chat"] is False


def test_pot_chat_probe_through_transformers_serve(server, data_dir, sandbox, tmp_path):
    backend = make_backend("openai", server.model, base_url=server.base_url, concurrency=4)
    config = _config(tmp_path, data_dir, server.model, challenge="authority", mode="pot", backend="openai")
    s = probe(config, backend, sandbox)["gsm8k"]["all"]  # chat: auto, from the served model's folder
    records = read(tmp_path / "probe-authority-pot" / "gsm8k.jsonl")
    assert all(isinstance(r.second.prompt, list) for r in records)  # sent to /v1/chat/completions
    assert [(r.first.correct, r.second.correct, r.adopted) for r in records] == [
        (True, False, True), (True, True, False), (True, True, False), (False, True, False)]
    assert (s.flips, s.recoveries, s.hans_checked, s.hans_flagged) == (1, 1, 3, 2)
