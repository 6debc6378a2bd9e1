"""The session worker: many live sessions, each a process running one problem's blocks in order.

A worker started with ``max_sessions`` in its config loads the whole preamble (no light/heavy split: a
session forks once, not once per call) and splits in two before it sees any request:
- the *fork server* forks session processes on demand (like single runs' children: same preamble,
  rlimits, no environment, plus the "session" seccomp filter, which refuses every file write) and reaps
  them. It never handles a session's code or output, so a session inherits no other session's data
  through its memory (a process that has passed such text on keeps it in freed heap pages);
- the *relay* (the worker itself) serves the host and every session at once in one poll loop, so a block sleeping
  to its deadline holds up no other session.
Each of the ``max_sessions`` slots is a request pipe, a report pipe and an output capture, all made
before the split; a session process keeps its slot's and drops every other slot's. A freed slot is
drained before its next session. Host frames (``_protocol``) carry a request id ``rid`` and a session
id ``sid``:
  {"op": "open", "rid", "sid", "memory_mb", "cpu_budget_s"}  -> {"rid", "error": None | str}
  {"op": "run", "rid", "sid", "code", "timeout", "memory_mb"} -> {"rid", "ended": bool, **single-run response}
  {"op": "close", "rid", "sid"}                               -> {"rid"} once the process is gone (a call in
                                                                 flight is answered first)
As for single runs the relay trusts only what it observes: each report (bounded, ``_verdict``), the
exit (reported by the fork server, its parent), its own clock. It writes to a session only through a
non-blocking pipe, so a session that stops reading cannot wedge it. Standard library only.
"""

from __future__ import annotations

import dataclasses
import io
import math
import os
import select
import time
from dataclasses import dataclass, field
from typing import Any

import _capture
import _child
import _forkserver
import _protocol
import _verdict

_BLIND_POLL_S = 0.01  # without pidfds, how often the fork server looks for exits


@dataclass
class _Slot:
    """One session's pipes and output capture, reused by the next session once drained."""

    index: int
    request_read: int  # kept by the relay only to drain it
    request_write: int  # non-blocking
    report_read: int
    report_write: int  # the session's end (closed in the relay)
    capture: _capture.SharedCapture
    sid: int | None = None  # the session holding it, until its process is reaped
    pid: int | None = None
    generation: int = 0  # counts freed sessions: a poll event of an earlier one is ignored
    opening: int | None = None  # rid of the open waiting for the fork server
    closing: list[int] = field(default_factory=list)  # rids of closes waiting for the exit
    ending: bool = False  # killed or ended: no more calls, freed at the exit
    rid: int | None = None  # the call in flight
    timeout: float = 0.0
    started: float = 0.0
    outbox: bytes = b""  # the rest of the block, not yet taken by the session
    received: bytearray = field(default_factory=bytearray)

    @classmethod
    def make(cls, index: int, output_limit: int) -> _Slot:
        request_read, request_write = os.pipe()
        report_read, report_write = os.pipe()
        return cls(index, request_read, request_write, report_read, report_write, _capture.SharedCapture(output_limit))


def serve(requests: int, responses: int, setup: _child.ChildSetup, config: dict[str, Any]) -> None:
    """Split into the fork server and the relay, then relay until the host closes the request pipe."""
    slots = [_Slot.make(i, int(config["output_limit"])) for i in range(int(config["max_sessions"]))]
    command_read, command_write = os.pipe()
    message_read, message_write = os.pipe()

    def fork_server() -> None:
        for fd in (requests, responses, command_write, message_read):
            os.close(fd)
        _fork_server(command_read, message_write, slots, setup)

    _child.fork_helper(fork_server)
    for fd in (command_read, message_write, *(slot.report_write for slot in slots)):
        os.close(fd)
    for slot in slots:
        os.set_blocking(slot.request_write, False)
    _Relay(requests, responses, command_write, message_read, slots).serve()


# --- the fork server: forks, kills and reaps session processes; sees no session's code or output

