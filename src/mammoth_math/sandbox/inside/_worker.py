"""The sandbox worker: one long-lived process that loads the preamble once, then has a child forked per program.

The host starts it (inside bubblewrap, as the pid namespace's pid 1) as ``python -I -B -X utf8
_worker.py`` and talks length-prefixed JSON on its stdin/stdout (see ``_protocol``): a config frame, then
one request and one response per program. Standard library only: the package is not visible inside.

The worker trusts nothing a child says about itself. It decides from what it observes: the child's
exit (a pidfd), its own clock, and the bytes of one report frame it reads from a pipe it owns, capped
in size and validated field by field (``_verdict``). A child runs one program and is killed once its
report is in or its time is up; the private /tmp is emptied before the next program is read (the next
child, forked meanwhile, runs nothing before it gets that program). The
children are forked by the worker's fork server (``_forkserver``), split off before the first request:
this process, which reads every program's code and output, forks none of them, so no child inherits
an earlier program's text from its memory.

Forking costs in proportion to the parent's memory: a worker holding sympy and numpy (about 130 MB)
takes four times as long per program as one holding the standard library. So when the preamble has
heavy imports the worker splits in two: it keeps the preamble's standard-library imports and forks a
*heavy* worker that loads the whole preamble (and the warm-up). A program goes to the heavy one when its
text names something only the whole preamble binds (``np``, ``sympy``, ``K``...) or a module only it
loaded; any other program means the same in both. The heavy worker answers the same protocol over pipes.

A worker whose config sets ``max_sessions`` serves persistent sessions instead (``_sessions``).
"""

from __future__ import annotations

import ast
import builtins
import gc
import io
import math
import os
import platform
import re
import select
import signal
import sys
import time
import traceback
import unicodedata
from dataclasses import dataclass, field
from typing import Any

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
import _capture  # noqa: E402
import _child  # noqa: E402
import _forkserver  # noqa: E402
import _protocol  # noqa: E402
import _seccomp  # noqa: E402
import _sessions  # noqa: E402
import _verdict  # noqa: E402
import _wipe  # noqa: E402

sys.path.remove(_HERE)

_PR_SET_DUMPABLE, _PR_SET_CHILD_SUBREAPER = 4, 36
_NAME = re.compile(r"\w+")
_MISSING = object()
_HEAVY_GRACE_S = 10.0  # past a program's limit, how long the light worker waits for the heavy one
_EXIT_WAIT_S = 10.0  # how long a killed child may take to exit before the relay asks the fork server to reap it


@dataclass
class _Running:
    pid: int
    report: int  # read end of the child's report pipe
    request: int  # write end of the child's request pipe
    pidfd: int | None  # readable once the child has exited (Linux >= 5.3); it is the fork server's child
    capture: _capture.SharedCapture  # its output, shared with it alone
    started: float
    status: int | None = None  # wait status, once reaped
    received: bytearray = field(default_factory=bytearray)  # report bytes read so far


@dataclass
class _Heavy:
    """The heavy worker, seen from the light one: a child process speaking the host's protocol on pipes."""

    pid: int
    requests: int  # write end
    responses: int  # read end
    names: frozenset[str] = frozenset()  # bound only by the whole preamble, or modules only it loaded

    def wants(self, code: str) -> bool:
        if not code.isascii():  # identifiers are NFKC-normalized: a full-width "ｎｐ" is np
            code = unicodedata.normalize("NFKC", code)
        return not self.names.isdisjoint(_NAME.findall(code))

    def call(self, request: dict[str, Any]) -> dict[str, Any]:
        _protocol.write_frame(self.requests, request)
        return self._read(time.monotonic() + float(request["timeout"]) + _HEAVY_GRACE_S)

    def settle(self) -> None:
        """Wait until it has emptied /tmp after its last program: no program may start before that."""
        if self._read(time.monotonic() + _HEAVY_GRACE_S) != {"clean": True}:
            raise EOFError("the heavy worker did not clean up")

    def _read(self, deadline: float) -> dict[str, Any]:
        frame = _protocol.read_frame(self.responses, deadline)
        if frame is None:
            raise EOFError("the heavy worker exited")
        return frame


