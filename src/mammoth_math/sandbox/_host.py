"""One sandbox host's state behind the HTTP routes of ``service``: its ``Sandbox``, the programs admitted, open
sessions, metrics and the draining flag; and the checks every request passes before it costs anything.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from mammoth_math.sandbox._metrics import Metrics
from mammoth_math.sandbox.pool import Sandbox
from mammoth_math.sandbox.remote import TOKEN_ENV
from mammoth_math.sandbox.result import ExecResult
from mammoth_math.sandbox.session import SandboxSession

log = logging.getLogger(__name__)

_REAP_EVERY_S = 5.0


@dataclass(frozen=True)
class ServiceConfig:
    """One sandbox host: where it listens, its sandbox, and the caps every request must fit."""

    host: str = "127.0.0.1"
    port: int = 8790
    token: str | None = None  # bearer token; required unless ``host`` is a loopback address
    workers: int | None = None  # sandbox workers; None: the sandbox's default (up to four per core)
    queue: int | None = None  # programs admitted beyond one per worker before 429; None: 4 per worker
    timeout: float = 5.0  # seconds per program when a request names none
    max_timeout: float = 60.0  # the largest timeout a request may ask for
    memory_mb: int = 1024  # per program when a request names none
    max_memory_mb: int = 4096
    output_limit: int = 64 * 1024  # bytes of stdout/stderr kept per program
    max_body_bytes: int = 8 << 20
    body_timeout: float = 30.0  # seconds to receive a whole request body
    session_idle: float = 600.0  # seconds before an unused session is closed

    def __post_init__(self) -> None:
        if self.token is None and not is_loopback(self.host):
            raise ValueError(f"serving on {self.host} needs a token (--token-file or ${TOKEN_ENV}); "
                             "only a loopback address may go without one")
        if self.token is not None and len(self.token) < 16:
            raise ValueError("the token must be at least 16 characters")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Refused(Exception):
    """A request answered without running it: HTTP status, metric reason, message, extra headers."""

    def __init__(self, status: int, reason: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.reason, self.headers = status, reason, headers or {}


@dataclass
class _Open:
    session: SandboxSession
    used: float  # time.monotonic() of its last call
    busy: int = 0  # calls running now (an idle reap must not close it under them)


class Service:
    """The host's state: its sandbox, the admitted programs, open sessions, metrics and the draining flag."""

    def __init__(self, config: ServiceConfig, sandbox: Sandbox | None = None):
        self.config = config
        self.sandbox = sandbox or Sandbox(timeout=config.timeout, memory_mb=config.memory_mb, workers=config.workers,
                                          output_limit=config.output_limit)
        workers = self.sandbox.workers
        self.capacity = workers + (4 * workers if config.queue is None else config.queue)
        self.metrics = Metrics()
        self.draining = False  # set on SIGTERM: new work is refused, admitted work finishes
        self.pending = 0  # programs admitted and not finished
        self.sessions: dict[str, _Open] = {}
        self._opening = 0  # sessions being opened: their slots are taken
        self._lock = threading.Lock()
        self._runs = ThreadPoolExecutor(workers, thread_name_prefix="sandbox-run")  # FIFO: the queue itself
        self._session_calls = ThreadPoolExecutor(self.sandbox.session_capacity + 4, thread_name_prefix="sandbox-session")
        self.pod = socket.gethostname()

    # --- admission

    def check_token(self, request: Request) -> None:
        if self.config.token is None:
            return
        sent = request.headers.get("authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {self.config.token}".encode()):
            raise Refused(401, "unauthorized", "a valid bearer token is required (Authorization: Bearer ...)",
                          {"WWW-Authenticate": "Bearer"})

    def refuse_if_draining(self) -> None:
        if self.draining:
            raise Refused(503, "draining", "this sandbox host is shutting down; send the work to another host")

    def refuse_if_full(self) -> None:
        """503 while draining, 429 while the queue is full: answered before the body is read."""
        self.refuse_if_draining()
        if self.pending >= self.capacity:
            raise self._full()

    def admit(self, n: int) -> None:
        """Count ``n`` programs in, or refuse: 503 while draining, 413 past capacity, 429 while the queue is full."""
        self.refuse_if_draining()
        if n > self.capacity:
            raise Refused(413, "too_large", f"{n} programs in one request; this host admits at most {self.capacity}")
        with self._lock:
            if self.pending + n > self.capacity:
                raise self._full()
            self.pending += n

    def _full(self) -> Refused:
        return Refused(429, "queue_full", f"the queue is full ({self.pending} of {self.capacity} programs admitted); "
                                          "retry later or on another host", {"Retry-After": "1"})

    async def body(self, request: Request) -> Any:
        """The request's JSON; 413 past the size cap (declared or received), 408 when it arrives too slowly."""
        cap = self.config.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > cap):
            raise Refused(413, "too_large", f"the body may hold at most {cap} bytes")
        data = bytearray()

        async def collect() -> None:
            async for chunk in request.stream():
                data.extend(chunk)
                if len(data) > cap:
                    raise Refused(413, "too_large", f"the body may hold at most {cap} bytes")

        try:
            await asyncio.wait_for(collect(), self.config.body_timeout)
        except asyncio.TimeoutError:
            raise Refused(408, "slow_body", f"the body did not arrive within {self.config.body_timeout:g} s") from None
        except ClientDisconnect:
            raise Refused(400, "bad_request", "the client went away before sending its body") from None
        try:
            return json.loads(data)
        except (ValueError, RecursionError) as e:  # UnicodeDecodeError is a ValueError; nesting past the stack
            raise Refused(400, "bad_request", f"the body is not JSON: {type(e).__name__}: {str(e)[:200]}") from None

    def limits(self, body: dict[str, Any], timeout_key: str = "timeout") -> tuple[float, int]:
        """The timeout and memory a request asks for, checked against this host's caps."""
        timeout = body.get(timeout_key, self.config.timeout)
        if not _number(timeout) or not 0 < timeout <= self.config.max_timeout:
            raise Refused(400, "bad_request", f"field {timeout_key!r} must be a number in (0, {self.config.max_timeout:g}]")
        memory = body.get("memory_mb", self.config.memory_mb)
        if not isinstance(memory, int) or isinstance(memory, bool) or not 0 < memory <= self.config.max_memory_mb:
            raise Refused(400, "bad_request", f"field 'memory_mb' must be an integer in [1, {self.config.max_memory_mb}]")
        return float(timeout), memory

    # --- running

    async def run(self, codes: list[str], timeout: float, memory_mb: int) -> list[ExecResult]:
        """Run admitted programs on the workers (results in order); each leaves the queue when it ends."""
        loop = asyncio.get_running_loop()
        admitted = time.monotonic()
        return await asyncio.gather(*(loop.run_in_executor(self._runs, self._run_one, code, timeout, memory_mb, admitted)
                                      for code in codes))

    def _run_one(self, code: str, timeout: float, memory_mb: int, admitted: float) -> ExecResult:
        try:
            result = self.sandbox.run(code, timeout=timeout, memory_mb=memory_mb)
        finally:
            with self._lock:
                self.pending -= 1
        self.metrics.record(result, time.monotonic() - admitted)
        return result

    async def open_session(self, timeout: float, memory_mb: int) -> str:
        self.refuse_if_draining()
        with self._lock:
            if len(self.sessions) + self._opening >= self.sandbox.session_capacity:
                raise Refused(429, "queue_full", f"all {self.sandbox.session_capacity} sessions of this host are open",
                              {"Retry-After": "1"})
            self._opening += 1
        try:
            session = await asyncio.get_running_loop().run_in_executor(
                self._session_calls, lambda: self.sandbox.session(timeout=timeout, memory_mb=memory_mb))
        finally:
            with self._lock:
                self._opening -= 1
        sid = secrets.token_urlsafe(16)
        self.sessions[sid] = _Open(session, time.monotonic())
        return sid

    async def run_in_session(self, sid: str, code: str, timeout: float) -> tuple[ExecResult, bool]:
        """One block's result and whether the session lives on (an ended one is closed here)."""
        self.refuse_if_draining()
        held = self.sessions.get(sid)
        if held is None:
            raise Refused(404, "not_found", "no such session on this host (closed, idle too long, "
                                            "or the host restarted)")
        started = held.used = time.monotonic()
        held.busy += 1
        try:
            result = await asyncio.get_running_loop().run_in_executor(
                self._session_calls, lambda: held.session.run(code, timeout=timeout))
        finally:
            held.busy -= 1
            held.used = time.monotonic()
        self.metrics.record(result, held.used - started)
        alive = held.session.alive
        if not alive:
            await self.close_session(sid)
        return result, alive

    async def close_session(self, sid: str) -> bool:
        with self._lock:
            held = self.sessions.pop(sid, None)
        if held is None:
            return False
        await asyncio.get_running_loop().run_in_executor(self._session_calls, held.session.close)
        return True

    async def reap_idle_sessions(self) -> None:
        """Close sessions unused for ``session_idle`` seconds: a client that died leaves its sessions behind."""
        while True:
            await asyncio.sleep(min(_REAP_EVERY_S, self.config.session_idle / 2))
            cutoff = time.monotonic() - self.config.session_idle
            for sid, held in list(self.sessions.items()):
                if held.busy == 0 and held.used < cutoff:
                    await self.close_session(sid)

    def health(self) -> dict[str, Any]:
        return {"status": "draining" if self.draining else "ok", "workers": self.sandbox.workers,
                "capacity": self.capacity, "pending": self.pending, "sessions": len(self.sessions),
                "session_capacity": self.sandbox.session_capacity, "mode": self.sandbox.mode}

    def metrics_text(self) -> str:
        workers = self.sandbox.workers
        return self.metrics.text({
            "queue_depth": ("Programs admitted and waiting for a worker.", max(0, self.pending - workers)),
            "in_flight": ("Programs admitted and not finished (running or waiting).", self.pending),
            "sessions_open": ("Sessions open on this host.", len(self.sessions)),
            "draining": ("1 while the host shuts down.", int(self.draining)),
        })

    def close(self) -> None:
        for held in list(self.sessions.values()):
            held.session.close()
        self.sessions.clear()
        self._runs.shutdown(wait=True)
        self._session_calls.shutdown(wait=True)
        self.sandbox.close()


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    # ASCII-escaped: a lone surrogate in a program's text can be sent back, where UTF-8 would fail to encode it
    return Response(json.dumps(payload, ensure_ascii=True), status, headers, media_type="application/json")


def result_json(result: ExecResult) -> dict[str, Any]:
    return asdict(result)
