"""The session worker's loop: many live sessions, each a process running one problem's blocks in order.

A worker started with ``sessions`` in its config loads the whole preamble (no light/heavy split: a
session forks once, not once per call) and hosts up to ``max_sessions`` session processes, forked
like single runs' children (same preamble, rlimits, no environment) under the "session" seccomp filter,
which also refuses every file write: sessions of one worker share no writable state, and single runs
live in other workers' sandboxes. One poll loop serves the host's requests and every session's pipes
and exit, so a block sleeping to its deadline holds up no other session. Frames (``_protocol``) carry
the host's request id ``rid`` and session id ``sid``:
  {"op": "open", "rid", "sid", "memory_mb", "cpu_budget_s"}  -> {"rid", "error": None | str}
  {"op": "run", "rid", "sid", "code", "timeout", "memory_mb"} -> {"rid", "ended": bool, **single-run response}
  {"op": "close", "rid", "sid"}                               -> {"rid"} (a call in flight is answered first)
As for single runs the worker trusts only what it observes: each report (bounded, ``_verdict``), the
exit (pidfd), its own clock. It writes to a session only through a non-blocking pipe, so a session
that stops reading cannot wedge it. Standard library only.
"""

from __future__ import annotations

import dataclasses
import io
import math
import os
import select
import signal
import time
from dataclasses import dataclass, field
from typing import Any

import _capture
import _child
import _protocol
import _verdict

_REPORT_MAX = 1 << 16  # bytes, as for single runs
_BLIND_POLL_S = 0.01  # without pidfds, how often exits are looked for


@dataclass
class _Session:
    sid: int
    pid: int
    request: int  # write end of its request pipe, non-blocking
    report: int  # read end of its report pipe
    pidfd: int | None
    capture: _capture.SharedCapture
    rid: int | None = None  # the call in flight
    timeout: float = 0.0
    started: float = 0.0
    outbox: bytes = b""  # the rest of the block, not yet taken by the session
    received: bytearray = field(default_factory=bytearray)
    listening: bool = True  # False once its report pipe is at end of file


