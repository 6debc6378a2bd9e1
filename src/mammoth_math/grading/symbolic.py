"""A deadline for symbolic work that holds in any thread and any process: a killable worker process.

math-verify's own timeout is ``signal.alarm`` (main thread only) and sympy can hang on inputs like
``10^{10^{10}}``, so the hard cases run in persistent child processes (:mod:`._symbolic_child`).
The caller waits on the pipe with ``select``; past the deadline the child is killed and a fresh one
is started on next use. Timed-out calls return None.
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
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 5.0  # seconds per symbolic comparison
_STARTUP_TIMEOUT = 120.0  # a cold child imports sympy and math-verify; never counted against a case


class _Child:
    """One child process and the bytes read from it so far."""

    def __init__(self) -> None:
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])))
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
    """``size`` child processes shared by all threads; each call takes an idle one."""

    def __init__(self, size: int = 1):
        self._idle: queue.Queue[_Child | None] = queue.Queue()
        for _ in range(size):
            self._idle.put(None)  # started lazily
        self._children: list[_Child] = []
        self._lock = threading.Lock()

    def call(self, request: dict, timeout: float) -> dict | None:
        """The child's reply to ``request``, or None if it took longer than ``timeout`` seconds (child killed)."""
        child = self._idle.get()
        try:
            if child is None or child.proc.poll() is not None:
                child = self._start()
            child.proc.stdin.write((json.dumps(request) + "\n").encode())
            child.proc.stdin.flush()
            reply = child.readline(time.monotonic() + timeout)
            if reply is None:
                log.info("symbolic grading timed out after %.1fs; restarting the worker", timeout)
                child.kill()
                child = None
            return reply
        except (BrokenPipeError, OSError, ValueError):
            log.warning("symbolic grading worker failed; restarting it", exc_info=True)
            if child is not None:
                child.kill()
            child = None
            return None
        finally:
            self._idle.put(child)

    def _start(self) -> _Child:
        child = _Child()
        with self._lock:
            self._children = [c for c in self._children if c.proc.poll() is None] + [child]
        return child

    def close(self) -> None:
        with self._lock:
            for child in self._children:
                if child.proc.poll() is None:
                    child.kill()
            self._children = []


_pool_lock = threading.Lock()
_pools: dict[int, SymbolicPool] = {}  # keyed by pid: a forked process starts its own children


def default_pool() -> SymbolicPool:
    with _pool_lock:
        pool = _pools.get(os.getpid())
        if pool is None:
            pool = _pools[os.getpid()] = SymbolicPool(int(os.environ.get("MAMMOTH_GRADING_WORKERS", "1")))
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