def main() -> None:
    # fds 0/1 carry the protocol; the preamble and anything else printing must not corrupt it.
    # fd 0 becomes /dev/null, read-write: a child's stdin, stdout and stderr are copies of it.
    proto_in, proto_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(2, 1)
    os.close(null)
    config = _protocol.read_frame(proto_in)
    if config is None:
        return
    if config["seccomp"]:  # first: nothing in the sandbox runs without a filter (the heavy worker inherits it)
        _seccomp.Loader("worker").load(os.getpid())
    light = None if config.get("max_sessions") else _light_part(config["preamble"])
    heavy = None if light is None else _start_heavy(config, light, (proto_in, proto_out))
    try:
        namespace = _load(light) if light is not None else _load(config["preamble"], config["warmup"])
    except BaseException:  # noqa: BLE001 - reported to the host, which raises
        _protocol.write_frame(proto_out, {"ready": False, "error": traceback.format_exc(limit=-4)})
        return
    setup = _prepare(config, namespace)
    info = {"ready": True, "pid": os.getpid(), "uid": os.getuid(), "seccomp": setup.seccomp is not None,
            "python": platform.python_version(), "base_vm_mb": setup.base_vm >> 20, "heavy_worker": False}
    if heavy is not None:
        heavy_info = _protocol.read_frame(heavy.responses) or {"ready": False, "error": "the heavy worker exited"}
        if not heavy_info.get("ready"):
            _protocol.write_frame(proto_out, heavy_info)
            return
        loaded = {name.split(".")[0] for name in sys.modules}
        heavy.names = frozenset(heavy_info["names"]) | (frozenset(heavy_info["modules"]) - loaded)
        info.update(heavy_worker=True, heavy_base_vm_mb=heavy_info["base_vm_mb"])
    _protocol.write_frame(proto_out, info)
    if config.get("max_sessions"):
        _sessions.serve(proto_in, proto_out, setup, config)
    else:
        _serve(proto_in, proto_out, setup, heavy)


def _light_part(preamble: str) -> str | None:
    """The preamble's imports of standard-library modules, in order; None when that is all of it."""
    try:
        statements = ast.parse(preamble).body
    except SyntaxError:
        return None  # raised, with its line, when the worker runs it
    stdlib = sys.stdlib_module_names

    def light(node: ast.stmt) -> bool:
        if isinstance(node, ast.Import):
            return all(alias.name.split(".")[0] in stdlib for alias in node.names)
        return isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] in stdlib

    if all(light(node) for node in statements):
        return None
    return "\n".join(ast.get_source_segment(preamble, node) or "" for node in statements if light(node))


def _start_heavy(config: dict[str, Any], light: str, host_fds: tuple[int, int]) -> _Heavy:
    """Fork the heavy worker before anything is loaded here; it reports its names once it is ready."""
    request_read, request_write = os.pipe()
    response_read, response_write = os.pipe()

    def heavy() -> None:
        # Its pipes take the host's fd numbers (3 and 4), as in the light worker: a child's own
        # pipes, moved to 3 and 4 when it locks down, must not be among them.
        requests, responses = host_fds
        os.dup2(request_read, requests)
        os.dup2(response_write, responses)
        for fd in (request_read, response_write, request_write, response_read):
            os.close(fd)
        _run_heavy(config, light, requests, responses)

    pid = _child.fork_helper(heavy)
    os.close(request_read)
    os.close(response_write)
    return _Heavy(pid, request_write, response_read)


def _run_heavy(config: dict[str, Any], light: str, requests: int, responses: int) -> None:
    try:
        light_names = _load(light)
        namespace = _load(config["preamble"], config["warmup"])
    except BaseException:  # noqa: BLE001 - reported to the host, which raises
        _protocol.write_frame(responses, {"ready": False, "error": traceback.format_exc(limit=-4)})
        return
    setup = _prepare(config, namespace)
    names = sorted(k for k, v in namespace.items() if light_names.get(k, _MISSING) is not v)
    modules = sorted({name.split(".")[0] for name in sys.modules})
    _protocol.write_frame(responses, {"ready": True, "names": names, "modules": modules,
                                      "base_vm_mb": setup.base_vm >> 20})
    _serve(requests, responses, setup, None)