class _Loop:
    def __init__(self, requests: int, responses: int, setup: _child.ChildSetup, config: dict[str, Any]):
        self.requests, self.responses, self.setup = requests, responses, setup
        self.max_sessions = int(config["max_sessions"])
        self.output_limit = int(config["output_limit"])
        self.sessions: dict[int, _Session] = {}
        self.ended: dict[int, str] = {}  # sessions that died between calls, until the host closes them

    def serve(self) -> None:
        while True:
            poller, owners = select.poll(), {}
            poller.register(self.requests, select.POLLIN)
            for s in self.sessions.values():
                watched = [(s.report, select.POLLIN)] if s.listening else []
                watched += [(s.pidfd, select.POLLIN)] if s.pidfd is not None else []
                watched += [(s.request, select.POLLOUT)] if s.outbox else []
                for fd, mask in watched:
                    poller.register(fd, mask)
                    owners[fd] = s
            for fd, _ in poller.poll(self._wait_ms()):
                if fd == self.requests:
                    request = _protocol.read_frame(self.requests)
                    if request is None:
                        return
                    getattr(self, "_" + request["op"])(request)
                    continue
                s = owners[fd]
                if self.sessions.get(s.sid) is not s:  # ended earlier in this round
                    continue
                if fd == s.report:
                    self._read_report(s)
                elif fd == s.pidfd:
                    self._exited(s)
                else:
                    self._send(s)
            self._look_around()

    # --- the host's requests

    def _open(self, request: dict[str, Any]) -> None:
        if len(self.sessions) >= self.max_sessions:
            self._respond(request["rid"], error=f"SandboxBusy: this worker already holds {self.max_sessions} sessions")
            return
        capture = _capture.SharedCapture(self.output_limit)
        setup = dataclasses.replace(self.setup, capture=capture,
                                    streams=(capture.writer(0), capture.writer(1), io.StringIO()))
        request_read, request_write = os.pipe()
        report_read, report_write = os.pipe()
        try:
            pid = os.fork()
        except OSError as e:
            for fd in (request_read, request_write, report_read, report_write):
                os.close(fd)
            capture.buf.close()
            self._respond(request["rid"], error=f"SandboxBusy: cannot start a session process ({e})")
            return
        if pid == 0:
            _child.serve_session(setup, request_read, report_write, request,
                                 [other.capture.buf for other in self.sessions.values()])
        os.close(request_read)
        os.close(report_write)
        os.set_blocking(request_write, False)
        try:
            pidfd: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pidfd = None
        self.sessions[request["sid"]] = _Session(request["sid"], pid, request_write, report_read, pidfd, capture)
        self._respond(request["rid"], error=None)

    def _run(self, request: dict[str, Any]) -> None:
        s = self.sessions.get(request["sid"])
        if s is None or s.rid is not None:
            why = self.ended.get(request["sid"], "no such session, or a call of it is still running")
            self._respond(request["rid"], ended=True, error=f"SessionEnded: {why}")
            return
        s.capture.reset()
        s.rid, s.timeout, s.started = request["rid"], float(request["timeout"]), time.monotonic()
        s.received.clear()
        s.outbox = _protocol.encode({k: request[k] for k in ("code", "timeout", "memory_mb")})
        self._send(s)

    def _close(self, request: dict[str, Any]) -> None:
        self.ended.pop(request["sid"], None)
        s = self.sessions.get(request["sid"])
        if s is not None:
            if s.rid is not None:
                stdout, _ = s.capture.read(0)
                self._respond(s.rid, ended=True, stdout=stdout, duration_s=time.monotonic() - s.started,
                              error="SessionEnded: the session was closed while this block ran")
            self._end(s)
        self._respond(request["rid"])

    # --- what the sessions do

    def _send(self, s: _Session) -> None:
        try:
            s.outbox = s.outbox[os.write(s.request, s.outbox):]
        except BlockingIOError:
            pass
        except OSError:  # it closed its end: it can take no block; its exit is reported like any other
            s.outbox = b""
            _kill(s.pid)

    def _read_report(self, s: _Session) -> None:
        chunk = os.read(s.report, _REPORT_MAX)
        if not chunk:  # it closed its end: it can report nothing more
            s.listening = False
            _kill(s.pid)
        elif s.rid is not None:  # bytes between calls are dropped
            s.received += chunk
            have = len(s.received)
            if have >= _REPORT_MAX or (have >= 4 and have >= 4 + int.from_bytes(s.received[:4], "big")):
                self._answer(s, done=True, alive=True)

    def _exited(self, s: _Session) -> None:
        if s.rid is None:
            self.ended[s.sid] = f"the session's process ended between calls ({self._status(s)})"
            self._end(s)
            return
        poller = select.poll()  # what it wrote before it died still counts
        poller.register(s.report, select.POLLIN)
        while s.listening and len(s.received) < _REPORT_MAX and poller.poll(0):
            chunk = os.read(s.report, _REPORT_MAX)
            s.received += chunk
            s.listening = bool(chunk)
        self._answer(s, done=True, alive=False)

    def _look_around(self) -> None:
        """The worker's clock ends calls past their limit; without pidfds, exits are found by waitpid."""
        now = time.monotonic()
        for s in list(self.sessions.values()):
            if s.rid is not None and now >= s.started + s.timeout:
                self._answer(s, done=False, alive=False)
            elif s.pidfd is None and os.waitpid(s.pid, os.WNOHANG)[0] != 0:
                s.pidfd = -1  # reaped: the status is gone, the exit is all there is to report
                self._exited(s)

    def _wait_ms(self) -> int:
        deadlines = [s.started + s.timeout for s in self.sessions.values() if s.rid is not None]
        left = min(deadlines, default=math.inf) - time.monotonic()
        if any(s.pidfd is None for s in self.sessions.values()):
            left = min(left, _BLIND_POLL_S)
        return -1 if left == math.inf else max(0, math.ceil(left * 1000))

    # --- answers and endings

    def _answer(self, s: _Session, done: bool, alive: bool) -> None:
        """Answer the call in flight; the session lives on only after a valid report of a block that
        did not run out of memory."""
        report = bytes(s.received)
        response = _verdict.response(s.capture, done, report, lambda: self._status_code(s), s.timeout,
                                     time.monotonic() - s.started)
        alive = alive and _verdict.verdict(report) is not None and not response["memory_exceeded"]
        self._respond(s.rid, ended=not alive, **response)
        s.rid = None
        if not alive:
            self._end(s)

    def _status_code(self, s: _Session) -> int:
        _kill(s.pid)
        try:
            return os.waitpid(s.pid, 0)[1]
        except ChildProcessError:  # reaped already (no pidfd)
            return 0

    def _status(self, s: _Session) -> str:
        return _verdict.describe_exit(self._status_code(s), s.timeout)

    def _end(self, s: _Session) -> None:
        """Kill and reap the session's process, close its pipes and unmap its output: its slot is free."""
        _kill(s.pid)
        try:
            os.waitpid(s.pid, 0)
        except ChildProcessError:
            pass
        for fd in (s.request, s.report, s.pidfd):
            if fd is not None and fd >= 0:
                os.close(fd)
        s.capture.buf.close()
        del self.sessions[s.sid]

    def _respond(self, rid: int, **fields: Any) -> None:
        _protocol.write_frame(self.responses, {"rid": rid, **fields})


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def serve(requests: int, responses: int, setup: _child.ChildSetup, config: dict[str, Any]) -> None:
    """Serve sessions until the host closes the request pipe."""
    _Loop(requests, responses, setup, config).serve()
