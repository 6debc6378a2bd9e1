"""Fixtures for the harness tests: the taught tiny model (see ``eval_support``) and the real sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from eval_support import teach, teaching_pairs
from helpers.fixtures import served_tiny_model, tiny_model, tiny_model_dir  # noqa: F401  (fixtures)


@pytest.fixture(scope="session")
def taught_model_dir(eval_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The taught tiny model saved with ``save_pretrained`` (so the CLI and servers can load it by path)."""
    model, tok = teach(teaching_pairs(eval_dir))
    path = tmp_path_factory.mktemp("taught-llama")
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def taught_model(taught_model_dir: Path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return (AutoModelForCausalLM.from_pretrained(taught_model_dir).eval(),
            AutoTokenizer.from_pretrained(taught_model_dir))


@pytest.fixture(scope="session")
def sandbox():
    """The real sandbox (1 s per program, so the infinite loop costs little)."""
    from mammoth_math.sandbox import Sandbox

    with Sandbox(timeout=1.0) as sb:
        yield sb
