"""How many CPU threads a job should use: the cores that are free now, never more than this process may use.

On a shared machine a fixed thread count collapses: two torch threads that each wait for a busy core run
slower than one (the quickstart went from ~5 to ~0.2 steps/s). ``mammoth-math quickstart|train|eval
--threads N`` overrides the default.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from mammoth_math.files import read_json, write_json

log = logging.getLogger(__name__)


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask, which containers and ``taskset`` narrow)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def free_threads(sample_s: float = 0.3) -> int:
    """Usable cores minus the busy ones, rounded down, between 1 and the usable cores.

    Busy is the larger of the 1-minute load average (sustained load) and the cores busy over the next
    ``sample_s`` seconds (a competitor that just started, which the load average shows only after a minute).
    """
    cores = usable_cores()
    try:
        load = os.getloadavg()[0]
    except OSError:  # not available
        load = 0.0
    busy = max(load, _busy_now(sample_s))
    return max(1, min(cores, int(cores - busy)))


def _busy_now(sample_s: float) -> float:
    """Cores busy machine-wide over ``sample_s`` seconds, from /proc/stat (0 where there is none)."""
    def times() -> list[int]:
        with open("/proc/stat", encoding="ascii") as f:
            return [int(x) for x in f.readline().split()[1:]]

    try:
        before = times()
        time.sleep(sample_s)
        after = times()
    except (OSError, ValueError):
        return 0.0
    delta = [b - a for a, b in zip(before, after)]
    total = sum(delta)
    idle = delta[3] + (delta[4] if len(delta) > 4 else 0)  # idle + iowait
    return (os.cpu_count() or 1) * (total - idle) / total if total else 0.0


def set_threads(threads: int | None) -> int:
    """Set torch's intra-op threads to ``threads`` (None: :func:`free_threads`); returns the count used."""
    import torch

    count = free_threads() if threads is None else threads
    if count < 1:
        raise ValueError(f"--threads must be >= 1, got {count}")
    torch.set_num_threads(count)
    log.info("using %d CPU thread%s (%d usable cores)", count, "" if count == 1 else "s", usable_cores())
    return count


def recorded_threads(requested: int | None, record: str | os.PathLike) -> int:
    """The thread count of a resumable CPU job whose outputs sit beside ``record`` (a small JSON file).

    Float sums depend on the thread count, so a run keeps the count it started with: ``None`` reuses the
    recorded count (else the free cores), and a different explicit count is refused, naming the file.
    """
    path = Path(record)
    recorded = read_json(path).get("threads") if path.exists() else None
    if requested is not None and recorded is not None and requested != recorded:
        raise ValueError(f"{path}: field 'threads': this run was made with --threads {recorded} and float sums "
                         f"depend on it; resume with --threads {recorded} or use another output folder")
    count = requested or recorded or free_threads()
    if recorded is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json(path, {"threads": count})
    return count
