"""Synthesis against real OpenAI-compatible servers: a tiny model served by ``transformers serve`` (garbage
answers, rejected with reasons) and a scripted server (a right answer is accepted; an API error is not cached)."""

from __future__ import annotations

import json

import pytest
from helpers.servers import fault_server

from mammoth_math.backends.cache import ResponseStore
from mammoth_math.data.examples import SeedProblem
from mammoth_math.data.synthesize import SynthesisConfig, synthesize

PROBLEMS = [SeedProblem("numglue", "numglue/t/0", "Tom has 40 apples and buys 2 more. How many apples?", "42", "number"),
            SeedProblem("numglue", "numglue/t/1", "What is 6 times 7?", "42", "number")]


def _lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.slow
def test_tiny_model_garbage_is_rejected_cached_and_resumed(served_tiny_model, tmp_path, runner):
    config = SynthesisConfig(served_tiny_model.model, served_tiny_model.base_url, n=2, max_new_tokens=12,
                             temperature=0.0, concurrency=2, usd_per_1k_prompt_tokens=1.0)
    usage = synthesize(PROBLEMS, config, tmp_path, run_programs=runner, progress=False)
    assert usage.requests == 4 and usage.cached == 0
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0 and usage.usd > 0
    cache = [line for path in (tmp_path / "cache").glob("*.jsonl") for line in _lines(path)]
    assert len(cache) == 4 and all(len(entry["texts"]) == 2 for entry in cache)
    rejects = _lines(tmp_path / "rejects.jsonl")
    assert usage.accepted + usage.rejected == 8 and len(rejects) == usage.rejected
    assert all(r["reason"] in {"no_program", "empty", "no answer", "wrong_answer", "error", "no output",
                               "timeout"} for r in rejects)
    again = synthesize(PROBLEMS, config, tmp_path, run_programs=runner, progress=False)
    assert again.requests == 0 and again.cached == 4 and again.rejected == usage.rejected


def test_right_answers_accepted_and_api_errors_retried_on_resume(tmp_path, runner):
    text = "```python\nprint(6 * 7)\n```\nThe answer is 42."
    with fault_server(["400"], text=text) as server:
        config = SynthesisConfig("fault", server.base_url, types=("cot", "pot"), temperature=0.0, concurrency=1)
        usage = synthesize(PROBLEMS, config, tmp_path, run_programs=runner, progress=False)
        assert usage.api_errors == 1 and usage.accepted == 3
        assert len(ResponseStore(tmp_path / "cache")) == 3  # the failed request is not cached
        again = synthesize(PROBLEMS, config, tmp_path, run_programs=runner, progress=False)
    assert again.requests == 1 and again.cached == 3 and again.accepted == 4 and again.rejected == 0
    accepted = _lines(tmp_path / "accepted.jsonl")
    assert {a["rationale_type"] for a in accepted} == {"cot", "pot"}
    assert all(a["output"] == "print(6 * 7)\n" for a in accepted if a["rationale_type"] == "pot")


def test_no_cache_asks_again(tmp_path, runner):
    with fault_server([], text="The answer is 42.") as server:
        config = SynthesisConfig("fault", server.base_url, types=("cot",), temperature=0.0, use_cache=False)
        synthesize(PROBLEMS, config, tmp_path, run_programs=runner, progress=False)
        again = synthesize(PROBLEMS, config, tmp_path, run_programs=runner, progress=False)
    assert again.requests == 2 and again.cached == 0 and len(server.requests) == 4
    assert not (tmp_path / "cache").exists()


def test_shards_then_the_whole_run_generates_nothing_more(tmp_path, runner):
    text = "```python\nprint(6 * 7)\n```\nThe answer is 42."
    with fault_server([], text=text) as server:
        shards = [SynthesisConfig("fault", server.base_url, temperature=0.0, shard=(i, 2)) for i in range(2)]
        parts = [synthesize(PROBLEMS, config, tmp_path, run_programs=runner, progress=False) for config in shards]
        whole = synthesize(PROBLEMS, SynthesisConfig("fault", server.base_url, temperature=0.0), tmp_path,
                           run_programs=runner, progress=False)
    assert [p.requests for p in parts] == [2, 2] and whole.requests == 0 and whole.cached == 4
    assert len(_lines(tmp_path / "shard-0-of-2" / "accepted.jsonl")) == 2 and whole.accepted == 4
    assert len(server.requests) == 4
