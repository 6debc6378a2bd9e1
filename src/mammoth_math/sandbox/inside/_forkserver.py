"""The single-run fork server: the one process that forks programs' children, and one that never
handles a program's code or output.

A process that has read a request frame, a report or a capture keeps that text in its heap (freed
pages included), and a child forked from it inherits all of it: a later program could scan its own
memory for what earlier programs ran and printed. So each single-run worker (light and heavy) splits
before its first request: the worker itself becomes the *relay* (it talks to the host, hands each
program to its child, reads the report and the capture) and this fork server, holding only the
preamble and the config, forks the children. Per child it makes the two pipes, forks, and passes the
relay's ends over a Unix socket (SCM_RIGHTS); no program byte ever passes through it. The next child is
forked while the current one runs, so the two output captures made before the split take turns: each
child unmaps the other, and a capture is zeroed before its next child, forked only once the child that
used it before has exited. It is the
children's parent and subreaper, so it also reaps them and the processes they leave, on the relay's
word (sendmsg and recvmsg only: the worker's filter allows no other socket call). Commands (one
datagram each, a pid as 4 bytes big-endian):
  b"F"        -> the child's pid and capture number (one byte), with its request pipe's write end and
                 report pipe's read end
  b"R" + pid  -> its wait status, once it is killed and reaped with every process it left behind
  b"P" + pid  -> its wait status if it has exited (reaped), else -1: for kernels without pidfds
  b"D" + pid  -> no answer: reap it, already exited (the relay saw its pidfd), off the relay's path
Standard library only.
"""

from __future__ import annotations

import dataclasses
import io
import os
import signal
import socket

import _capture
import _child

_PR_SET_CHILD_SUBREAPER = 36
_STATUS = 4  # bytes of a pid or a wait status


class ForkServer:
    """The relay's handle on its fork server; its methods block until the server answers."""

    def __init__(self, setup: _child.ChildSetup, drop: tuple[int, ...], captures: list[_capture.SharedCapture]):
        """Fork the server; ``drop``: the relay's descriptors it must not hold (the host's pipes), each
        replaced by /dev/null so that their numbers stay taken (a child's pipes must not get them);
        ``captures``: the two output captures the children take in turn."""
        self._sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._asked = False  # a b"F" is out and its answer not read yet (answers come in order)
        self._spawned: tuple[int, int, int, int] | None = None

        def server() -> None:
            self._sock.close()
            for fd in drop:
                os.dup2(0, fd)
            _serve(theirs, setup, captures)

        _child.fork_helper(server)
        theirs.close()

    def spawn(self) -> tuple[int, int, int, int]:
        """A new child, locked down and waiting for its program: ``(pid, capture number, request write end,
        report read end)``; the one asked for by ``ask_spawn`` if there is one."""
        if not self._asked and self._spawned is None:
            self.ask_spawn()
        self._collect()
        spawned, self._spawned = self._spawned, None
        assert spawned is not None
        return spawned

    def ask_spawn(self) -> None:
        """Have the next child forked now, while the relay cleans up after the last; ``spawn`` takes it."""
        self._sock.sendmsg([b"F"])
        self._asked = True

    def reap_later(self, pid: int) -> None:
        """Reap ``pid``, which has exited (its pidfd said so), without waiting for the server."""
        self._sock.sendmsg([b"D" + pid.to_bytes(_STATUS, "big")])

    def _collect(self) -> None:
        if not self._asked:
            return
        self._asked = False
        data, fds, _, _ = socket.recv_fds(self._sock, _STATUS + 1, 2)
        if len(data) != _STATUS + 1 or len(fds) != 2:
            raise RuntimeError("the fork server could not start a child")
        self._spawned = (int.from_bytes(data[:_STATUS], "big"), data[_STATUS], fds[0], fds[1])

    def reap(self, pid: int) -> int:
        """Kill ``pid`` and whatever it left, reap them all; its wait status."""
        return self._ask(b"R", pid)

    def poll(self, pid: int) -> int | None:
        """``pid``'s wait status if it has exited, else None."""
        status = self._ask(b"P", pid)
        return None if status < 0 else status

    def _ask(self, op: bytes, pid: int) -> int:
        self._collect()  # a fork's answer comes first
        self._sock.sendmsg([op + pid.to_bytes(_STATUS, "big")])
        answer = self._sock.recvmsg(_STATUS)[0]
        if len(answer) != _STATUS:
            raise EOFError("the fork server exited")
        return int.from_bytes(answer, "big", signed=True)


