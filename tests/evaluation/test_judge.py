"""The LLM judge: asked only where the rules say wrong, cached, strict about its reply format, a failure recorded
(never scored wrong), reported as rules / judge / rules-or-judge columns with every disagreement listed.

A scripted OpenAI-compatible server plays the judge (chosen judgements, malformed text, 500s); one slow test asks
a real ``transformers serve`` of a random tiny model, whose replies are malformed and so recorded as failures.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers.servers import fault_server

from mammoth_math.backends import make_backend
from mammoth_math.backends.judge import Judge, JudgeCase, judge_messages, parse_judgement
from mammoth_math.cli import main
from mammoth_math.evaluation.report.judge import judge_columns


@pytest.mark.parametrize("reply, expected", [
    ("Judgement: equivalent", True),
    ("Both are 1/2.\nJudgement: different", False),
    ("**Judgement:** Equivalent.", True),
    ("judgement: different\nJudgement: different", False),
    ("Judgement: equivalent\nJudgement: different", None),  # contradicts itself
    ("The answers are equivalent.", None),  # no judgement line
    ("Judgement: equivalent, I think", None),
    ("Judgement: maybe", None),
    ("", None),
])
def test_only_a_clean_judgement_line_counts(reply, expected):
    assert parse_judgement(reply) is expected


def test_a_missing_answer_shows_the_judge_the_end_of_the_response():
    text = "x" * 5000 + " so it is forty-two"
    user = judge_messages(JudgeCase("Q?", "42", None, text))[1]["content"]
    assert user.endswith("so it is forty-two") and "x" * 1000 not in user
    assert "Candidate answer: 7" in judge_messages(JudgeCase("Q?", "42", "7", text))[1]["content"]


def _judge_reply(body: dict) -> str:
    """Judge gsm8k's second problem right, reply to the third in prose, call the fourth different."""
    user = body["messages"][-1]["content"]
    if "Reference answer: 3\n" in user:
        return "The candidate says 18, but I accept it.\nJudgement: equivalent"
    if "Reference answer: 540\n" in user:
        return "Judgement: different"
    return "Looks fine to me."


def _eval(server, eval_dir, out, cache, *extra: str) -> None:
    assert main(["eval", "--model", "fault", "--backend", "openai", "--base-url", server.base_url, "--datasets", "gsm8k",
                 "--mode", "cot", "--data-dir", str(eval_dir), "--limit", "4", "--max-new-tokens", "8",
                 "--output-dir", str(out), "--cache-dir", str(cache), *extra]) == 0


def _records(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def judged(eval_dir, tmp_path_factory):
    """Two eval runs with a judge, sharing one cache; the second run's folder, reported, and the judge's requests."""
    root = tmp_path_factory.mktemp("judged")
    with fault_server([], text="The answer is 18.") as model, fault_server([], text=_judge_reply) as judge:
        flags = ("--judge", "judge-model", "--judge-base-url", judge.base_url)
        _eval(model, eval_dir, root / "a", root / "cache", *flags)
        first = len(judge.requests)
        _eval(model, eval_dir, root / "b", root / "cache", *flags)
    assert main(["report", str(root / "b")]) == 0
    return root / "b", first, judge.requests


def test_eval_asks_the_judge_only_where_the_rules_say_wrong_once(judged):
    out, first, requests = judged
    assert first == 3  # gsm8k's first gold is 18: the rules decide it, the judge is not asked
    assert len(requests) == 3  # the second run read every judgement from the cache
    assert all(r["model"] == "judge-model" for r in requests)
    records = _records(out / "cot" / "gsm8k.jsonl")
    assert [r["correct"] for r in records] == [True, False, False, False]  # the rules' verdicts stay as they were
    assert "judge" not in records[0]
    assert [r["judge"]["equivalent"] for r in records[1:]] == [True, None, False]
    assert records[2]["judge"] == {"equivalent": None, "reply": "Looks fine to me.", "error": "malformed reply"}


def test_report_has_the_judge_columns_and_every_disagreement(judged):
    out, _, _ = judged
    results = json.loads((out / "results.json").read_text())
    assert results["judge"] == [{"run": "cot", "dataset": "gsm8k", "rules": 0.25, "judge": 0.25,
                                 "rules-or-judge": 0.5, "graded": 4, "asked": 3, "failures": 1}]
    disagreements = _records(out / "judge_disagreements.jsonl")
    assert [(d["gold"], d["answer"], d["rules"]) for d in disagreements] == [("3", "18", False)]
    page = (out / "report.html").read_text()
    assert 'id="judge-disagreements"' in page and "I accept it" in page


@pytest.mark.parametrize("problem, shown", [("gsm8k%2F1", "judge: equivalent"),
                                            ("gsm8k%2F2", "judge: failed (malformed reply), not scored")])
def test_the_page_shows_a_problems_judgement(judged, problem, shown):
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("chromium is not installed")
    out, _, _ = judged
    dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000",
                          "--dump-dom", f"{(out / 'report.html').as_uri()}#open=cot%7C{problem}"],
                         capture_output=True, text=True, timeout=120).stdout
    detail = re.sub(r"<[^>]+>", " ", dom[dom.index('id="detail"'):])
    assert shown in detail


