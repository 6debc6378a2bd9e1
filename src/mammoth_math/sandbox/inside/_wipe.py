"""Empty the private /tmp between programs, whatever the last program left there.

A program may leave a chain of thousands of nested directories (a recursive walk runs out of stack
or of PATH_MAX), directories without permissions, fifos, symlinks. The wipe never recurses and never
builds a path longer than two names: each pass lifts the contents of every directory up to the top
level (one rename each) and removes what is left empty. When a pass changes nothing while entries
remain, it raises: the worker then exits, and the host starts a fresh sandbox instead of handing a
dirty /tmp to the next program. Standard library only.
"""

from __future__ import annotations

import itertools
import os
import stat
from collections.abc import Iterator


def wipe(tmp: str) -> None:
    """Remove everything under ``tmp``."""
    fresh = (os.path.join(tmp, f".wipe-{i}") for i in itertools.count())
    while True:
        _unlock(tmp)
        changed = False
        for name in _entries(tmp):
            changed |= _remove(os.path.join(tmp, name), fresh)
        if not changed:
            break
    left = _entries(tmp)
    if left:
        raise RuntimeError(f"cannot empty the private temporary directory: {left[:3]} remain")


def _remove(path: str, fresh: Iterator[str]) -> bool:
    """Remove a top-level entry: unlink it, or lift its contents up and remove it once empty."""
    try:
        if not stat.S_ISDIR(os.lstat(path).st_mode):
            os.unlink(path)
            return True
    except OSError:
        return False
    _unlock(path)
    lifted = [_lift(os.path.join(path, name), fresh) for name in _entries(path)]
    try:
        os.rmdir(path)
        return True
    except OSError:
        return any(lifted)


def _lift(path: str, fresh: Iterator[str]) -> bool:
    """Move ``path`` to a new name at the top level (a directory moved must be writable by us)."""
    try:
        if stat.S_ISDIR(os.lstat(path).st_mode):
            _unlock(path)
        target = next(fresh)
        while os.path.lexists(target):
            target = next(fresh)
        os.rename(path, target)
        return True
    except OSError:
        return False


def _unlock(path: str) -> None:
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass


def _entries(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []
