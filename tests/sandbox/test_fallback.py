"""Without bubblewrap: programs are refused unless isolation="none" is asked for by name; then rlimits,
seccomp and a cleared environment, and a report that says what is missing."""

from __future__ import annotations

import pytest

from mammoth_math.cli import main
from mammoth_math.sandbox import Sandbox, SandboxError, isolation_report, pool
from mammoth_math.sandbox.isolation import UNSAFE_ENV


@pytest.fixture(scope="module")
def fallback():
    with Sandbox(timeout=1.0, memory_mb=128, workers=1, isolation="none") as sb:
        yield sb


@pytest.fixture()
def no_bwrap(monkeypatch):
    """This machine as one without bubblewrap, and no --unsafe-no-isolation given (restored after)."""
    monkeypatch.setattr(pool, "find_bwrap", lambda: (None, "bubblewrap is not installed"))
    monkeypatch.setenv(UNSAFE_ENV, "0")


def test_without_bubblewrap_programs_are_refused(no_bwrap):
    with pytest.raises(SandboxError, match="--unsafe-no-isolation") as refused:
        Sandbox(workers=1).run("print(1)")
    assert "read the host's files" in str(refused.value)


def test_the_cli_says_so_and_runs_only_when_asked_by_name(no_bwrap, tmp_path, capsys):
    assert main(["sandbox", "check"]) == 1
    assert "bubblewrap is not installed" in capsys.readouterr().err
    program = tmp_path / "p.py"
    program.write_text("print(6 * 7)", encoding="utf-8")
    assert main(["sandbox", "run", str(program), "--unsafe-no-isolation"]) == 0
    assert '"answer": "42"' in capsys.readouterr().out


def test_fallback_runs_programs_and_reports_missing_isolation(fallback):
    assert fallback.mode == "none"
    assert fallback.run("print(sympy.Rational(2, 4))").answer == "1/2"
    report = isolation_report(fallback)
    assert report.mode == "none" and not report.active("bubblewrap")
    assert "filesystem" in report.missing and "pid_namespace" in report.missing


def test_fallback_still_contains_loops_memory_and_fork_bombs(fallback):
    assert fallback.run("while True: pass").timed_out
    assert fallback.run("x = bytearray(4 * 1024 ** 3)").memory_exceeded
    if not fallback.worker_info["seccomp"]:
        pytest.skip("seccomp is not available: a fork bomb would not be contained without bubblewrap")
    assert fallback.run("import os\nwhile True:\n    os.fork()").error.startswith("PermissionError")
    assert fallback.run("print(2 + 2)").answer == "4"


def test_fallback_sessions_keep_state_and_write_no_file(fallback):
    with fallback.session() as s:
        assert s.run("x = 6").error is None and s.run("print(x * 7)").stdout == "42\n"
        if fallback.worker_info["seccomp"]:
            assert s.run("open('planted', 'w')").error.startswith("PermissionError") and s.alive
        assert s.run("while True: pass").timed_out and not s.alive
