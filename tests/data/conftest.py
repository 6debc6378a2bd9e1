"""Fixtures for the data builder tests: the real sandbox as program runner (skip while it is unavailable)."""

from __future__ import annotations

import pytest

from mammoth_math.data.verify import VerifyConfig, sandbox_runner


@pytest.fixture(scope="session")
def runner():
    try:
        from mammoth_math.sandbox import Sandbox  # noqa: F401
    except ImportError as e:
        pytest.skip(f"sandbox not available: {e}")
    return sandbox_runner(VerifyConfig(timeout=2.0, workers=2), progress=False)


from helpers.fixtures import served_tiny_model, tiny_model_dir  # noqa: F401  (fixtures)
