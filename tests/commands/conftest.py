"""Fixtures of the command tests: a model folder that cannot load, and a one-problem custom benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture
def empty_model(tmp_path: Path) -> Path:
    """A model folder with nothing in it: any error that names something else came before the model load."""
    path = tmp_path / "model"
    path.mkdir()
    return path


@pytest.fixture
def custom_dir(tmp_path: Path) -> Path:
    path = tmp_path / "eval"
    path.mkdir()
    (path / "custom.jsonl").write_text(json.dumps({"id": "a", "question": "1 + 1?", "gold": 2, "kind": "number"})
                                       + "\n")
    return path
