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


def wipe(tmp: str, keep: tuple[str, ...] = ()) -> None:
    """Remove everything under ``tmp`` except ``keep`` (read-only binds inside it) and their parents."""
    kept = {os.path.normpath(k) for k in keep}
    holders = {tmp} | {os.path.dirname(k) for k in kept}  # emptied, never removed
    for k in kept:
        parent = os.path.dirname(k)
        while parent.startswith(tmp + os.sep):
            holders.add(parent)
            parent = os.path.dirname(parent)
    fresh = (os.path.join(tmp, f".wipe-{i}") for i in itertools.count())
    while True:
        changed = False
        for holder in sorted(holders):
            _unlock(holder)
            for name in _entries(holder):
                path = os.path.join(holder, name)
                if path in kept or path in holders:
                    continue
                changed |= _remove(path, fresh) if holder == tmp else _lift(path, fresh)
        if not changed:
            break
    left = [os.path.join(h, n) for h in holders for n in _entries(h)
            if os.path.join(h, n) not in kept and os.path.join(h, n) not in holders]
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
