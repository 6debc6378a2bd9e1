"""The pool's workers: one per core starts with the sandbox, the others only while every started one is busy."""

from __future__ import annotations

import os
import time

from mammoth_math.sandbox import Sandbox

LIGHT = {"preamble": "import math", "warmup": ""}  # no heavy worker: each worker starts in well under a second


def _wait_for(condition, seconds: float = 120.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_extra_workers_start_only_while_every_started_one_is_busy():
    cores = len(os.sched_getaffinity(0))
    workers = cores + 2
    with Sandbox(timeout=10.0, memory_mb=256, workers=workers, **LIGHT) as sb:
        assert len(sb._all) == cores  # one per core at the start
        for i in range(5):  # one caller at a time: a started worker is always idle, nothing more starts
            assert sb.run(f"print({i})").answer == str(i)
        assert len(sb._all) == cores and sb._starting == 0
        # more programs at once than workers: the busy pool grows up to ``workers``, never past
        codes = [f"import time\ntime.sleep(0.5)\nprint({i} * 7)" for i in range(3 * workers)]
        assert [r.answer for r in sb.run_many(codes)] == [str(i * 7) for i in range(3 * workers)]
        assert _wait_for(lambda: sb._starting == 0 and len(sb._all) == workers), (len(sb._all), sb._starting)
        assert len({w.proc.pid for w in sb._all}) == workers  # each a sandbox of its own
        results = sb.run_many([f"print({i})" for i in range(4 * workers)])
        assert [r.answer for r in results] == [str(i) for i in range(4 * workers)]
        assert len(sb._all) == workers


def test_start_every_starts_all_workers():
    with Sandbox(timeout=10.0, memory_mb=256, workers=3, **LIGHT).start(every=True) as sb:
        assert len(sb._all) == 3 and len({w.proc.pid for w in sb._all}) == 3
        assert [r.answer for r in sb.run_many([f"print({i})" for i in range(9)])] == [str(i) for i in range(9)]
        assert len(sb._all) == 3


def test_default_is_four_workers_per_core_with_sessions_on_one_per_core():
    sb = Sandbox(timeout=1.0)
    try:
        cores = len(os.sched_getaffinity(0))
        assert sb.workers == 4 * cores
        assert sb.session_capacity == cores * sb._sessions.per_worker
    finally:
        sb.close()
