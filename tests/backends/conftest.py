"""Backends under test: every available backend serves the tiny model built in the session."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from helpers.fixtures import served_tiny_model, tiny_model, tiny_model_dir  # noqa: F401  (fixtures)

from mammoth_math.backends import make_backend

BACKEND_NAMES = ["hf", "openai", "vllm"]


@pytest.fixture(scope="session", params=BACKEND_NAMES)
def backend(request: pytest.FixtureRequest, tiny_model_dir: Path):
    """Each backend in turn, all serving the same tiny model; vllm skips where it does not import."""
    name = request.param
    if name == "hf":
        model, tokenizer = request.getfixturevalue("tiny_model")
        return make_backend("hf", model, tokenizer=tokenizer, batch_size=4)
    if name == "openai":
        server = request.getfixturevalue("served_tiny_model")
        return make_backend("openai", server.model, base_url=server.base_url, concurrency=4, backoff_s=0.05)
    if importlib.util.find_spec("vllm") is None:
        pytest.skip("vllm is not installed (optional extra; needs a GPU machine)")
    return make_backend("vllm", str(tiny_model_dir), gpu_memory_utilization=0.2, max_model_len=1024)
