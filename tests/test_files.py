"""Output files follow the user's umask (a report on a shared machine is readable by others), and a folder
built with ``atomic_folder`` appears only when complete."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


WRITE_INTO = """
import sys
from mammoth_math.files import atomic_folder, write_json
try:
    if sys.argv[2] == "file":
        write_json(sys.argv[1] + "/results.json", {"a": 1})
    else:
        with atomic_folder(sys.argv[1] + "/built"):
            pass
except OSError as e:
    print(f"{type(e).__name__}: {e}")
"""


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_output_folder_is_named_not_a_temp_file(tmp_path: Path, what: str) -> None:
    """The folder is mounted read-only (bubblewrap), so the test holds as root too, where modes do not bind."""
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed")
    out = tmp_path / "out"
    out.mkdir()
    src = Path(__file__).resolve().parents[1] / "src"
    done = subprocess.run(["bwrap", "--dev-bind", "/", "/", "--ro-bind", str(out), str(out), sys.executable, "-c",
                           WRITE_INTO, str(out), what], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(src)})
    if "Operation not permitted" in done.stderr or "setting up uid map" in done.stderr:
        pytest.skip(f"bubblewrap cannot make a mount namespace here: {done.stderr.strip()}")
    message = done.stdout.strip()
    assert message.startswith("OSError: [Errno 30] Read-only file system"), (message, done.stderr)
    expected = out if what == "file" else out / "built"
    assert message.endswith(f": '{expected}'") and ".tmp" not in message and ".partial" not in message
    assert os.listdir(out) == []
