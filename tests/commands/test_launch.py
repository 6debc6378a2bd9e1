"""`launch`: a command launch does not run, or a folder that is not a launch, ends in one ``error:`` line."""

from __future__ import annotations

from helpers.cli import fails


def test_launch_refusals_are_one_line(capsys, tmp_path):
    fails(capsys, ["launch", "slurm", "--dry-run", "--", "grade", "--pred", "1", "--gold", "1"], "launch runs", "'grade'")
    fails(capsys, ["launch", "status", str(tmp_path / "nowhere")], "nowhere")
