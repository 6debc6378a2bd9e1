"""The client of ``mammoth-math sandbox serve``: ``RemoteSandbox`` runs programs and sessions on sandbox hosts
behind ``Sandbox``'s interface, and ``open_sandbox`` picks one or the other (``$MAMMOTH_SANDBOX_URL``, which
the command line's ``--sandbox-url`` sets, names the hosts).

Work goes to the least-loaded live host (this client's programs in flight there, per worker); a host that
cannot be reached or answers 5xx is set aside for a while and the work is sent to another (programs are pure
functions of their text, so running one again elsewhere is safe); a full queue (429) is retried after its
``Retry-After``. A session stays on the host that opened it: when that host fails, the block gets a
``SandboxError`` result and later blocks ``SessionEnded``, as when a local session worker dies. Whatever
cannot be served raises ``SandboxError`` naming each host and why: never a made-up result.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from mammoth_math.progress import bar
from mammoth_math.sandbox._process import SandboxError
from mammoth_math.sandbox.pool import Sandbox
from mammoth_math.sandbox.program import prepare
from mammoth_math.sandbox.result import ExecResult, from_response

if TYPE_CHECKING:
    import httpx

URL_ENV = "MAMMOTH_SANDBOX_URL"
TOKEN_ENV = "MAMMOTH_SANDBOX_TOKEN"
_GRACE_S = 30.0  # past the work's own time limit, how long to wait for a host's answer
_DOWN_S = 10.0  # how long a failed host is passed over before it is tried again
_BUSY_WAIT_S = 600.0  # how long to keep retrying when every host's queue is full
_RESULT_FIELDS = {f.name for f in fields(ExecResult)}


@dataclass
class _Host:
    url: str
    workers: int = 1
    capacity: int = 1  # programs it admits at once
    session_capacity: int = 1
    in_flight: int = 0  # this client's programs there now
    sessions: int = 0  # this client's sessions there now
    down_until: float = 0.0  # time.monotonic() before which it is passed over
    error: str = ""  # why it was last set aside


def parse_urls(urls: str | Sequence[str]) -> list[str]:
    """``"http://a:8790,http://b:8790"`` (or a list) as URLs without a trailing slash; ``ValueError`` on a bad one."""
    parts = urls.split(",") if isinstance(urls, str) else list(urls)
    out = [u.strip().rstrip("/") for u in parts if u.strip()]
    if not out:
        raise ValueError("no sandbox URL given")
    for u in out:
        if not u.startswith(("http://", "https://")):
            raise ValueError(f"sandbox URL {u!r} must start with http:// or https://")
    return out


class RemoteSandbox:
    """``Sandbox``'s interface (``run``, ``run_many``, ``session``, ``workers``, ``session_capacity``) over sandbox
    hosts. ``token`` defaults to ``$MAMMOTH_SANDBOX_TOKEN``; limits are the hosts' unless given here."""

    def __init__(self, urls: str | Sequence[str], timeout: float = 5.0, memory_mb: int = 1024, *,
                 token: str | None = None, connect_timeout: float = 10.0):
        import httpx

        if timeout <= 0 or memory_mb <= 0:
            raise ValueError("timeout and memory_mb must be positive")
        self.timeout, self.memory_mb = float(timeout), int(memory_mb)
        self.hosts = [_Host(u) for u in parse_urls(urls)]
        self.mode = "remote"
        token = token or os.environ.get(TOKEN_ENV)
        self._client = httpx.Client(headers={"Authorization": f"Bearer {token}"} if token else {},
                                    timeout=httpx.Timeout(_GRACE_S, connect=connect_timeout),
                                    limits=httpx.Limits(max_connections=512, max_keepalive_connections=128))
        self._lock = threading.Lock()
        self._started = False

    # --- lifecycle

    def start(self) -> RemoteSandbox:
        """Ask every host for its size; raises ``SandboxError`` when none answers."""
        with self._lock:
            if self._started:
                return self
            for host in self.hosts:
                try:
                    r = self._client.get(f"{host.url}/health")
                    info = r.json()
                    host.workers, host.capacity = int(info["workers"]), int(info["capacity"])
                    host.session_capacity = int(info["session_capacity"])
                    if r.status_code != 200:
                        raise ValueError(f"status {info.get('status')!r}")
                except Exception as e:  # unreachable, draining, or not a sandbox host
                    self._set_aside(host, f"health check failed: {type(e).__name__}: {e}")
            if all(h.error for h in self.hosts):
                raise SandboxError("no sandbox host answered: " + "; ".join(f"{h.url}: {h.error}" for h in self.hosts))
            self._started = True
        return self

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> RemoteSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def workers(self) -> int:
        """Workers of the live hosts: how many programs run at once."""
        return sum(h.workers for h in self._live()) or 1

    @property
    def session_capacity(self) -> int:
        return sum(h.session_capacity for h in self._live()) or 1

    def _live(self) -> list[_Host]:
        self.start()
        now = time.monotonic()
        return [h for h in self.hosts if h.down_until <= now] or self.hosts

    # --- choosing a host

    def _set_aside(self, host: _Host, why: str) -> None:
        host.down_until, host.error = time.monotonic() + _DOWN_S, why

    def _pick(self, tried: set[str], load: Callable[[_Host], float]) -> _Host | None:
        """The least-loaded host not yet tried for this work; one set aside only when no other is left."""
        now = time.monotonic()
        candidates = [h for h in self.hosts if h.url not in tried]
        live = [h for h in candidates if h.down_until <= now]
        if live:
            return min(live, key=load)  # ties: the first listed
        return min(candidates, key=lambda h: h.down_until, default=None)

    def post(self, path: str, payload: dict[str, Any], wait_s: float, programs: int = 0,
             sessions: int = 0) -> tuple[_Host, Any]:
        """``payload`` posted to the least-loaded host (by ``programs`` in flight per worker, or by sessions when
        ``sessions``), failing over and waiting out full queues; returns the host and its JSON answer, or raises
        ``SandboxError``."""
        self.start()
        tried: set[str] = set()
        errors: list[str] = []
        retry_after = 0.0  # > 0: a host of this round answered 429 (its queue frees soon) and asked to wait this long
        busy_since = time.monotonic()
        while True:
            with self._lock:
                chosen = self._pick(tried, _session_load if sessions else _program_load)
                if chosen is not None:
                    chosen.in_flight += programs
                    chosen.sessions += sessions
            if chosen is None:
                if retry_after and time.monotonic() - busy_since < _BUSY_WAIT_S:  # every host tried: the next round
                    time.sleep(retry_after)
                    retry_after, tried = 0.0, set()
                    continue
                raise SandboxError(f"no sandbox host could serve {path}: " + "; ".join(errors[-2 * len(self.hosts):]))
            try:
                r = self._client.post(f"{chosen.url}{path}", json=payload, timeout=wait_s)
            except Exception as e:  # httpx.TransportError, and anything else the connection raised
                self._set_aside(chosen, f"{type(e).__name__}: {e}")
                errors.append(f"{chosen.url}: {type(e).__name__}: {e}")
                tried.add(chosen.url)
                continue
            finally:
                with self._lock:
                    chosen.in_flight -= programs
                    chosen.sessions -= sessions
            answer = _json(r)
            if r.status_code in (200, 201):
                return chosen, answer
            why = answer.get("error") if isinstance(answer, dict) else None
            tried.add(chosen.url)
            if r.status_code == 429:
                errors.append(f"{chosen.url}: queue full ({why})")
                retry_after = max(retry_after, min(_retry_after(r), 5.0))
                continue
            if r.status_code >= 500:  # draining (503) or broken: another host takes the work
                self._set_aside(chosen, f"HTTP {r.status_code}: {why}")
                errors.append(f"{chosen.url}: HTTP {r.status_code}: {why}")
                continue
            raise SandboxError(f"{chosen.url}{path} refused the request: HTTP {r.status_code}: {why}")

    # --- running programs

    def run(self, code: str | bytes, *, timeout: float | None = None, memory_mb: int | None = None) -> ExecResult:
        """Run one program on some host; never raises for anything the program does."""
        text, error = _text(code)
        if text is None:
            return ExecResult("", error, False, None, 0.0)
        return self._batch([text], timeout, memory_mb)[0]

    def _batch(self, texts: list[str], timeout: float | None, memory_mb: int | None) -> list[ExecResult]:
        limit = self.timeout if timeout is None else float(timeout)
        payload = {"programs": texts, "timeout": limit, "memory_mb": memory_mb or self.memory_mb}
        capacity = max(h.capacity for h in self.hosts)
        host, answer = self.post("/v1/run", payload, _GRACE_S + limit * (len(texts) + capacity), len(texts))
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list) or len(results) != len(texts):
            raise SandboxError(f"{host.url} answered /v1/run without one result per program")
        return [_result(host, r) for r in results]

    def run_many(self, codes: Iterable[str | bytes], progress: bool = False, *,
                 timeout: float | None = None) -> list[ExecResult]:
        """Run many programs across the hosts in batches; results in input order."""
        codes = list(codes)
        results: list[ExecResult | None] = [None] * len(codes)
        todo: list[tuple[int, str]] = []
        for i, code in enumerate(codes):
            text, error = _text(code)
            if text is None:
                results[i] = ExecResult("", error, False, None, 0.0)
            else:
                todo.append((i, text))
        if todo:
            live = self._live()
            # Batches small enough that each host holds four or more of them (its workers never wait for the
            # slowest program of one batch), and few enough in flight to stay inside its queue.
            size = max(1, min(min(h.capacity for h in live) // 4, math.ceil(len(todo) / (4 * self.workers))))
            chunks = [todo[i:i + size] for i in range(0, len(todo), size)]
            threads = max(1, sum(h.capacity for h in live) // size)
            with bar("sandbox", len(todo), progress) as b, ThreadPoolExecutor(threads) as pool:
                for chunk, done in zip(chunks, pool.map(lambda c: self._batch([t for _, t in c], timeout, None), chunks)):
                    for (i, _), result in zip(chunk, done):
                        results[i] = result
                    b.advance(len(chunk))
        return results  # type: ignore[return-value]

    def session(self, *, timeout: float | None = None, memory_mb: int | None = None) -> RemoteSession:
        """A session on the host with the fewest of this client's sessions; it stays there (see the module)."""
        limit = self.timeout if timeout is None else float(timeout)
        host, answer = self.post("/v1/sessions", {"timeout": limit, "memory_mb": memory_mb or self.memory_mb},
                                 _GRACE_S + 60, sessions=1)
        sid = answer.get("session") if isinstance(answer, dict) else None
        if not isinstance(sid, str):
            raise SandboxError(f"{host.url} answered /v1/sessions without a session id")
        with self._lock:
            host.sessions += 1
        return RemoteSession(self, host, sid, limit)


def _program_load(host: _Host) -> float:
    return host.in_flight / max(1, host.workers)


def _session_load(host: _Host) -> float:
    return host.sessions / max(1, host.session_capacity)


def _json(r: httpx.Response) -> Any:
    try:
        return r.json()
    except ValueError:
        return None


def _retry_after(r: httpx.Response) -> float:
    try:
        return max(0.1, float(r.headers.get("retry-after", "1")))
    except ValueError:
        return 1.0


def _text(code: str | bytes) -> tuple[str | None, str | None]:
    """The text to send (bytes decoded, nothing unwrapped: the host prepares it as ``Sandbox.run`` would), or the
    error ``Sandbox.run`` gives for input that cannot be a program."""
    _, error = prepare(code)
    if error is not None:
        return None, error
    return (bytes(code).decode("utf-8-sig") if isinstance(code, (bytes, bytearray)) else code), None


def _result(host: _Host, r: Any) -> ExecResult:
    if not isinstance(r, dict) or not _RESULT_FIELDS <= r.keys():
        raise SandboxError(f"{host.url} sent a result that is not an ExecResult")
    return from_response(r)


class RemoteSession:
    """``SandboxSession``'s interface for a session on one host (``url``)."""

    def __init__(self, owner: RemoteSandbox, host: _Host, sid: str, timeout: float):
        self.timeout, self.url = timeout, host.url
        self._owner, self._host, self._sid = owner, host, sid
        self._ended: str | None = None
        self._calls = threading.Lock()
        self._closed = False

    @property
    def alive(self) -> bool:
        return self._ended is None

    def run(self, code: str | bytes, *, timeout: float | None = None) -> ExecResult:
        """Run one block in the session; never raises for anything the block does."""
        text, error = _text(code)
        if text is None:
            return ExecResult("", error, False, None, 0.0)
        limit = self.timeout if timeout is None else float(timeout)
        with self._calls:
            if self._ended is not None:
                return ExecResult("", f"SessionEnded: {self._ended}", False, None, 0.0)
            try:
                r = self._owner._client.post(f"{self.url}/v1/sessions/{self._sid}/run",
                                             json={"code": text, "timeout": limit}, timeout=limit + _GRACE_S)
            except Exception as e:  # the host died or cannot be reached: the session's state is gone with it
                self._owner._set_aside(self._host, f"{type(e).__name__}: {e}")
                self._ended = f"its sandbox host {self.url} failed"
                return ExecResult("", f"SandboxError: the host {self.url} running this session failed "
                                      f"({type(e).__name__})", False, None, 0.0)
            answer = _json(r)
            why = answer.get("error") if isinstance(answer, dict) else None
            if r.status_code == 200:
                result = _result(self._host, answer.get("result"))
                if answer.get("alive") is not True:
                    self._ended = f"an earlier block ended it ({result.error or 'no reason given'})"
                return result
            if r.status_code in (404, 503) or r.status_code >= 500:  # gone, draining, or broken
                self._ended = f"its sandbox host {self.url} answered HTTP {r.status_code}"
                return ExecResult("", f"SessionEnded: {why or self._ended}", False, None, 0.0)
            raise SandboxError(f"{self.url} refused a session block: HTTP {r.status_code}: {why}")

    def close(self) -> None:
        """End the session on its host (idempotent; a host that is gone has ended it already)."""
        with self._owner._lock:
            if self._closed:
                return
            self._closed = True
            self._host.sessions -= 1
        self._ended = self._ended or "the session was closed"
        try:
            self._owner._client.delete(f"{self.url}/v1/sessions/{self._sid}", timeout=_GRACE_S)
        except Exception:  # the host is gone, and the session with it
            pass

    def __enter__(self) -> RemoteSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_sandbox(timeout: float = 5.0, memory_mb: int = 1024, workers: int | None = None, *,
                 url: str | Sequence[str] | None = None) -> Sandbox | RemoteSandbox:
    """Where programs run: the sandbox hosts at ``url`` (default ``$MAMMOTH_SANDBOX_URL``), else a ``Sandbox`` in
    this process with ``workers`` workers (the hosts size their own)."""
    url = url or os.environ.get(URL_ENV)
    if url:
        return RemoteSandbox(url, timeout=timeout, memory_mb=memory_mb)
    return Sandbox(timeout=timeout, memory_mb=memory_mb, workers=workers)
