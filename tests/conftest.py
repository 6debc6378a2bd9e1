"""Shared test fixtures: where the real data lives, and switches for what this machine lacks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("MAMMOTH_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))

os.environ.setdefault("MAMMOTH_NO_PROGRESS", "1")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the checkout; tests that need it skip when it is absent."""
    if not (SHARED_DATA / "eval").is_dir():
        pytest.skip(f"real data sets not found at {SHARED_DATA} (needs ../shared/data beside the checkout)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def eval_dir(shared_data: Path) -> Path:
    return shared_data / "eval"


@pytest.fixture(scope="session")
def train_dir(shared_data: Path) -> Path:
    return shared_data / "train"