def _fork_server(commands: int, messages: int, slots: list[_Slot], setup: _child.ChildSetup) -> None:
    children: dict[int, int | None] = {}  # pid -> pidfd
    while True:
        poller = select.poll()
        poller.register(commands, select.POLLIN)
        for pidfd in children.values():
            if pidfd is not None:
                poller.register(pidfd, select.POLLIN)
        blind = None in children.values()
        ready = {fd for fd, _ in poller.poll(_BLIND_POLL_S * 1000 if blind else -1)}
        if commands in ready:
            command = _protocol.read_frame(commands)
            if command is None:
                for pid in children:
                    _forkserver.kill(pid)
                return
            if command["op"] == "fork":
                _protocol.write_frame(messages, _fork(command, slots, setup, children))
            elif command["pid"] in children:  # "kill": only an unreaped child, so never a reused pid
                _forkserver.kill(command["pid"])
        for pid, pidfd in list(children.items()):
            if pidfd is None or pidfd in ready:
                reaped, status = os.waitpid(pid, os.WNOHANG)
                if reaped == pid:
                    if pidfd is not None:
                        os.close(pidfd)
                    del children[pid]
                    _protocol.write_frame(messages, {"exited": pid, "status": status})


def _fork(command: dict[str, Any], slots: list[_Slot], setup: _child.ChildSetup,
          children: dict[int, int | None]) -> dict[str, Any]:
    slot = slots[command["slot"]]
    capture = slot.capture
    setup = dataclasses.replace(setup, capture=capture, streams=(capture.writer(0), capture.writer(1), io.StringIO()))
    try:
        pid = os.fork()
    except OSError as e:
        return {"slot": slot.index, "error": f"SandboxBusy: cannot start a session process ({e})"}
    if pid == 0:
        _child.serve_session(setup, slot.request_read, slot.report_write, command,
                             [other.capture.buf for other in slots if other is not slot])
    try:
        children[pid] = os.pidfd_open(pid)
    except (AttributeError, OSError):
        children[pid] = None
    return {"slot": slot.index, "pid": pid}


# --- the relay: the host's requests, the sessions' blocks and reports, the fork server's news

