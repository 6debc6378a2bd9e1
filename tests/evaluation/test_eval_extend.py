"""A larger ``--samples`` on an existing run generates only the missing samples, driven through the CLI.

The run's folder no longer names n (``cot-sc``), so ``--samples 4`` after ``--samples 2`` finds the run; each
record keeps its 2 samples and gains 2 drawn as a fresh 4-sample run draws them (sample i: seed s + i).
Fewer samples, or another temperature, are refused naming the field.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mammoth_math.cli import main
from mammoth_math.evaluation import read_problem_records
from mammoth_math.evaluation import run as run_module

LIMIT = 3


@pytest.fixture
def requests(monkeypatch) -> list:
    """Every generation request the CLI's backend is sent."""
    sent: list = []
    real = run_module.make_backend

    class Counting:
        def __init__(self, inner):
            self.inner = inner

        def generate(self, batch, progress=False):
            sent.extend(batch)
            return self.inner.generate(batch, progress)

        def __getattr__(self, name):
            return getattr(self.inner, name)

    monkeypatch.setattr(run_module, "make_backend", lambda *a, **kw: Counting(real(*a, **kw)))
    return sent


def _eval(model: Path, eval_dir: Path, out: Path, samples: int, *extra: str) -> int:
    return main(["eval", "--model", str(model), "--datasets", "gsm8k", "--data-dir", str(eval_dir), "--output-dir",
                 str(out), "--mode", "cot", "--limit", str(LIMIT), "--samples", str(samples), "--max-new-tokens", "8",
                 "--no-cache", *extra])


def _samples(record) -> list[dict]:
    return [{k: v for k, v in a.to_dict().items() if k != "correct"} for a in record.attempts]


def test_more_samples_extend_the_run_in_place(tiny_model_dir, eval_dir, tmp_path, requests, capsys):
    out = tmp_path / "out"
    assert _eval(tiny_model_dir, eval_dir, out, 2) == 0
    first = read_problem_records(out / "cot-sc" / "gsm8k.jsonl")
    assert [r.n for r in requests] == [2] * LIMIT
    requests.clear()

    assert _eval(tiny_model_dir, eval_dir, out, 4) == 0
    assert [r.n for r in requests] == [2] * LIMIT  # only the 2 missing samples of each problem
    grown = read_problem_records(out / "cot-sc" / "gsm8k.jsonl")
    assert len((out / "cot-sc" / "gsm8k.jsonl").read_text().splitlines()) == LIMIT  # compacted: one line each
    for old, new in zip(first, grown):
        assert new.id == old.id and [a.sample for a in new.attempts] == [0, 1, 2, 3]
        assert _samples(new)[:2] == _samples(old)  # the first two kept as they were
        assert sum(new.votes.values()) == sum(bool(a.answer) for a in new.attempts)  # the vote is over all four
    meta = json.loads((out / "cot-sc" / "run.json").read_text())
    assert meta["benchmarks"]["gsm8k"]["sampling"]["n"] == 4 and meta["config"]["samples"] == 4

    requests.clear()
    assert _eval(tiny_model_dir, eval_dir, out, 4) == 0 and requests == []  # nothing missing: nothing generated
    assert _eval(tiny_model_dir, eval_dir, tmp_path / "fresh", 4) == 0
    fresh = read_problem_records(tmp_path / "fresh" / "cot-sc" / "gsm8k.jsonl")
    assert [_samples(r) for r in fresh] == [_samples(r) for r in grown]  # as if drawn in one 4-sample run
    assert main(["report", str(out)]) == 0
    sampled = json.loads((out / "results.json").read_text())["runs"]["cot-sc"]["datasets"]["gsm8k"]["sampled"]
    assert sampled["n"] == 4 and "pass@4" in sampled

    capsys.readouterr()
    assert _eval(tiny_model_dir, eval_dir, out, 3) == 2
    assert "field 'samples': the records hold 4 samples per problem" in capsys.readouterr().err
    assert _eval(tiny_model_dir, eval_dir, out, 8, "--temperature", "0.9") == 2
    assert "temperature" in capsys.readouterr().err


def test_a_run_saved_as_mode_sc_n_is_renamed_and_extended(tiny_model_dir, eval_dir, tmp_path, requests):
    """Runs saved before sampled folders dropped n (``cot-sc2``) are found, renamed and extended."""
    out = tmp_path / "out"
    assert _eval(tiny_model_dir, eval_dir, out, 2) == 0
    (out / "cot-sc").rename(out / "cot-sc2")
    first = read_problem_records(out / "cot-sc2" / "gsm8k.jsonl")
    requests.clear()
    assert _eval(tiny_model_dir, eval_dir, out, 4) == 0
    assert not (out / "cot-sc2").exists() and [r.n for r in requests] == [2] * LIMIT
    grown = read_problem_records(out / "cot-sc" / "gsm8k.jsonl")
    assert [_samples(r)[:2] for r in grown] == [_samples(r) for r in first]


def test_a_hybrid_run_gains_samples_with_their_own_fallbacks(tiny_model_dir, eval_dir, tmp_path, requests):
    """Gibberish programs all fail: each new sample gets its CoT fallback, numbered as that sample."""
    out = tmp_path / "out"
    hybrid = ["--mode", "hybrid", "--timeout", "1"]
    assert _eval(tiny_model_dir, eval_dir, out, 2, *hybrid) == 0
    first = read_problem_records(out / "hybrid-sc" / "gsm8k.jsonl")
    requests.clear()
    assert _eval(tiny_model_dir, eval_dir, out, 3, *hybrid) == 0
    assert sorted(r.n for r in requests if "write a program" in str(r.prompt)) == [1] * LIMIT  # one new PoT sample each
    for old, new in zip(first, read_problem_records(out / "hybrid-sc" / "gsm8k.jsonl")):
        assert _samples(new)[:len(old.attempts)] == _samples(old)
        added = new.attempts[len(old.attempts):]
        assert [a.sample for a in added if a.path == "pot"] == [2]
        assert all(a.sample == 2 for a in added)  # a fallback answers the new sample, not an old one
        assert new.fallback_reasons[:len(old.fallback_reasons)] == old.fallback_reasons
