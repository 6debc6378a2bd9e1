"""Persistent sessions, host side: one problem's code blocks run in order in one sandboxed process.

``Sandbox.session()`` opens a ``SandboxSession`` on one of the sandbox's session workers: bubblewrap
sandboxes of their own (started on first use), so single runs and sessions share no /tmp and no pid
namespace; inside one worker, sessions share no writable state (see ``inside._sessions``). Many threads
drive many sessions over one pipe per worker: requests carry an id, and one reader thread per worker hands
each response to the thread that waits for it. A session beyond the workers' capacity waits for a slot.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mammoth_math.sandbox.inside import _protocol
from mammoth_math.sandbox.program import prepare
from mammoth_math.sandbox.result import ExecResult, from_response

log = logging.getLogger(__name__)

_GRACE_S = 15.0  # past a call's own limit, how long the host waits for a worker before killing it
_CPU_CALLS = 32  # a session's CPU time, in calls of its timeout (a hard limit cannot be raised later)


@dataclass
class _Reply:
    done: threading.Event = field(default_factory=threading.Event)
    frame: dict[str, Any] | None = None  # None: the worker died


class _SessionWorker:
    """One session worker seen from the host, shared by its sessions' threads."""

    def __init__(self, worker: Any, response_limit: int):
        self.worker = worker  # a started ``_process.Worker``
        self.open = 0  # sessions on it (the pool's lock guards this)
        self.dead = False
        self._write_lock = threading.Lock()  # whole frames, one at a time
        self._lock = threading.Lock()  # guards _waiting; never held while writing
        self._waiting: dict[int, _Reply] = {}
        self._rids = itertools.count()
        self._limit = response_limit
        self._reader = threading.Thread(target=self._read, name="sandbox-sessions", daemon=True)
        self._reader.start()

    def ask(self, frame: dict[str, Any], wait_s: float) -> dict[str, Any] | None:
        """The worker's response; None when it died or did not answer in time (then it is killed)."""
        reply = _Reply()
        with self._lock:
            if self.dead:
                return None
            rid = next(self._rids)
            self._waiting[rid] = reply
        try:
            with self._write_lock:  # a worker that stops reading its pipe is killed at the call's deadline
                _protocol.write_frame(self.worker.proc.stdin.fileno(), {**frame, "rid": rid}, time.monotonic() + wait_s)
        except (OSError, ValueError, TimeoutError) as e:
            log.warning("sandbox session worker %s failed (%s)", self.worker.proc.pid, e)
            self.kill()
        if threading.current_thread() is self._reader:  # a finalizer run by the collector here: answers
            return None                                  # come from this very thread, so never wait
        if not reply.done.wait(wait_s):
            log.warning("sandbox session worker %s did not answer in time; killing it", self.worker.proc.pid)
            self.kill()
            reply.done.wait(_GRACE_S)
        return reply.frame

    def kill(self) -> None:
        """Kill the worker; its reader thread sees the end of its pipe, fails every waiter and cleans up."""
        try:
            os.killpg(self.worker.proc.pid, 9)
        except OSError:
            pass

    def _read(self) -> None:
        fd = self.worker.proc.stdout.fileno()
        while True:
            try:
                frame = _protocol.read_frame(fd, None, self._limit)
            except (OSError, EOFError, ValueError):
                frame = None
            if not isinstance(frame, dict):
                break
            with self._lock:
                reply = self._waiting.pop(frame.get("rid"), None)  # type: ignore[arg-type]
            if reply is not None:
                reply.frame = frame
                reply.done.set()
        with self._lock:
            self.dead = True
            waiting, self._waiting = self._waiting, {}
        for reply in waiting.values():
            reply.done.set()
        self.worker.kill()  # closes the pipes: only this thread reads them


