"""The host side of the sandbox: a pool of pre-warmed fork-server workers, safe to call from many threads.

``Sandbox.run`` takes an idle worker, sends it one program and reads back the result; a worker that
dies or stops answering is replaced, and the program gets an error result. ``_process`` is the handle on
one worker; see ``isolation`` for the threat model and ``inside._worker`` for what happens inside.
"""

from __future__ import annotations

import logging
import os
import queue
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, Literal

from mammoth_math.progress import bar
from mammoth_math.sandbox._process import NotReady, SandboxError, Worker
from mammoth_math.sandbox.limits import WorkerLimits, host_limits
from mammoth_math.sandbox.isolation import (
    UNSAFE_ENV,
    Mode,
    bwrap_command,
    fallback_command,
    find_bwrap,
    refusal,
)
from mammoth_math.sandbox.program import prepare
from mammoth_math.sandbox.result import ExecResult, from_response
from mammoth_math.sandbox.session import SandboxSession, SessionPool

log = logging.getLogger(__name__)

DEFAULT_PREAMBLE = """\
import math, cmath, fractions, decimal, itertools, functools, collections, statistics, random, datetime, re, string
import numpy, numpy as np
import sympy, sympy as sp
from fractions import Fraction
"""
# Run once after the preamble, in a throwaway copy of its namespace: sympy loads submodules and fills
# caches on first use (a first solve costs ~30 ms in every child without this, ~10 ms with it).
DEFAULT_WARMUP = """\
if "sympy" in globals():
    _x = sympy.Symbol("x")
    sympy.solve(sympy.Eq(3 * _x + 1, 7), _x)
    sympy.simplify((_x**2 - 1) / (_x - 1))
    sympy.Rational(1, 3) + sympy.sqrt(2)
"""
_MAX_TASKS = 64  # processes and threads of one worker's sandbox (its relays, fork servers, children)
# Single-run workers per core, at most. One worker runs its programs one after another, and between two it
# waits on hand-offs (host, relay, child, relay, host) and on the last child's exit and wipe: measured on a
# light program, its chain is about twice the CPU it uses. A worker held by a program that sleeps or times out
# uses little CPU. So one worker per core leaves cores idle; four keep them busy (bench/bench_sandbox.py).
# Beyond one per core they start only when every worker is busy: a caller running a few programs pays for
# one per core, and each extra worker holds ~90 MB (its light and heavy parts) once started.
_WORKERS_PER_CORE = 4


