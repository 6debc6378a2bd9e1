"""How many CPU threads a job should use: the cores that are free now, never more than this process may use.

On a shared machine a fixed thread count collapses: two torch threads that each wait for a busy core run
slower than one (the quickstart went from ~5 to ~0.2 steps/s). ``mammoth-math quickstart|train|eval
--threads N`` overrides the default.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask, which containers and ``taskset`` narrow)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def free_threads() -> int:
    """Cores minus the 1-minute load average, rounded down, between 1 and the usable cores.

    The load average counts runnable processes machine-wide, so on a busy machine this gives 1.
    """
    cores = usable_cores()
    try:
        load = os.getloadavg()[0]
    except OSError:  # not available: assume the machine is ours
        load = 0.0
    return max(1, min(cores, int(cores - load)))


def set_threads(threads: int | None) -> int:
    """Set torch's intra-op threads to ``threads`` (None: :func:`free_threads`); returns the count used."""
    import torch

    count = free_threads() if threads is None else threads
    if count < 1:
        raise ValueError(f"--threads must be >= 1, got {count}")
    torch.set_num_threads(count)
    log.info("using %d CPU thread%s (%d usable cores)", count, "" if count == 1 else "s", usable_cores())
    return count
