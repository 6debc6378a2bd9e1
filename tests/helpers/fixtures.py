"""Session-scoped pytest fixtures: the tiny model, the taught tiny model and the real sandbox; a suite opts in with
``from helpers.fixtures import tiny_model_dir, tiny_model, served_tiny_model  # noqa: F401`` in its conftest.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.servers import Server, serve_model
from helpers.taught_model import teach, teaching_pairs
from helpers.tiny_model import save_tiny_model


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the tiny Llama and its tokenizer (``save_pretrained``), built once per session."""
    return save_tiny_model(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="session")
def tiny_model(tiny_model_dir: Path):
    """``(model, tokenizer)`` loaded from :func:`tiny_model_dir` (the same weights the server uses)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval(), AutoTokenizer.from_pretrained(tiny_model_dir)


@pytest.fixture(scope="session")
def served_tiny_model(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real ``transformers serve`` of the tiny model on 127.0.0.1, stopped at the end of the session."""
    with serve_model(tiny_model_dir, tmp_path_factory.mktemp("serve-logs")) as server:
        yield server



@pytest.fixture(scope="session")
def taught_model_dir(eval_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The taught tiny model (``helpers.taught_model``) saved with ``save_pretrained`` (so the CLI and servers can
    load it by path)."""
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


__all__ = ["sandbox", "served_tiny_model", "taught_model", "taught_model_dir", "tiny_model", "tiny_model_dir"]
