"""The harness over the ``openai`` backend: a real ``transformers serve`` on 127.0.0.1, and a dead server."""

from __future__ import annotations

import json

from helpers.servers import free_port

from mammoth_math.backends import make_backend
from mammoth_math.evaluation import EvalConfig, build_report, evaluate, read_problem_records


def _config(out, eval_dir, model: str, mode: str = "hybrid", limit: int = 4) -> EvalConfig:
    return EvalConfig(model=model, backend="openai", datasets=["gsm8k", "aqua"], output_dir=str(out), mode=mode,
                      data_dir=str(eval_dir), limit=limit, max_new_tokens=16, progress=False)


def test_hybrid_against_transformers_serve(served_tiny_model, sandbox, eval_dir, tmp_path):
    backend = make_backend("openai", served_tiny_model.model, base_url=served_tiny_model.base_url, concurrency=4)
    scores = evaluate(_config(tmp_path, eval_dir, served_tiny_model.model), backend, sandbox)
    for name in ("gsm8k", "aqua"):
        records = read_problem_records(tmp_path / "hybrid" / f"{name}.jsonl")
        assert len(records) == 4 and scores[name].problems == 4 and scores[name].errors == 0
        for r in records:
            assert r.completion_tokens > 0 and r.attempts[0].path == "pot" and r.attempts[0].execution is not None
            # every problem whose program gave no answer went to CoT, and only those
            assert r.fallback == (r.attempts[0].failure is not None)
            assert [a.path for a in r.attempts] == (["pot", "cot"] if r.fallback else ["pot"])
    meta = json.loads((tmp_path / "hybrid" / "run.json").read_text())
    assert meta["backend"]["backend"] == "openai" and meta["backend"]["base_urls"] == [served_tiny_model.base_url]
    assert meta["backend"]["sampling"][0]["temperature"] == 0.0
    assert meta["benchmarks"]["gsm8k"]["version"] >= 1 and meta["versions"]["transformers"]
    assert meta["grading"] == "strict" and meta["finished"]


def test_backend_errors_are_recorded_not_scored(eval_dir, tmp_path):
    dead = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there: every request fails
    backend = make_backend("openai", "nobody", base_url=dead, max_retries=1, backoff_s=0.01)
    scores = evaluate(_config(tmp_path, eval_dir, "nobody", mode="cot", limit=3), backend)
    assert scores["gsm8k"].errors == 3 and scores["gsm8k"].graded == 0 and scores["gsm8k"].accuracy is None
    for r in read_problem_records(tmp_path / "cot" / "gsm8k.jsonl"):
        assert r.correct is None and r.path == "error" and "connection error" in r.error
    report = build_report(tmp_path)
    assert report.errors == {"cot": {"gsm8k": 3, "aqua": 3}}
    assert [row["cot"] for row in report.table] == [None, None, None]  # no accuracy where nothing was graded