def _load(preamble: str, warmup: str = "") -> dict[str, Any]:
    """The preamble's namespace, after the warm-up ran in a copy of it (first calls load lazy submodules
    and fill caches once, here, instead of in every child)."""
    namespace: dict[str, Any] = {"__builtins__": builtins}
    exec(compile(preamble, "<preamble>", "exec"), namespace)
    exec(compile(warmup, "<warmup>", "exec"), dict(namespace))
    return namespace


def _prepare(config: dict[str, Any], namespace: dict[str, Any]) -> _child.ChildSetup:
    """Everything every child of this worker shares, built once before the first fork."""
    _child.prctl(_PR_SET_CHILD_SUBREAPER, 1)
    drop_uid = bool(config["drop_uid"]) and os.geteuid() == 0
    if drop_uid:
        os.chown(config["tmp"], 65534, 65534)
    seccomp = bool(config["seccomp"])
    if seccomp and not _seccomp_works():
        raise RuntimeError("the seccomp filter does not refuse fork here")
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # inherited: a write past the file size limit fails instead
    sessions = bool(config.get("max_sessions"))
    # A session process gets its slot's capture (``_sessions``): a capture made here would be a shared,
    # writable mapping inherited by every session of this worker, a channel between them.
    capture = None if sessions else _capture.SharedCapture(int(config["output_limit"]))
    streams = (None, None, io.StringIO()) if capture is None else (capture.writer(0), capture.writer(1), io.StringIO())
    setup = _child.ChildSetup(namespace, capture, config["tmp"], _address_space(), int(config["file_size"]),
                              _seccomp.Loader("session" if sessions else "program") if seccomp else None, drop_uid,
                              config["max_tasks"], dict(vars(builtins)), streams)
    # Not dumpable (inherited by every child): a program cannot open /proc/<worker or child>/mem or fd,
    # nor ptrace, even with the same uid; only CAP_SYS_PTRACE could, and the sandbox has no capabilities.
    _child.prctl(_PR_SET_DUMPABLE, 0)
    gc.collect()
    gc.freeze()  # children share the preamble's pages instead of copying them on the first collection
    return setup


def _serve(requests: int, responses: int, setup: _child.ChildSetup, heavy: _Heavy | None) -> None:
    """Answer requests until the pipe closes: one child per program, forked before its program comes.

    Before the first request the worker splits: its fork server forks the children and never sees a
    program's code or output; this process relays them (``_forkserver``). The next child is forked
    while a program runs. After each answer the child is killed, its exit seen and /tmp wiped; only
    then does the worker say ``{"clean": true}`` and read the next request: a program's leftovers are
    never cleaned up in the time of the next one. The heavy worker shares /tmp with the light one and
    says the same to it, which waits for that before saying it to the host.
    """
    host_fds = (requests, responses) if heavy is None else (requests, responses, heavy.requests, heavy.responses)
    assert setup.capture is not None
    captures = [setup.capture, _capture.SharedCapture(setup.capture.head + setup.capture.tail)]
    forks = _forkserver.ForkServer(setup, host_fds, captures)
    spare = _spawn(forks, captures)
    while (request := _protocol.read_frame(requests)) is not None:
        if heavy is not None and heavy.wants(request["code"]):
            _protocol.write_frame(responses, heavy.call(request))
            heavy.settle()
        else:
            run = _hand_over(spare, request, setup, forks, captures)
            _protocol.write_frame(responses, _finish(run, request, setup, forks))
            forks.ask_spawn()  # the next child forks while this one is cleaned up after
            _clean_up(run, setup, forks)
            spare = _spawn(forks, captures)
        _protocol.write_frame(responses, {"clean": True})


def _spawn(forks: _forkserver.ForkServer, captures: list[_capture.SharedCapture]) -> _Running:
    """The next child, from the fork server: it locks itself down and waits for its request on a pipe."""
    pid, turn, request_write, report_read = forks.spawn()
    try:
        pidfd: int | None = os.pidfd_open(pid)  # its parent reaps it only when told to: the pid stays ours
    except (AttributeError, OSError):
        pidfd = None
    return _Running(pid, report_read, request_write, pidfd, captures[turn], 0.0)


