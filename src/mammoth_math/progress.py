"""One progress bar for every long command (rich), so they all look and behave alike.

Library code passes ``progress=True`` down to :func:`track`; the bar goes to stderr and
disappears when output is not a terminal and ``MAMMOTH_NO_PROGRESS`` is set (CI logs stay short).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

T = TypeVar("T")

_console = Console(stderr=True)


def progress_enabled(requested: bool = True) -> bool:
    """A bar is shown only when asked for and not switched off by ``MAMMOTH_NO_PROGRESS=1``."""
    return requested and os.environ.get("MAMMOTH_NO_PROGRESS", "") not in ("1", "true", "yes")


def _new_progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=_console,
        transient=False,
    )


def track(items: Iterable[T], description: str, total: int | None = None, enabled: bool = True) -> Iterator[T]:
    """Yield ``items`` while advancing a bar; a plain pass-through when disabled."""
    if not progress_enabled(enabled):
        yield from items
        return
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with _new_progress() as progress:
        task = progress.add_task(description, total=total)
        for item in items:
            yield item
            progress.advance(task)


class Bar:
    """A bar advanced by hand, for work that completes out of order (worker pools, async requests)."""

    def __init__(self, progress: Progress | None, task_id: int | None):
        self._progress, self._task = progress, task_id

    def advance(self, n: int = 1) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, n)


@contextmanager
def bar(description: str, total: int | None, enabled: bool = True) -> Iterator[Bar]:
    """Context manager yielding a :class:`Bar`; ``with bar("grading", n) as b: ... b.advance()``."""
    if not progress_enabled(enabled):
        yield Bar(None, None)
        return
    with _new_progress() as progress:
        yield Bar(progress, progress.add_task(description, total=total))
