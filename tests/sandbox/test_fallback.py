"""Without bubblewrap: rlimits + seccomp + cleared environment, and a report that says so."""

from __future__ import annotations

import pytest

from mammoth_math.sandbox import Sandbox, isolation_report


@pytest.fixture(scope="module")
def fallback():
    with Sandbox(timeout=1.0, memory_mb=128, workers=1, isolation="rlimits") as sb:
        yield sb


def test_fallback_runs_programs_and_reports_missing_isolation(fallback):
    assert fallback.run("print(sympy.Rational(2, 4))").answer == "1/2"
    report = isolation_report(fallback)
    assert report.mode == "rlimits" and not report.active("bubblewrap")
    assert "filesystem" in report.missing and "pid_namespace" in report.missing


def test_fallback_still_contains_loops_memory_and_fork_bombs(fallback):
    assert fallback.run("while True: pass").timed_out
    assert fallback.run("x = bytearray(4 * 1024 ** 3)").memory_exceeded
    if not fallback.worker_info["seccomp"]:
        pytest.skip("seccomp is not available: a fork bomb would not be contained without bubblewrap")
    assert fallback.run("import os\nwhile True:\n    os.fork()").error.startswith("PermissionError")
    assert fallback.run("print(2 + 2)").answer == "4"