def _hand_over(spare: _Running, request: dict[str, Any], setup: _child.ChildSetup,
               forks: _forkserver.ForkServer, captures: list[_capture.SharedCapture]) -> _Running:
    for _ in range(3):
        spare.started = time.monotonic()
        try:
            _protocol.write_frame(spare.request, request)
            return spare
        except OSError:  # the spare died before its program came: replace it
            _clean_up(spare, setup, forks)
            spare = _spawn(forks, captures)
    raise RuntimeError("cannot start a child for the program")


def _finish(run: _Running, request: dict[str, Any], setup: _child.ChildSetup,
            forks: _forkserver.ForkServer) -> dict[str, Any]:
    """The response for the host, once the report is in, the child has exited or its time is up."""
    timeout = float(request["timeout"])
    done = _wait(run, run.started + timeout, forks)
    if run.status is None:  # not reaped yet, so the pid is still the child's
        _forkserver.kill(run.pid)  # one program per process: nothing it does after its report (or its time) counts

    def exit_status() -> int:
        _reap(run, forks)
        return run.status or 0

    return _verdict.response(run.capture, done, bytes(run.received), exit_status, timeout,
                             time.monotonic() - run.started)


def _wait(run: _Running, deadline: float, forks: _forkserver.ForkServer) -> bool:
    """Read the child's report until it is complete or the child has exited; False at the deadline.

    Whatever the child writes (a partial report, then silence), this returns by the deadline.
    """
    poller = select.poll()
    poller.register(run.report, select.POLLIN)
    if run.pidfd is not None:
        poller.register(run.pidfd, select.POLLIN)
    listening = True
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        blind = run.pidfd is None and not listening  # no pidfd and the pipe is closed: poll the pid
        for fd, _ in poller.poll(min(left, 0.002) * 1000 if blind else math.ceil(left * 1000)):
            if fd != run.report:  # the pidfd: the child exited; keep what it wrote before
                _drain(run)
                return True
            chunk = os.read(run.report, _verdict.REPORT_MAX)
            if not chunk:  # every writer closed it (the program may have): only the exit is left to see
                poller.unregister(run.report)
                listening = False
            else:
                run.received += chunk
                if _verdict.report_complete(run.received):
                    return True
        if blind and _reap(run, forks, block=False):
            return True


def _drain(run: _Running) -> None:
    """Read what an exited child left in the pipe, without waiting (a writer that outlived it is ignored)."""
    poller = select.poll()
    poller.register(run.report, select.POLLIN)
    while len(run.received) < _verdict.REPORT_MAX and poller.poll(0):
        chunk = os.read(run.report, _verdict.REPORT_MAX)
        if not chunk:
            return
        run.received += chunk


def _reap(run: _Running, forks: _forkserver.ForkServer, block: bool = True) -> bool:
    """Whether the child is gone; ``block``: kill it and wait until it and what it left are reaped."""
    if run.status is None:
        run.status = forks.reap(run.pid) if block else forks.poll(run.pid)
    return run.status is not None


def _clean_up(run: _Running, setup: _child.ChildSetup, forks: _forkserver.ForkServer) -> None:
    """The child gone (its exit seen), its pipes closed, /tmp empty."""
    if run.status is None and run.pidfd is not None and setup.seccomp is not None:
        # Under seccomp a program starts no process: its exit is all there is to wait for, and the fork
        # server reaps it off this path (the pid stays ours, unreaped, until then).
        _forkserver.kill(run.pid)
        if _protocol.readable(run.pidfd, _EXIT_WAIT_S):
            forks.reap_later(run.pid)
        else:
            forks.reap(run.pid)
    elif run.status is None or setup.seccomp is None:
        forks.reap(run.pid)  # even after a reap: the processes a program started (only without seccomp) go too
    for fd in (run.report, run.request):
        try:
            os.close(fd)
        except OSError:
            pass
    if run.pidfd is not None:
        os.close(run.pidfd)
    _wipe.wipe(setup.tmp)


def _seccomp_works() -> bool:
    """Load the filter in a throwaway child and check that fork is refused there."""
    pid = os.fork()
    if pid == 0:
        code = 2
        try:
            _seccomp.Loader("program").load(os.getpid())
            code = 1
            if os.fork() == 0:
                os._exit(0)
        except OSError:
            code = 0 if code == 1 else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def _address_space() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


if __name__ == "__main__":
    main()
