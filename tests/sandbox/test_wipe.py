"""The wipe between programs empties /tmp whatever a program left there."""

from __future__ import annotations

import os
import sys

import pytest

from mammoth_math.sandbox.isolation import WORKER_DIR

sys.path.insert(0, str(WORKER_DIR))  # as inside the jail: the modules import each other by top-level name
_wipe = pytest.importorskip("_wipe")


def test_deep_locked_and_odd_trees_are_emptied(tmp_path, monkeypatch):
    deep = tmp_path / "deep"
    deep.mkdir()
    monkeypatch.chdir(deep)
    for _ in range(3000):  # past PATH_MAX as one path, and past Python's recursion limit
        os.mkdir("d")
        os.chdir("d")
        os.chmod("..", 0)
    os.chdir(tmp_path)
    locked = tmp_path / "locked" / "inner"
    locked.mkdir(parents=True)
    (locked / "f").write_text("x")
    os.chmod(locked, 0)
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "link").symlink_to("/usr")
    (tmp_path / ".wipe-0").write_text("a name the wipe might pick")
    _wipe.wipe(str(tmp_path))
    assert os.listdir(tmp_path) == []
    assert os.path.isdir("/usr/bin")  # the symlink was removed, not followed