def _serve(sock: socket.socket, setup: _child.ChildSetup, captures: list[_capture.SharedCapture]) -> None:
    _child.prctl(_PR_SET_CHILD_SUBREAPER, 1)
    live: set[int] = set()  # children not reaped yet: the only pids this server signals or waits for
    exited: dict[int, int] = {}  # wait statuses of children a poll reaped, until their reap
    forked = 0
    # Each capture's child setup, its streams included, built once here: a child that built its own would
    # copy (fork's copy-on-write) the pages that building touches, ~0.2 ms a program. This server never
    # writes to these streams, so every child starts with them as new.
    setups = [dataclasses.replace(setup, capture=c, streams=(c.writer(0), c.writer(1), io.StringIO()))
              for c in captures]
    while command := sock.recvmsg(1 + _STATUS)[0]:
        op, pid = command[:1], int.from_bytes(command[1:], "big")
        if op == b"F":
            turn = forked % len(captures)
            child, fds = _fork(setups[turn], captures, turn)
            forked += 1
            live.add(child)
            socket.send_fds(sock, [child.to_bytes(_STATUS, "big") + bytes([turn])], fds)
            for fd in fds:
                os.close(fd)
            continue
        if op == b"D":
            if pid in live:
                live.discard(pid)
                _kill_and_reap(pid)
            continue
        if op == b"P" and pid in live:
            reaped, status = os.waitpid(pid, os.WNOHANG)
            if reaped == pid:
                live.discard(pid)
                exited[pid] = status
            else:
                status = -1
        elif op == b"P":
            status = exited.get(pid, 0)
        else:
            if pid in live:
                live.discard(pid)
                exited[pid] = _kill_and_reap(pid)
            status = exited.pop(pid, 0)
            _reap_strays()
        sock.sendmsg([status.to_bytes(_STATUS, "big", signed=True)])
    for pid in live:
        _kill_and_reap(pid)


def _fork(setup: _child.ChildSetup, captures: list[_capture.SharedCapture], turn: int) -> tuple[int, list[int]]:
    """Fork the next child with capture ``turn`` (``setup`` is that capture's); it locks itself down and waits
    for its request on a pipe."""
    capture = captures[turn]
    capture.clear()  # zeroed, not just reset: the child can read the whole mapping
    request_read, request_write = os.pipe()
    report_read, report_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        _child.serve(setup, request_read, report_write, [c.buf for c in captures if c is not capture])
    os.close(request_read)
    os.close(report_write)
    try:
        os.setpgid(pid, pid)  # its own group (killed whole), before its program can arrive
    except OSError:
        pass
    return pid, [request_write, report_read]


def kill(pid: int) -> None:
    """SIGKILL ``pid``'s group and ``pid``, whichever exist (the relay's, while the child is unreaped)."""
    for send in (os.killpg, os.kill):
        try:
            send(pid, signal.SIGKILL)
        except OSError:
            pass


def _kill_and_reap(pid: int) -> int:
    kill(pid)
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return 0


def _reap_strays() -> None:
    """Kill and reap processes that left the child's group: as subreaper, orphans become ours."""
    path = f"/proc/self/task/{os.getpid()}/children"
    for _ in range(100):
        try:
            with open(path) as f:
                pids = [int(p) for p in f.read().split()]
        except OSError:
            pids = []
        for pid in pids:
            _kill_and_reap(pid)
        while True:  # zombies already handed to us
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        if not pids:
            return
