"""The response cache: repeats cost no backend call, anything that changes the output misses, draws stay distinct,
and a writer killed with SIGKILL leaves a cache the next run reads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mammoth_math.backends import GenerationRequest, make_backend
from mammoth_math.backends.base import Completion
from mammoth_math.backends.cache import CachingBackend, ResponseStore


class Counting:
    """A backend that numbers every completion it makes, so a stored answer is told apart from a fresh one."""

    name = "counting"

    def __init__(self, model: str = "m"):
        self.model, self.calls, self.made = model, [], 0

    def info(self) -> dict:
        return {"backend": self.name, "model": self.model, "sampling": [], "concurrency": 3}

    def generate(self, requests, progress=False):
        self.calls.append(list(requests))
        out = []
        for r in requests:
            texts = []
            for _ in range(r.n):
                self.made += 1
                texts.append(f"{r.prompt}#{self.made}")
            out.append(Completion(texts, 3, r.n, 0.1, None, ["stop"] * r.n))
        return out


def _cached(folder: Path, model: str = "m") -> tuple[CachingBackend, Counting]:
    inner = Counting(model)
    return CachingBackend(inner, folder), inner


def test_second_identical_run_makes_no_backend_call(tmp_path):
    requests = [GenerationRequest("a"), GenerationRequest("b", temperature=0.7, n=3, seed=1)]
    first, inner = _cached(tmp_path)
    texts = [c.texts for c in first.generate(requests)]
    first.close()
    again, inner2 = _cached(tmp_path)  # a new process: reads the folder
    assert [c.texts for c in again.generate(requests)] == texts
    assert inner2.calls == [] and again.info()["cache"] == {"folder": str(tmp_path), "hits": 2, "misses": 0}
    assert again.info()["concurrency"] == 3  # the wrapped backend's info is kept


def test_temperature_prompt_model_and_settings_make_new_calls(tmp_path):
    base = GenerationRequest("a", temperature=0.5, seed=3)
    backend, inner = _cached(tmp_path)
    backend.generate([base])
    variants = [GenerationRequest("a", temperature=0.6, seed=3), GenerationRequest("b", temperature=0.5, seed=3),
                GenerationRequest("a", temperature=0.5, seed=4), GenerationRequest("a", temperature=0.5, seed=3,
                                                                                     max_new_tokens=9),
                GenerationRequest("a", temperature=0.5, seed=3, stop=("x",)),
                GenerationRequest("a", temperature=0.5, seed=3, top_p=0.9),
                GenerationRequest(({"role": "user", "content": "a"},), temperature=0.5, seed=3)]
    backend.generate(variants)
    assert len(inner.calls[1]) == len(variants)
    other, other_inner = _cached(tmp_path, model="another")
    other.generate([base])
    assert len(other_inner.calls) == 1, "another model must not read this model's answers"


def test_samples_and_seeds_are_not_collapsed(tmp_path):
    backend, inner = _cached(tmp_path)
    sampled = GenerationRequest("q", temperature=1.0)  # unseeded: two identical requests are two draws
    out = backend.generate([sampled, sampled, GenerationRequest("q", temperature=1.0, n=2),
                            GenerationRequest("q", temperature=1.0, seed=1), GenerationRequest("q", temperature=1.0,
                                                                                              seed=2)])
    assert len(inner.calls[0]) == 5
    texts = [t for c in out for t in c.texts]
    assert len(set(texts)) == len(texts) == 6
    again, inner2 = _cached(tmp_path)
    assert [c.texts for c in again.generate([sampled, sampled])] == [out[0].texts, out[1].texts]
    assert inner2.calls == []


def test_greedy_repeats_are_one_entry_and_failures_are_not_stored(tmp_path):
    class Failing(Counting):
        def generate(self, requests, progress=False):
            self.calls.append(list(requests))
            return [Completion([""], error="HTTP 503") for _ in requests]

    backend = CachingBackend(Failing(), tmp_path)
    assert backend.generate([GenerationRequest("a")])[0].error == "HTTP 503"
    assert len(ResponseStore(tmp_path)) == 0
    ok, inner = _cached(tmp_path)
    ok.generate([GenerationRequest("a"), GenerationRequest("a")])
    assert len(ResponseStore(tmp_path)) == 1 and len(inner.calls) == 1


def test_a_retrained_model_folder_misses(tmp_path):
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "model.safetensors").write_bytes(b"v1")
    backend, inner = _cached(tmp_path / "cache", model=str(model_dir))
    backend.generate([GenerationRequest("a")])
    (model_dir / "model.safetensors").write_bytes(b"v2, retrained")
    again, inner2 = _cached(tmp_path / "cache", model=str(model_dir))
    again.generate([GenerationRequest("a")])
    assert len(inner2.calls) == 1


def test_make_backend_wraps_any_backend(tmp_path, monkeypatch):
    from mammoth_math import backends

    monkeypatch.setitem(backends.BACKENDS, "counting", lambda model, **kw: Counting(model))
    backend = make_backend("counting", "m", cache_dir=str(tmp_path))
    assert isinstance(backend, CachingBackend) and backend.name == "counting" and backend.model == "m"
    assert not isinstance(make_backend("counting", "m"), CachingBackend)


_WRITER = """
import sys
from mammoth_math.backends.base import GenerationRequest
from mammoth_math.backends.cache import CachingBackend
sys.path.insert(0, sys.argv[2])
from test_cache import Counting
backend = CachingBackend(Counting(), sys.argv[1])
i = 0
while True:
    backend.generate([GenerationRequest(f"prompt {i} " + "x" * 5000)])
    i += 1
"""


def test_a_writer_killed_mid_write_leaves_a_readable_cache(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path), str(Path(__file__).parent)], env=env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and sum(p.stat().st_size for p in tmp_path.glob("*.jsonl")) < 200_000:
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    store = ResponseStore(tmp_path)
    assert len(store) > 10
    backend, inner = _cached(tmp_path)
    backend.generate([GenerationRequest("prompt 0 " + "x" * 5000)])
    assert inner.calls == []