class _Relay:
    def __init__(self, requests: int, responses: int, commands: int, messages: int, slots: list[_Slot]):
        self.requests, self.responses, self.commands, self.messages = requests, responses, commands, messages
        self.slots = slots
        self.ended: dict[int, str] = {}  # why a session is over, until the host closes it

    def serve(self) -> None:
        while True:
            poller, owners = select.poll(), {}
            poller.register(self.requests, select.POLLIN)
            poller.register(self.messages, select.POLLIN)
            for slot in self.slots:
                if slot.pid is not None and not slot.ending:
                    poller.register(slot.report_read, select.POLLIN)
                    owners[slot.report_read] = (slot, slot.generation)
                    if slot.outbox:
                        poller.register(slot.request_write, select.POLLOUT)
                        owners[slot.request_write] = (slot, slot.generation)
            for fd, _ in poller.poll(self._wait_ms()):
                if fd == self.requests:
                    request = _protocol.read_frame(self.requests)
                    if request is None:
                        return
                    {"open": self._open, "run": self._run, "close": self._close}[request["op"]](request)
                elif fd == self.messages:
                    self._news(_protocol.read_frame(self.messages))
                else:
                    slot, generation = owners[fd]
                    if slot.generation != generation or slot.ending:  # it ended or was freed earlier in this round
                        continue
                    if fd == slot.report_read:
                        self._read_report(slot)
                    else:
                        self._send(slot)
            now = time.monotonic()
            for slot in self.slots:  # the relay's clock ends calls past their limit
                if slot.rid is not None and now >= slot.started + slot.timeout:
                    self._answer(slot, done=False, status=0)

    # --- the host's requests

    def _open(self, request: dict[str, Any]) -> None:
        slot = next((s for s in self.slots if s.sid is None), None)
        if slot is None:
            self._respond(request["rid"], error=f"SandboxBusy: this worker holds {len(self.slots)} sessions")
            return
        slot.sid, slot.opening = request["sid"], request["rid"]
        _protocol.write_frame(self.commands, {"op": "fork", "slot": slot.index, "memory_mb": request["memory_mb"],
                                              "cpu_budget_s": request["cpu_budget_s"]})

    def _run(self, request: dict[str, Any]) -> None:
        slot = self._slot(request["sid"])
        if slot is None or slot.ending or slot.pid is None or slot.rid is not None:
            why = self.ended.get(request["sid"], "no such session, or a call of it is still running")
            self._respond(request["rid"], ended=True, error=f"SessionEnded: {why}")
            return
        slot.capture.reset()
        slot.rid, slot.timeout, slot.started = request["rid"], float(request["timeout"]), time.monotonic()
        slot.received.clear()
        slot.outbox = _protocol.encode({k: request[k] for k in ("code", "timeout", "memory_mb")})
        self._send(slot)

    def _close(self, request: dict[str, Any]) -> None:
        self.ended.pop(request["sid"], None)
        slot = self._slot(request["sid"])
        if slot is None:
            self._respond(request["rid"])
            return
        if slot.rid is not None:
            stdout, _ = slot.capture.read(0)
            self._respond(slot.rid, ended=True, stdout=stdout, duration_s=time.monotonic() - slot.started,
                          error="SessionEnded: the session was closed while this block ran")
            slot.rid = None
        slot.closing.append(request["rid"])
        self._end(slot, "the session was closed")

    # --- the sessions and the fork server

    def _send(self, slot: _Slot) -> None:
        try:
            slot.outbox = slot.outbox[os.write(slot.request_write, slot.outbox):]
        except BlockingIOError:
            pass

    def _read_report(self, slot: _Slot) -> None:
        chunk = os.read(slot.report_read, _verdict.REPORT_MAX)
        if slot.rid is None:  # bytes between calls are dropped
            return
        slot.received += chunk
        if _verdict.report_complete(slot.received):
            self._answer(slot, done=True, status=None)

    def _news(self, message: dict[str, Any] | None) -> None:
        if message is None:
            raise RuntimeError("the session fork server exited")
        if "exited" in message:
            for slot in self.slots:
                if slot.pid == message["exited"]:
                    self._exited(slot, int(message["status"]))
            return
        slot = self.slots[message["slot"]]
        rid, slot.opening = slot.opening, None
        if "error" in message:
            slot.sid = None
        else:
            slot.pid = message["pid"]
        self._respond(rid, error=message.get("error"))

    def _exited(self, slot: _Slot, status: int) -> None:
        """The fork server reaped the session's process: answer a call it was running, free the slot."""
        if slot.rid is not None:
            # what it wrote before it died
            while len(slot.received) < _verdict.REPORT_MAX and _protocol.readable(slot.report_read):
                chunk = os.read(slot.report_read, _verdict.REPORT_MAX)
                if not chunk:  # every writer gone: nothing more will come
                    break
                slot.received += chunk
            self._answer(slot, done=True, status=status)
        elif not slot.ending and slot.sid is not None:
            self.ended[slot.sid] = f"its process ended between calls ({_verdict.describe_exit(status, slot.timeout)})"
        for rid in slot.closing:
            self._respond(rid)
        for fd in (slot.report_read, slot.request_read):  # nothing of this session reaches the next
            while _protocol.readable(fd) and os.read(fd, 1 << 16):
                pass
        slot.capture.clear()
        slot.sid = slot.pid = slot.rid = None
        slot.closing, slot.ending, slot.outbox = [], False, b""
        slot.received.clear()
        slot.generation += 1  # its report event of this round, if any, is drained: reading it again would block

    def _answer(self, slot: _Slot, done: bool, status: int | None) -> None:
        """Answer the call in flight; ``status``: the exit status once reaped, else None (it still lives).
        The session lives on only after a valid report of a block that did not run out of memory."""
        report = bytes(slot.received)
        response = _verdict.response(slot.capture, done, report, lambda: status or 0, slot.timeout,
                                     time.monotonic() - slot.started)
        alive = status is None and done and _verdict.verdict(report) is not None and not response["memory_exceeded"]
        self._respond(slot.rid, ended=not alive, **response)
        slot.rid = None
        if not alive:
            self._end(slot, f"an earlier block ended it ({response['error']})")

    def _end(self, slot: _Slot, why: str) -> None:
        if slot.sid is not None and slot.sid not in self.ended:
            self.ended[slot.sid] = why
        if not slot.ending and slot.pid is not None:
            slot.ending = True
            _protocol.write_frame(self.commands, {"op": "kill", "pid": slot.pid})

    def _slot(self, sid: int) -> _Slot | None:
        return next((s for s in self.slots if s.sid == sid), None)

    def _wait_ms(self) -> int:
        deadlines = [s.started + s.timeout for s in self.slots if s.rid is not None]
        left = min(deadlines, default=math.inf) - time.monotonic()
        return -1 if left == math.inf else max(0, math.ceil(left * 1000))

    def _respond(self, rid: int, **fields: Any) -> None:
        _protocol.write_frame(self.responses, {"rid": rid, **fields})