class SessionPool:
    """The session workers of one sandbox and their free slots; workers start on the first session."""

    def __init__(self, size: int, per_worker: int, response_limit: int):
        self.workers: list[_SessionWorker] = []
        self.size, self.per_worker = size, per_worker
        self._response_limit = response_limit
        self._ready = threading.Condition()
        self._sids = itertools.count()

    def open(self, timeout: float, memory_mb: int, start_workers: Callable[[int], list[Any]]) -> SandboxSession:
        """A session on the least busy worker; ``start_workers(n)`` starts n session workers (_process.Worker)."""
        with self._ready:
            while True:
                if not self.workers:
                    self.workers += self._wrap(start_workers(self.size))
                for i, w in enumerate(self.workers):
                    if w.dead:  # its sessions have all ended; they release slots of the old object
                        self.workers[i] = self._wrap(start_workers(1))[0]
                free = [w for w in self.workers if w.open < self.per_worker]
                if free:
                    worker = min(free, key=lambda w: w.open)
                    worker.open += 1
                    break
                self._ready.wait(1.0)  # a release wakes it; a worker that died meanwhile is seen by the clock
        sid = next(self._sids)
        reply = worker.ask({"op": "open", "sid": sid, "memory_mb": memory_mb,
                            "cpu_budget_s": _CPU_CALLS * (math.ceil(timeout) + 1)}, _GRACE_S)
        why = "the sandbox worker died" if reply is None else reply.get("error")
        if why is not None:
            log.warning("sandbox: a session could not start: %s", why)
        return SandboxSession(self, worker, sid, timeout, memory_mb, None if why is None else str(why))

    def release(self, worker: _SessionWorker) -> None:
        with self._ready:
            worker.open -= 1
            self._ready.notify()

    def _wrap(self, workers: list[Any]) -> list[_SessionWorker]:
        return [_SessionWorker(worker, self._response_limit) for worker in workers]


class SandboxSession:
    """One problem's interpreter: blocks run in order in one process, so names persist between calls.

    A Python exception in a block leaves the session alive (like a notebook cell); a timeout, memory
    overrun or crash ends it, and later calls return ``error="SessionEnded: ..."`` without running.
    ``close()`` (or leaving ``with``) ends its process; it may come from another thread mid-call.
    """

    def __init__(self, pool: SessionPool, worker: _SessionWorker, sid: int, timeout: float, memory_mb: int,
                 ended: str | None):
        self.timeout, self.memory_mb = timeout, memory_mb
        self._worker, self._sid = worker, sid
        self._ended = ended  # why the session is over; None while it lives
        self._calls = threading.Lock()  # one block at a time, in order
        self._finalizer = weakref.finalize(self, _close, pool, worker, sid, ended is None)

    @property
    def alive(self) -> bool:
        return self._ended is None and not self._worker.dead

    def run(self, code: str | bytes, *, timeout: float | None = None) -> ExecResult:
        """Run one block in the session; never raises for anything the block does."""
        source, error = prepare(code)
        if error is not None:
            return ExecResult("", error, False, None, 0.0)
        limit = self.timeout if timeout is None else float(timeout)
        with self._calls:
            if not self.alive:
                return ExecResult("", f"SessionEnded: {self._ended or 'its sandbox worker died'}", False, None, 0.0)
            response = self._worker.ask({"op": "run", "sid": self._sid, "code": source, "timeout": limit,
                                         "memory_mb": self.memory_mb}, limit + _GRACE_S)
            if response is None:
                self._end("its sandbox worker died")
                return ExecResult("", "SandboxError: the worker running this session died", False, None, 0.0)
            result = from_response(response)
            if response.get("ended") is not False:
                self._end(f"an earlier block ended it ({result.error or 'no reason given'})")
            return result

    def close(self) -> None:
        """End the session and its process (idempotent; safe while a call runs on another thread)."""
        self._end("the session was closed")
        self._finalizer()

    def _end(self, why: str) -> None:
        if self._ended is None:
            self._ended = why

    def __enter__(self) -> SandboxSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _close(pool: SessionPool, worker: _SessionWorker, sid: int, opened: bool) -> None:
    if opened:
        worker.ask({"op": "close", "sid": sid}, _GRACE_S)
    pool.release(worker)