def test_without_a_judge_nothing_changes(eval_dir, tmp_path):
    with fault_server([], text="The answer is 18.") as model:
        _eval(model, eval_dir, tmp_path, tmp_path / "cache")
    assert all("judge" not in r for r in _records(tmp_path / "cot" / "gsm8k.jsonl"))
    assert main(["report", str(tmp_path)]) == 0
    assert "judge" not in json.loads((tmp_path / "results.json").read_text())
    assert not (tmp_path / "judge_disagreements.jsonl").exists()
    assert 'id="judge"' not in (tmp_path / "report.html").read_text()


def test_a_server_error_is_a_judge_failure_not_a_wrong_answer(tmp_path):
    with fault_server(["500"]) as server:
        judge = Judge.build("judge", server.base_url, str(tmp_path / "cache"), max_retries=0)
        [failed] = judge.ask([JudgeCase("Q?", "42", "41", "")])
        judge.close()
    assert failed.equivalent is None and "500" in (failed.error or "")
    columns = judge_columns([(False, failed.to_dict()), (True, None)])
    assert (columns.rules, columns.judge, columns.failures) == (1, 0, 1)
    assert not any(p.read_text().strip() for p in (tmp_path / "cache").glob("*.jsonl"))  # failures are not cached


def test_regrade_judge_rescores_saved_outputs(tmp_path, capsys):
    rows = [{"question": "1+1?", "pred": "The answer is 2.", "gold": "2"},
            {"question": "Half of 1?", "pred": "The answer is one half.", "gold": "0.5"},
            {"question": "Name it.", "pred": "I do not know.", "gold": "7"}]
    path = tmp_path / "outputs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))

    def reply(body: dict) -> str:
        return "Judgement: equivalent" if "Reference answer: 0.5\n" in body["messages"][-1]["content"] else "Judgement: different"

    with fault_server([], text=reply) as judge:
        args = ["regrade", str(path), "--pred-key", "pred", "--gold-key", "gold", "--judge", "j",
                "--judge-base-url", judge.base_url]
        assert main(args) == 0
        first = json.loads(capsys.readouterr().out)
        assert main(args) == 0
        assert len(judge.requests) == 2  # rows 2 and 3, once: the rerun is answered by the cache
    graded = _records(tmp_path / "outputs.graded.jsonl")
    assert "judge" not in graded[0]["grading"]
    assert graded[1]["grading"]["judge"]["equivalent"] is True
    assert graded[2]["grading"]["answer"] is None
    assert sum("No final answer was extracted" in r["messages"][-1]["content"] and r["messages"][-1]["content"]
               .endswith("I do not know.") for r in judge.requests) == 1
    assert first["judge"]["rules-or-judge"] == pytest.approx(2 / 3) and first["judge"]["asked"] == 2
    disagreements = _records(tmp_path / "outputs.graded.judge_disagreements.jsonl")
    assert [d["gold"] for d in disagreements] == ["0.5"]


@pytest.mark.slow
def test_a_real_served_tiny_model_is_recorded_as_a_failing_judge(served_tiny_model, tmp_path):
    judge = Judge(make_backend("openai", served_tiny_model.model, base_url=served_tiny_model.base_url, max_retries=1),
                  max_new_tokens=16)
    verdicts = judge.ask([JudgeCase("What is 6 times 7?", "42", "41", "The answer is 41.")])
    judge.close()
    [verdict] = verdicts
    assert verdict.equivalent is None and verdict.error == "malformed reply" and verdict.reply.strip()
    assert judge_columns([(False, verdict.to_dict())]).failures == 1
