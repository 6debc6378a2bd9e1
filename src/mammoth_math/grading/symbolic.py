"""A deadline for symbolic work that holds in any thread and any process: a small pool of killable workers.

math-verify's own timeout is ``signal.alarm`` (main thread only) and sympy can hang on inputs like
``10^{10^{10}}``, so the hard cases run in child processes (:mod:`._symbolic_child`). A call's timeout
covers its wait for a free worker as well as the work: a caller never waits longer than its timeout, however
busy the pool. Past the deadline the worker is killed and a fresh one is started in the background.
Workers die with the grading process (``PR_SET_PDEATHSIG``, set in the child against the one long-lived
thread that starts them all). Timed-out calls return None; a call that found no free worker in time raises
:class:`GraderBusy`, so its verdict is not cached as if the input itself were too hard.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import select
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 5.0  # seconds per symbolic comparison, queueing included
DEFAULT_WORKERS = 2  # MAMMOTH_GRADING_WORKERS overrides; each worker holds sympy and math-verify (~150 MB)
_STARTUP_TIMEOUT = 120.0  # a cold child imports sympy and math-verify; a fresh pool's first wait is never charged
PARENT_ENV = "MAMMOTH_GRADING_PARENT"  # the child exits at once if its parent is already gone


class GraderBusy(Exception):
    """Every worker stayed busy until the call's deadline: the input was never tried."""


class _Child:
    """One ready child process and the bytes read from it so far."""

    def __init__(self) -> None:
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])))
        env[PARENT_ENV] = str(os.getpid())
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mammoth_math.grading._symbolic_child"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
        )
        self._buffer = b""
        if self.readline(time.monotonic() + _STARTUP_TIMEOUT) is None:
            self.kill()
            raise RuntimeError("the symbolic grading worker did not start")

    def readline(self, deadline: float) -> dict | None:
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()


class SymbolicPool:
    """``size`` child processes shared by all threads; each call takes an idle one or gives up at its deadline."""

    def __init__(self, size: int = DEFAULT_WORKERS):
        if size < 1:
            raise ValueError(f"a symbolic pool needs at least one worker, got {size}")
        self.size = size
        self._idle: queue.Queue[_Child | None] = queue.Queue()  # None: a child failed to start
        self._children: list[_Child] = []
        self._lock = threading.Lock()
        self._warm = threading.Event()  # set once a child has started: from then on every wait is charged
        self._spawner: ThreadPoolExecutor | None = None  # started on first use
        self._closed = False

    def call(self, request: dict, timeout: float) -> dict | None:
        """The child's reply to ``request``, None if it took past ``timeout`` seconds from the call (child killed).

        Raises :class:`GraderBusy` if no worker came free before the deadline."""
        start = time.monotonic()
        warm = self._warm.is_set()
        self._start_spawner()
        child = self._take(start + (timeout if warm else _STARTUP_TIMEOUT))
        if child is None:
            raise GraderBusy(f"no symbolic grading worker was free within {timeout:.1f}s")
        deadline = (start if warm else time.monotonic()) + timeout
        try:
            child.proc.stdin.write((json.dumps(request) + "\n").encode())
            child.proc.stdin.flush()
            reply = child.readline(deadline)
        except (OSError, ValueError):
            log.warning("symbolic grading worker failed; replacing it", exc_info=True)
            reply = None
        else:
            if reply is not None:
                self._idle.put(child)
                return reply
            log.info("symbolic grading timed out after %.1fs; replacing the worker", timeout)
        child.kill()
        self._replace()
        return None

    def _take(self, deadline: float) -> _Child | None:
        """An idle live child, or None at ``deadline``; a child that died while idle is replaced."""
        while True:
            try:
                child = self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return None
            if child is None:
                self._replace()
                raise RuntimeError("the symbolic grading worker did not start")
            if child.proc.poll() is None:
                return child
            self._replace()

    def _start_spawner(self) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("this symbolic pool is closed")
            if self._spawner is None:
                # Children die with the thread that started them (PR_SET_PDEATHSIG): start them all from one
                # thread that lives as long as the pool.
                self._spawner = ThreadPoolExecutor(1, thread_name_prefix="grading-spawn")
                for _ in range(self.size):
                    self._spawner.submit(self._spawn)

    def _replace(self) -> None:
        with self._lock:
            if not self._closed and self._spawner is not None:
                self._spawner.submit(self._spawn)

    def _spawn(self) -> None:
        try:
            child = _Child()
        except (OSError, RuntimeError):
            log.warning("could not start a symbolic grading worker", exc_info=True)
            self._idle.put(None)
            return
        with self._lock:
            if self._closed:
                child.kill()
                return
            self._children = [c for c in self._children if c.proc.poll() is None] + [child]
        self._warm.set()
        self._idle.put(child)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            children, self._children = self._children, []
            spawner = self._spawner
        for child in children:
            if child.proc.poll() is None:
                child.kill()
        if spawner is not None:
            spawner.shutdown(wait=False, cancel_futures=True)


_pool_lock = threading.Lock()
_pools: dict[int, SymbolicPool] = {}  # keyed by pid: a forked process starts its own children


def default_pool() -> SymbolicPool:
    with _pool_lock:
        pool = _pools.get(os.getpid())
        if pool is None:
            size = int(os.environ.get("MAMMOTH_GRADING_WORKERS", str(DEFAULT_WORKERS)))
            pool = _pools[os.getpid()] = SymbolicPool(size)
            atexit.register(pool.close)
        return pool


def symbolic_equal(gold: str, pred: str, timeout: float | None = None) -> bool | None:
    """math-verify's verdict on two answers, None on timeout."""
    reply = default_pool().call({"op": "verify", "gold": gold, "pred": pred}, timeout or DEFAULT_TIMEOUT)
    return None if reply is None else bool(reply.get("result"))


def symbolic_value(expr: str, timeout: float | None = None) -> float | None:
    """The numeric value of a closed-form expression (`2^{10}`, `\\frac{\\sqrt{3}}{2}`), None if none or too slow."""
    reply = default_pool().call({"op": "evaluate", "expr": expr}, timeout or DEFAULT_TIMEOUT)
    result = reply.get("result") if reply else None
    return float(result) if isinstance(result, str) else None
