"""`sandbox run` of a missing file ends in one ``error:`` line."""

from __future__ import annotations

from helpers.cli import fails


def test_sandbox_run_of_a_missing_file(capsys, tmp_path):
    fails(capsys, ["sandbox", "run", str(tmp_path / "prog.py")], "prog.py", "No such file")
