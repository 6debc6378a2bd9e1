"""Sampled runs end to end: ``--datasets modern --samples 4 --pass-k 1,2,4`` through hf and a real
``transformers serve``, metrics recomputed by ``report`` from the records alone, and ``--reasoning`` with a
tiny model taught to write think blocks, one of which never closes (truncated, never graded)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.browser import browser  # noqa: F401  (fixture: headless chromium)
from helpers.taught_model import teach

from mammoth_math.backends import make_backend
from mammoth_math.benchmarks import SUITES, get_benchmark, load_problems
from mammoth_math.cli import main
from mammoth_math.evaluation import EvalConfig, evaluate, read_problem_records
from mammoth_math.evaluation.grader import Grader
from mammoth_math.evaluation.metrics import pass_at_k
from mammoth_math.grading.reasoning import ThinkTags
from mammoth_math.prompts import build_prompt

MODERN = SUITES["modern"]


class Counting:
    """A backend wrapper that keeps every request it was sent (to check the n samples came in one pass)."""

    def __init__(self, inner):
        self.inner, self.requests = inner, []

    def generate(self, requests, progress=False):
        self.requests.extend(requests)
        return self.inner.generate(requests, progress)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def _check_sampled_run(out: Path, n: int = 4, limit: int = 5) -> None:
    """Every modern set: ``limit`` records of n graded samples, its spec version in run.json."""
    run = out / "cot-sc"
    meta = json.loads((run / "run.json").read_text())
    for name in MODERN:
        assert meta["benchmarks"][name]["version"] == get_benchmark(name).version
        assert meta["benchmarks"][name]["sampling"]["n"] == n and meta["benchmarks"][name]["pass_k"] == [1, 2, 4]
        records = read_problem_records(run / f"{name}.jsonl")
        assert len(records) == limit
        for r in records:
            assert [a.sample for a in r.attempts] == list(range(n))
            assert all(isinstance(a.correct, bool) for a in r.attempts)


def _pass_at(records, k: int) -> float:
    return sum(pass_at_k(len(r.attempts), sum(a.correct for a in r.attempts), k) for r in records) / len(records)


def test_modern_suite_sampled_in_one_pass_through_hf(tiny_model, modern_dir, tmp_path):
    model, tok = tiny_model
    backend = Counting(make_backend("hf", model, tokenizer=tok, batch_size=8))
    config = EvalConfig(model="tiny", datasets=["modern"], output_dir=str(tmp_path), mode="cot",
                        data_dir=str(modern_dir), limit=5, samples=4, pass_k=[1, 2, 4], max_new_tokens=6,
                        progress=False)
    evaluate(config, backend)
    # one request per problem asking for all 4 samples: one batched pass, not four
    assert len(backend.requests) == 5 * len(MODERN) and {r.n for r in backend.requests} == {4}
    # --samples overrides only n: AIME/AMC/comp-math keep their published 0.6 / 0.95, the rest sample at 0.7
    assert {(r.temperature, r.top_p) for r in backend.requests} == {(0.6, 0.95), (0.7, 1.0)}
    _check_sampled_run(tmp_path)
    assert all(a.tokens > 0 for a in read_problem_records(tmp_path / "cot-sc" / "aime24.jsonl")[0].attempts)


def test_cli_modern_suite_then_report_recomputes_k_without_a_backend(tiny_model_dir, modern_dir, tmp_path,
                                                                     monkeypatch, capsys):
    out = tmp_path / "out"
    assert main(["eval", "--model", str(tiny_model_dir), "--datasets", "modern", "--data-dir", str(modern_dir),
                 "--output-dir", str(out), "--mode", "cot", "--limit", "5", "--samples", "4", "--pass-k", "1,2,4",
                 "--max-new-tokens", "6", "--no-cache"]) == 0
    _check_sampled_run(out)
    assert main(["report", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "modern: cot-sc: sampled metrics" in printed and "modern: generation" in printed
    results = json.loads((out / "results.json").read_text())
    assert results["suites"] == {"modern": list(MODERN)}
    aime = results["runs"]["cot-sc"]["datasets"]["aime24"]
    assert {"avg@4", "pass@1", "pass@2", "pass@4", "maj@1", "maj@4", "std_error"} <= set(aime["sampled"])
    assert aime["sampled"]["sampling"] == {"n": 4, "temperature": 0.6, "top_p": 0.95}
    subsets = results["runs"]["cot-sc"]["datasets"]["comp_math_24_25"]["subsets"]
    assert set(subsets) == {str(r.meta["subset_for_metrics"])
                            for r in read_problem_records(out / "cot-sc" / "comp_math_24_25.jsonl")}

    def no_backend(*args, **kwargs):
        raise AssertionError("report must not build a backend")

    monkeypatch.setattr("mammoth_math.backends.make_backend", no_backend)
    assert main(["report", str(out), "--pass-k", "1,3"]) == 0
    results = json.loads((out / "results.json").read_text())
    for name in MODERN:
        sampled = results["runs"]["cot-sc"]["datasets"][name]["sampled"]
        records = read_problem_records(out / "cot-sc" / f"{name}.jsonl")
        assert "pass@2" not in sampled and "maj@3" in sampled
        assert sampled["pass@3"] == pytest.approx(_pass_at(records, 3))
        assert sampled["avg@4"] == pytest.approx(sum(a.correct for r in records for a in r.attempts) / 20)
    page = (out / "report.html").read_text()
    assert 'id="suite-modern"' in page and "function sampleGrid" in page


# --- reasoning models ----------------------------------------------------------------------------

N_THINK = 4  # GSM8K problems; the odd ones never close their think block


@pytest.mark.parametrize(("text", "finish", "expected"), [
    ("<think>2+2</think> The answer is 4.", "stop", "The answer is 4."),
    ("2+2 is</think> 4", "stop", "4"),  # the template opened the block (DeepSeek-R1)
    ("<think>The answer is 4", "stop", None),  # never closed: no answer
    ("The answer is 4", "length", None),  # cut by the budget inside a block the template opened
    ("The answer is 4", "stop", "The answer is 4"),  # no block at all
])
def test_what_extraction_reads_of_a_reasoning_output(text, finish, expected):
    assert Grader(think=ThinkTags()).answer_text(text, finish) == expected
    assert Grader().answer_text(text, finish) == text  # without --reasoning the text is read whole


def _thinking_targets(eval_dir: Path) -> list[tuple[str, str]]:
    """Even problems: a closed think block then the answer; odd ones: the gold inside a block left open
    (grading it would be right: a truncated sample must count as no answer)."""
    pairs = []
    for i, p in enumerate(load_problems("gsm8k", eval_dir, limit=N_THINK)):
        target = f"<think>so {p.gold}</think> The answer is {p.gold}." if i % 2 == 0 else f"<think>The answer is {p.gold}"
        pairs.append((build_prompt(p, "cot"), target))
    return pairs


@pytest.fixture(scope="module")
def thinking_model_dir(eval_dir, tmp_path_factory) -> Path:
    model, tok = teach(_thinking_targets(eval_dir), max_steps=120)
    path = tmp_path_factory.mktemp("thinking-llama")
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


def _check_reasoning(out: Path) -> None:
    records = read_problem_records(out / "cot" / "gsm8k.jsonl")
    assert [r.correct for r in records] == [True, False, True, False]
    for r in records[1::2]:
        (attempt,) = r.attempts
        assert attempt.failure == "truncated" and attempt.answer is None and r.answer is None
    results = json.loads((out / "results.json").read_text())
    generation = results["runs"]["cot"]["datasets"]["gsm8k"]["generation"]
    assert generation["truncation_rate"] == 0.5 and generation["output_tokens"] > 0


def test_reasoning_run_counts_unclosed_think_blocks_as_truncated(thinking_model_dir, eval_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["eval", "--model", str(thinking_model_dir), "--datasets", "gsm8k", "--data-dir", str(eval_dir),
                 "--output-dir", str(out), "--mode", "cot", "--limit", str(N_THINK), "--reasoning",
                 "--max-new-tokens", "40", "--no-cache"]) == 0
    assert main(["report", str(out)]) == 0
    assert "truncated (%)" in capsys.readouterr().out
    _check_reasoning(out)


def test_without_reasoning_the_think_text_is_graded(thinking_model_dir, eval_dir, tmp_path):
    """The contrast: the same outputs read as plain text grade the unclosed block on its number."""
    out = tmp_path / "out"
    assert main(["eval", "--model", str(thinking_model_dir), "--datasets", "gsm8k", "--data-dir", str(eval_dir),
                 "--output-dir", str(out), "--mode", "cot", "--limit", str(N_THINK), "--max-new-tokens", "40",
                 "--no-cache"]) == 0
    assert [r.correct for r in read_problem_records(out / "cot" / "gsm8k.jsonl")] == [True] * N_THINK


# --- the same through a real `transformers serve` -------------------------------------------------

@pytest.mark.slow
def test_modern_suite_sampled_through_transformers_serve(served_tiny_model, modern_dir, tmp_path):
    out = tmp_path / "out"
    assert main(["eval", "--backend", "openai", "--model", served_tiny_model.model, "--base-url",
                 served_tiny_model.base_url, "--datasets", "modern", "--data-dir", str(modern_dir), "--output-dir",
                 str(out), "--mode", "cot", "--limit", "5", "--samples", "4", "--pass-k", "1,2,4",
                 "--max-new-tokens", "6", "--no-cache"]) == 0
    _check_sampled_run(out)
    assert main(["report", str(out)]) == 0


@pytest.mark.slow
def test_reasoning_run_through_transformers_serve(thinking_model_dir, eval_dir, tmp_path):
    from helpers.servers import serve_model

    out = tmp_path / "out"
    with serve_model(thinking_model_dir, tmp_path) as server:
        assert main(["eval", "--backend", "openai", "--model", server.model, "--base-url", server.base_url,
                     "--endpoint", "completions", "--datasets", "gsm8k", "--data-dir", str(eval_dir),
                     "--output-dir", str(out), "--mode", "cot", "--limit", str(N_THINK), "--reasoning",
                     "--max-new-tokens", "40", "--no-cache"]) == 0
    assert main(["report", str(out)]) == 0
    _check_reasoning(out)


def test_html_page_shows_all_samples_of_a_problem_side_by_side(tiny_model, modern_dir, browser, tmp_path):
    model, tok = tiny_model
    evaluate(EvalConfig(model="tiny", datasets=["aime24"], output_dir=str(tmp_path), mode="cot",
                        data_dir=str(modern_dir), limit=2, samples=3, max_new_tokens=4, progress=False),
             make_backend("hf", model, tokenizer=tok))
    assert main(["report", str(tmp_path)]) == 0
    record = read_problem_records(tmp_path / "cot-sc" / "aime24.jsonl")[0]
    browser("Page.enable")
    browser("Page.navigate", url=(tmp_path / "report.html").as_uri() + f"#open=cot-sc|{record.id}")
    browser.wait_for("!document.getElementById('detail').hidden")
    columns = browser.js("[...document.querySelectorAll('#detail .sample h4')].map(h => h.innerText)")
    assert [c.split(":")[0] for c in columns] == ["sample 1", "sample 2", "sample 3"]
    for column, attempt in zip(columns, record.attempts):
        assert column.split(": ", 1)[1].startswith(attempt.answer if attempt.answer is not None else "no answer")
        assert column.endswith("correct" if attempt.correct else "wrong")
    assert "sampled metrics" in browser.js("document.getElementById('suite-modern').innerText")
