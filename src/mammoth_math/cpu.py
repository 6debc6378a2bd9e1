"""How many CPU threads a job should use: the cores free now, never more than this process may use.

On a shared machine a fixed thread count collapses: two torch threads that each wait for a busy core run
slower than one (the quickstart went from ~5 to ~0.2 steps/s). Free is measured, not guessed from the load
average, which lags by a minute (just after another job ended it still reads 2 on an idle machine): the
machine's busy CPU time over a short window from /proc/stat, less this process's own. :class:`AdaptiveThreads`
re-measures between training steps and follows a competitor that comes or goes. ``mammoth-math
quickstart|train|eval --threads N`` fixes the count instead.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mammoth_math.files import read_json, write_json

log = logging.getLogger(__name__)

# A core other processes keep at most this busy counts as free: shells and daemons, not a competitor. Kept small
# because a torch thread sharing a busy core stalls all the others at every parallel op.
SLACK = 0.25


@dataclass(frozen=True)
class CpuReading:
    """Machine-wide CPU time (/proc/stat, in clock ticks over all CPUs) and this process's own, at one moment."""

    busy: int  # ticks not idle (iowait counts as idle)
    total: int
    cpus: int  # CPUs the machine has (the ``cpuN`` lines)
    own_s: float  # CPU seconds this process has used, all its threads
    at_s: float  # monotonic clock


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask, which containers and ``taskset`` narrow)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def parse_proc_stat(text: str) -> tuple[int, int, int]:
    """``(busy, total, cpus)`` from /proc/stat: the aggregate ``cpu`` line's ticks and the count of ``cpuN`` lines."""
    lines = text.splitlines()
    ticks = [int(x) for x in lines[0].split()[1:9]]  # user .. steal; guest time is already inside user and nice
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    cpus = sum(1 for line in lines[1:] if line.startswith("cpu") and line[3:4].isdigit())
    return sum(ticks) - idle, sum(ticks), max(1, cpus)


def read_cpu() -> CpuReading | None:
    """A reading now; None where there is no /proc/stat (not Linux)."""
    try:
        busy, total, cpus = parse_proc_stat(Path("/proc/stat").read_text(encoding="ascii"))
    except (OSError, ValueError, IndexError):
        return None
    return CpuReading(busy, total, cpus, time.process_time(), time.monotonic())


def others_busy(before: CpuReading, after: CpuReading) -> float:
    """Cores that other processes kept busy between two readings: the machine's busy share less this process's."""
    ticks, wall = after.total - before.total, after.at_s - before.at_s
    if ticks <= 0 or wall <= 0:
        return 0.0
    machine = after.cpus * (after.busy - before.busy) / ticks
    return max(0.0, machine - (after.own_s - before.own_s) / wall)


def pick_threads(usable: int, cpus: int, busy: float) -> int:
    """The machine's cores less those others keep busy (a core at most ``SLACK`` busy counts as free), between 1
    and the cores this process may use."""
    return max(1, min(usable, int(cpus - busy + SLACK)))


def free_threads(sample_s: float = 0.5) -> int:
    """The cores free over the next ``sample_s`` seconds (a sleep, no spinning), see :func:`pick_threads`."""
    before = read_cpu()
    if before is None:
        return usable_cores()
    time.sleep(sample_s)
    after = read_cpu()
    return pick_threads(usable_cores(), before.cpus, others_busy(before, after) if after else 0.0)


class AdaptiveThreads:
    """Follows the free cores during a job: ``update()`` between steps re-picks the thread count from the CPU time
    used since the last pick, at most every ``interval_s`` seconds, and applies it when it changed.

    A count that changes mid-run changes float sums, so a run that must repeat bit for bit fixes ``--threads``.
    """

    def __init__(self, interval_s: float = 10.0, reader: Callable[[], CpuReading | None] = read_cpu,
                 apply: Callable[[int], None] | None = None, usable: int | None = None, threads: int | None = None):
        self.interval_s = interval_s
        self._reader, self._apply = reader, apply or _set_torch_threads
        self._usable = usable or usable_cores()
        self._last = reader()
        self.threads = threads or _torch_threads()

    def update(self) -> int:
        """The thread count to use now (changed and applied when the free cores changed)."""
        now = self._reader()
        if now is None or self._last is None or now.at_s - self._last.at_s < self.interval_s:
            return self.threads
        picked = pick_threads(self._usable, now.cpus, others_busy(self._last, now))
        self._last = now
        if picked != self.threads:
            log.info("free cores changed: %d -> %d CPU thread%s", self.threads, picked, "" if picked == 1 else "s")
            self._apply(picked)
            self.threads = picked
        return self.threads


def _set_torch_threads(count: int) -> None:
    import torch

    torch.set_num_threads(count)


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


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


def run_threads(requested: int | None, output_dir: str | os.PathLike) -> int | None:
    """Threads for a run writing to ``output_dir``: on CPU, the count the folder recorded (float sums depend on
    it, so a resumed run must use the same); on a GPU, as given."""
    import torch

    if torch.cuda.is_available():
        return requested
    return recorded_threads(requested, Path(output_dir) / "cpu_threads.json")
