"""Output files follow the user's umask (a report on a shared machine is readable by others), and a folder
built with ``atomic_folder`` appears only when complete."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mammoth_math.files import InputError, atomic_folder, check_finished, write_json


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_get_the_mode_the_umask_gives(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        write_json(tmp_path / "report.json", {"a": 1})
        with open(tmp_path / "plain.txt", "w") as f:  # what open() gives, for comparison
            f.write("x")
    finally:
        os.umask(old)
    assert (tmp_path / "report.json").stat().st_mode & 0o777 == mode
    assert (tmp_path / "plain.txt").stat().st_mode & 0o777 == mode


def test_a_folder_appears_only_when_its_build_completes(tmp_path: Path) -> None:
    out = tmp_path / "built"
    with pytest.raises(RuntimeError):
        with atomic_folder(out) as partial:
            (partial / "data.jsonl").write_text("{}\n")
            raise RuntimeError("killed")
    assert not out.exists() and (tmp_path / "built.partial" / "data.jsonl").exists()
    with pytest.raises(InputError, match="built.partial is an unfinished build"):
        check_finished(out)
    with atomic_folder(out) as partial:
        (partial / "report.json").write_text("{}\n")
    assert check_finished(out) == out and sorted(p.name for p in out.iterdir()) == ["report.json"]
    assert not (tmp_path / "built.partial").exists()
    with atomic_folder(out) as partial:  # a rebuild replaces the old folder only once it is complete
        assert (out / "report.json").exists()
        (partial / "other.json").write_text("{}\n")
    assert sorted(p.name for p in out.iterdir()) == ["other.json"]
