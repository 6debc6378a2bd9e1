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


@pytest.fixture(scope="session")
def modern_dir(shared_data: Path) -> Path:
    """``../shared/data/eval-modern``: the eleven sets current math models report."""
    if not (shared_data / "eval-modern").is_dir():
        pytest.skip(f"eval-modern not found under {shared_data}")
    return shared_data / "eval-modern"


@pytest.fixture(scope="session", autouse=True)
def _sandbox_without_bubblewrap() -> None:
    """Where bubblewrap cannot work, tests that merely use the sandbox run their own (trusted) programs
    without isolation, as ``--unsafe-no-isolation`` would; tests of the isolation itself skip, saying why."""
    from mammoth_math.sandbox.isolation import UNSAFE_ENV, find_bwrap

    if find_bwrap()[0] is None:
        os.environ[UNSAFE_ENV] = "1"
