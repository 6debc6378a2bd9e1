"""Several OpenAI-compatible servers behind one backend: the work is split across them (counted per server), the
records equal a one-server run's; a dead server's requests move to the live one."""

from __future__ import annotations

import json

import pytest
from helpers.servers import fault_server, free_port, serve_model

from mammoth_math.backends import GenerationRequest, make_backend
from mammoth_math.evaluation import EvalConfig, evaluate, read_problem_records


def _records(path) -> list[dict]:
    rows = [r.to_dict() for r in read_problem_records(path)]
    for row in rows:  # wall time is the only field allowed to differ
        row.pop("seconds")
        for attempt in row["attempts"]:
            if attempt.get("execution"):
                attempt["execution"].pop("duration_s")
    return rows


def test_requests_are_spread_and_counted():
    with fault_server([], text="a") as one, fault_server([], text="a") as two:
        backend = make_backend("openai", "fault", base_url=[one.base_url, two.base_url], concurrency=4)
        out = backend.generate([GenerationRequest(f"q{i}", max_new_tokens=4) for i in range(12)])
        served = backend.info()["servers"]
    assert [c.texts for c in out] == [["a"]] * 12
    assert served == {one.base_url: len(one.requests), two.base_url: len(two.requests)}
    assert sum(served.values()) == 12 and min(served.values()) > 0


def test_a_dead_server_is_left_for_the_live_one():
    dead = f"http://127.0.0.1:{free_port()}/v1"
    with fault_server([]) as live:
        backend = make_backend("openai", "fault", base_url=[dead, live.base_url], concurrency=2, backoff_s=0.01)
        out = backend.generate([GenerationRequest(f"q{i}", max_new_tokens=4) for i in range(6)])
    assert all(c.error is None for c in out) and backend.info()["servers"] == {dead: 0, live.base_url: 6}


@pytest.mark.slow
def test_two_transformers_serve_give_the_records_of_one(served_tiny_model, tiny_model_dir, eval_dir, sandbox,
                                                        tmp_path):
    def run(urls: list[str], out: str) -> dict:
        backend = make_backend("openai", served_tiny_model.model, base_url=urls, concurrency=4)
        config = EvalConfig(model=served_tiny_model.model, backend="openai", datasets=["gsm8k"], output_dir=out,
                            mode="hybrid", data_dir=str(eval_dir), limit=6, max_new_tokens=16, progress=False)
        evaluate(config, backend, sandbox)
        return backend.info()["servers"]

    with serve_model(tiny_model_dir, tmp_path) as second:
        served = run([served_tiny_model.base_url, second.base_url], str(tmp_path / "two"))
    run([served_tiny_model.base_url], str(tmp_path / "one"))
    assert min(served.values()) > 0, f"both servers should have answered: {served}"
    assert _records(tmp_path / "two" / "hybrid" / "gsm8k.jsonl") == _records(tmp_path / "one" / "hybrid" / "gsm8k.jsonl")
    meta = json.loads((tmp_path / "two" / "hybrid" / "run.json").read_text())
    assert meta["backend"]["servers"] == served
