"""One progress bar for every long command (rich), so they all look and behave alike.

Library code passes ``progress=True`` down to :func:`track`; the bar goes to stderr and
disappears when output is not a terminal and ``MAMMOTH_NO_PROGRESS`` is set (CI logs stay short).
A bar opened while another is shown becomes a line under it, removed when done (a backend's requests
under the evaluation's problems): rich allows one live display at a time.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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
_shown: ContextVar[Progress | None] = ContextVar("shown_progress", default=None)  # the live display, if any


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
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with bar(description, total, enabled) as b:
        for item in items:
            yield item
            b.advance()


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
    shown = _shown.get()
    if shown is not None:  # a bar inside another: a line of the display already live, gone when done
        task = shown.add_task(description, total=total)
        try:
            yield Bar(shown, task)
        finally:
            shown.remove_task(task)
        return
    with _new_progress() as progress:
        _shown.set(progress)
        try:
            yield Bar(progress, progress.add_task(description, total=total))
        finally:
            _shown.set(None)  # not reset(token): a generator (``track``) may be closed from another context