class Sandbox:
    """Run untrusted Python programs in isolated, pre-warmed workers (up to four per core, started as needed).

    >>> with Sandbox(timeout=5.0, workers=1) as sb:
    ...     sb.run("print(6 * 7)").answer
    '42'

    ``memory_mb`` is the address space a program may add on top of the preloaded preamble.
    ``seccomp=False`` drops the syscall filters (only for machines where they cannot load: then a
    program can start processes and signal its worker).
    ``warmup`` runs once per worker after the preamble (in a copy of its namespace) to pay first-call
    costs there; a preamble with non-standard-library imports makes each worker two (see
    ``inside._worker``).
    ``workers``: single-run workers, each a sandbox of its own; None means four per core, of which one per
    core starts with the sandbox and the others when every started one is busy (``start(every=True)``
    starts them all).
    ``isolation``: "bubblewrap" (raise ``SandboxError`` saying why when it cannot work here) or "none":
    only rlimits, seccomp and a cleared environment, which lets programs read host files and plant
    files for later ones (see ``isolation``); never chosen silently. None (the default) means
    "bubblewrap" unless the environment sets ``MAMMOTH_SANDBOX_UNSAFE_NO_ISOLATION=1`` (what the
    command line's ``--unsafe-no-isolation`` does). Every program runs in a fresh process of its own.
    Workers start on first use or on ``start()``/``with``. ``session()`` runs one problem's blocks in
    one process of its own, on session workers (as many as ``workers``, or one per core, each holding up to
    ``sessions_per_worker`` sessions, started on the first session); each live session may hold
    ``memory_mb``: size ``sessions_per_worker`` to the machine's memory.
    """

    def __init__(self, timeout: float = 5.0, memory_mb: int = 1024, workers: int | None = None, *,
                 preamble: str = DEFAULT_PREAMBLE, warmup: str = DEFAULT_WARMUP,
                 isolation: Literal["bubblewrap", "none"] | None = None,
                 output_limit: int = 64 * 1024, tmp_mb: int = 64, seccomp: bool = True,
                 sessions_per_worker: int = 16):
        if timeout <= 0 or memory_mb <= 0:
            raise ValueError("timeout and memory_mb must be positive")
        if not 1 <= sessions_per_worker <= 48:  # each is a process under the sandbox's task limit of 64
            raise ValueError(f"sessions_per_worker must be between 1 and 48, not {sessions_per_worker}")
        if isolation is None:
            isolation = "none" if os.environ.get(UNSAFE_ENV) == "1" else "bubblewrap"
        if isolation not in ("bubblewrap", "none"):
            raise ValueError(f"isolation must be 'bubblewrap' or 'none', not {isolation!r}")
        self.timeout, self.memory_mb = float(timeout), int(memory_mb)
        cores = len(os.sched_getaffinity(0))
        self.workers = workers or _WORKERS_PER_CORE * cores
        self._first = min(self.workers, cores)  # started by ``start``; the others on demand
        self._starting = 0  # workers being added on demand
        self._grow = True  # until one fails to start
        self.preamble, self.warmup = preamble, warmup
        self.output_limit, self.tmp_mb, self.seccomp = output_limit, tmp_mb, seccomp
        self._requested = isolation
        self.mode: Mode | None = None
        self.fallback_reason: str | None = None
        self._idle: queue.Queue[Worker | SandboxError] = queue.Queue()
        self._all: list[Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        # Workers die with the thread that started them (PR_SET_PDEATHSIG): start them all from one
        # thread that lives as long as the sandbox.
        self._spawner = ThreadPoolExecutor(1, thread_name_prefix="sandbox-spawn")
        # Replaces dead or slow workers off the callers' path.
        self._cleaner = ThreadPoolExecutor(self.workers, thread_name_prefix="sandbox-replace")
        self._sessions = SessionPool(workers or cores, sessions_per_worker, _response_limit(output_limit))
        self._finalizer = weakref.finalize(self, _shutdown, self._all, (self._spawner, self._cleaner),
                                           self._sessions.workers)

    # --- lifecycle

    def start(self, every: bool = False) -> Sandbox:
        """Start one worker per core (``every``: all ``workers``, for a long run timed from its first program)."""
        with self._lock:
            if self._closed:
                raise SandboxError("this Sandbox is closed")
            if not self._all:
                self._resolve_mode()
            n = (self.workers if every else self._first) - len(self._all) - self._starting
            workers = [self._spawner.submit(self._new_worker).result() for _ in range(max(0, n))]
            deadline = time.monotonic() + 120
            for w in workers:
                self._all.append(w)
            for w in workers:
                w.handshake(deadline)
                self._idle.put(w)
        return self

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._finalizer()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _resolve_mode(self) -> None:
        if self._requested == "none":
            self.mode, self.fallback_reason = "none", "isolation='none' was requested"
            log.warning("sandbox: running programs WITHOUT isolation (isolation='none'): only resource limits, "
                        "seccomp and a cleared environment; programs can read the host's files")
            return
        bwrap, detail = find_bwrap()
        if bwrap is None:
            raise SandboxError(refusal(detail))
        self.mode = "bubblewrap"
        limits = host_limits()
        if not limits.entries:
            log.warning("sandbox: /tmp entries %s", limits.entries_detail)
        if limits.tasks is None and os.geteuid() == 0:
            log.warning("sandbox: processes and threads %s", limits.tasks_detail)

    def _new_worker(self, sessions: int = 0) -> Worker:
        """A worker for single runs, or (``sessions`` > 0) one holding up to that many sessions."""
        bwrap = self.mode == "bubblewrap"
        tmp = None if bwrap else tempfile.mkdtemp(prefix="mammoth-sandbox-")
        config = {"preamble": self.preamble, "warmup": self.warmup, "tmp": "/tmp" if bwrap else tmp,
                  "output_limit": self.output_limit, "file_size": self.tmp_mb << 20, "seccomp": self.seccomp,
                  "drop_uid": not bwrap,
                  # RLIMIT_NPROC counts per user namespace inside bubblewrap (Linux >= 5.14), host-wide outside;
                  # it holds nothing for root, where the worker's pids cgroup does (``limits``)
                  "max_tasks": _MAX_TASKS if bwrap else None, "max_sessions": sessions}
        if not bwrap:
            return Worker(fallback_command(), config, tmp)
        limits = WorkerLimits(host_limits(), self.tmp_mb, _MAX_TASKS)
        return Worker(bwrap_command(find_bwrap()[0], self.tmp_mb, limits.tmp_source), config, None, limits)

    def _replace(self, dead: Worker) -> None:
        """Kill ``dead`` and put a fresh worker in its place (or, if none can start, the error that says why)."""
        dead.kill()
        if self._closed:
            return
        try:
            fresh = self._spawner.submit(self._new_worker).result()
            with self._lock:
                self._all[self._all.index(dead)] = fresh
            fresh.handshake(time.monotonic() + 120)
        except (SandboxError, RuntimeError) as e:  # RuntimeError: the spawner was shut down by close()
            self._idle.put(e if isinstance(e, SandboxError) else SandboxError("this Sandbox is closed"))
            return
        self._idle.put(fresh)

    def _add(self) -> None:
        """Start one more worker, on demand (every started one was busy); a failure leaves the others serving."""
        fresh = None
        try:
            fresh = self._spawner.submit(self._new_worker).result()
            with self._lock:
                self._all.append(fresh)
            fresh.handshake(time.monotonic() + 120)
            with self._lock:
                if self._closed:  # close() may have gone through the workers before this one joined them
                    raise RuntimeError("this Sandbox is closed")
        except (SandboxError, RuntimeError) as e:  # RuntimeError: the spawner was shut down by close()
            with self._lock:
                self._grow = False  # the host has no room for more: the started workers serve on
                if fresh is not None:
                    self._all.remove(fresh)
            if fresh is not None:
                fresh.kill()
            if not self._closed:
                log.warning("sandbox: no worker beyond the %d running could start (%s)", len(self._all), e)
            return
        finally:
            with self._lock:
                self._starting -= 1
        self._idle.put(fresh)

    def _take(self) -> Worker | SandboxError:
        """An idle worker; when there is none, one more starts (up to ``workers``) while this waits for the first
        that frees."""
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._grow and not self._closed and len(self._all) + self._starting < self.workers:
                self._starting += 1
                self._cleaner.submit(self._add)
        return self._idle.get()

    def _start_session_workers(self, n: int) -> list[Worker]:
        self.start()
        workers = [self._spawner.submit(self._new_worker, self._sessions.per_worker).result() for _ in range(n)]
        deadline = time.monotonic() + 120
        for w in workers:
            w.handshake(deadline)
        return workers

    @property
    def worker_info(self) -> dict[str, Any]:
        """What the first worker reported at start (pid, uid, seccomp, python, base_vm_mb, heavy_worker)."""
        self.start()
        return dict(self._all[0].info)

    # --- running programs

    def run(self, code: str | bytes, *, timeout: float | None = None, memory_mb: int | None = None) -> ExecResult:
        """Run one program (thread-safe); never raises for anything the program does."""
        source, error = prepare(code)
        if error is not None:
            return ExecResult("", error, False, None, 0.0)
        self.start()
        limit = self.timeout if timeout is None else float(timeout)
        request = {"code": source, "timeout": limit, "memory_mb": memory_mb or self.memory_mb}
        for attempt in range(3):
            worker = self._take()
            if isinstance(worker, SandboxError):  # a replacement could not start: every caller hears why
                self._idle.put(worker)
                raise worker
            try:
                response = worker.call(request, limit, _response_limit(self.output_limit))
            except NotReady as e:  # its cleanup ran past the bound: a fresh worker replaces it, the program
                log.warning("sandbox worker %s was not ready in time (%s); replacing it", worker.proc.pid, e)
                self._cleaner.submit(self._replace, worker)  # goes to the next idle one
                continue
            except (OSError, EOFError, TimeoutError, ValueError) as e:
                log.warning("sandbox worker %s failed (%s); replacing it", worker.proc.pid, e)
                self._cleaner.submit(self._replace, worker)
                return ExecResult("", f"SandboxError: the worker running this program died ({type(e).__name__})",
                                  False, None, 0.0)
            self._idle.put(worker)
            return from_response(response)
        return ExecResult("", "SandboxError: no sandbox worker was ready for this program", False, None, 0.0)

    def session(self, *, timeout: float | None = None, memory_mb: int | None = None) -> SandboxSession:
        """A persistent session: one problem's blocks run in order in one process of its own (see
        ``SandboxSession``); ``timeout`` is per call. Waits while every session worker is full.

        >>> with Sandbox(timeout=5.0, workers=1) as sb, sb.session() as s:
        ...     _ = s.run("x = 6")
        ...     s.run("print(x * 7)").stdout
        '42\\n'
        """
        with self._lock:
            if self._closed:
                raise SandboxError("this Sandbox is closed")
        return self._sessions.open(self.timeout if timeout is None else float(timeout), memory_mb or self.memory_mb,
                                   self._start_session_workers)

    @property
    def session_capacity(self) -> int:
        """Sessions open at once before ``session()`` waits (session workers x sessions per worker): a caller holding
        sessions while it opens more must stay within it, or wait for itself."""
        return self._sessions.size * self._sessions.per_worker

    def run_many(self, codes: Iterable[str | bytes], progress: bool = False, *,
                 timeout: float | None = None) -> list[ExecResult]:
        """Run many programs in parallel on all workers; results in input order."""
        codes = list(codes)
        results: list[ExecResult | None] = [None] * len(codes)
        if not codes:
            return []
        self.start()
        with bar("sandbox", len(codes), progress) as b, ThreadPoolExecutor(self.workers) as pool:
            futures = {pool.submit(self.run, code, timeout=timeout): i for i, code in enumerate(codes)}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                b.advance()
        return results  # type: ignore[return-value]


def _response_limit(output_limit: int) -> int:
    """The largest response a worker may send: stdout and stderr JSON-escaped (at most 6 bytes a byte), and
    the rest."""
    return 12 * output_limit + (1 << 20)


def _shutdown(workers: Sequence[Worker], executors: Sequence[ThreadPoolExecutor],
              session_workers: Sequence[Any]) -> None:
    for executor in executors:
        executor.shutdown(wait=False, cancel_futures=True)
    for w in list(workers):
        w.kill()
    for s in list(session_workers):
        s.kill()
