"""One shared sandbox per session (workers start once) and the isolation report the hostile tests skip on."""

from __future__ import annotations

import os

import pytest

os.environ["MAMMOTH_SECRET_CANARY"] = "s3cret-canary-value"  # must never be visible inside the sandbox


@pytest.fixture(scope="session")
def sandbox():
    from mammoth_math.sandbox import Sandbox

    with Sandbox(timeout=2.0, memory_mb=256, workers=2) as sb:
        yield sb


@pytest.fixture(scope="session")
def report(sandbox):
    from mammoth_math.sandbox import isolation_report

    return isolation_report(sandbox)
