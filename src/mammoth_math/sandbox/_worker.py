"""The sandbox worker: one long-lived process that loads the preamble once, then forks a child per program.

The host starts it (inside bubblewrap when available) as ``python -I -B -X utf8 _worker.py`` and talks
length-prefixed JSON on its stdin/stdout (see ``_protocol``): a config frame, then one request and one
response per program. Standard library only: the package is not visible inside the sandbox.

Forking costs in proportion to the parent's memory: a worker holding sympy and numpy (about 130 MB)
takes four times as long per program as one holding the standard library. So when the preamble has
heavy imports the worker splits in two: it keeps the preamble's standard-library imports and forks a
*heavy* worker that loads the whole preamble (and the warm-up). A program goes to the heavy one when its
text names something only the whole preamble binds (``np``, ``sympy``, ``K``...) or a module only it
loaded; any other program means the same in both. The heavy worker answers the same protocol over pipes.
"""

from __future__ import annotations

import ast
import builtins
import ctypes
import gc
import io
import math
import os
import platform
import re
import select
import shutil
import signal
import sys
import time
import traceback
import unicodedata
from dataclasses import dataclass
from typing import Any

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
import _capture  # noqa: E402
import _child  # noqa: E402
import _protocol  # noqa: E402
import _seccomp  # noqa: E402

sys.path.remove(_HERE)

_PR_SET_PDEATHSIG, _PR_SET_DUMPABLE, _PR_SET_CHILD_SUBREAPER = 1, 4, 36
_NAME = re.compile(r"\w+")
_MISSING = object()
_CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE, signal.SIGABRT}


@dataclass
class _Running:
    pid: int
    notify: int  # read end of the child's "result ready" pipe
    request: int  # write end of the child's request pipe
    pidfd: int | None  # readable once the child has exited (Linux >= 5.3)
    started: float
    status: int | None = None  # wait status, once reaped


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
        response = _protocol.read_frame(self.responses)
        if response is None:
            raise EOFError("the heavy worker exited")
        return response


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
    light = _light_part(config["preamble"])
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
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
            # Its pipes take the host's fd numbers (3 and 4), as in the light worker: a child's own
            # pipes, moved to 3 and 4 when it locks down, must not be among them.
            requests, responses = host_fds
            os.dup2(request_read, requests)
            os.dup2(response_write, responses)
            for fd in (request_read, response_write, request_write, response_read):
                os.close(fd)
            _run_heavy(config, light, requests, responses)
            status = 0
        finally:
            os._exit(status)
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
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    drop_uid = bool(config["drop_uid"]) and os.geteuid() == 0
    if drop_uid:
        os.chown(config["tmp"], 65534, 65534)
    seccomp = bool(config["seccomp"]) and _seccomp.supported() and _seccomp_works()
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # inherited: a write past the file size limit fails instead
    capture = _capture.SharedCapture(int(config["output_limit"]))
    setup = _child.ChildSetup(namespace, capture, config["tmp"], _address_space(), int(config["file_size"]),
                              _seccomp.Loader() if seccomp else None, drop_uid, config["max_tasks"],
                              dict(vars(builtins)), tuple(config["keep"]),
                              (capture.writer(0), capture.writer(1), io.StringIO()),
                              bool(config["share_pure_forks"]))
    # Not dumpable: a program (same uid) cannot open /proc/<worker>/fd or ptrace its worker.
    _prctl(_PR_SET_DUMPABLE, 0)
    gc.collect()
    gc.freeze()  # children share the preamble's pages instead of copying them on the first collection
    return setup


def _serve(requests: int, responses: int, setup: _child.ChildSetup, heavy: _Heavy | None) -> None:
    """Answer requests until the pipe closes: one child per program, forked before its program comes."""
    spared = () if heavy is None else (heavy.pid,)  # children that are not programs' leftovers
    spare = _spawn(setup)
    while (request := _protocol.read_frame(requests)) is not None:
        if heavy is not None and heavy.wants(request["code"]):
            _protocol.write_frame(responses, heavy.call(request))
            continue
        run = _hand_over(spare, request, setup, spared)
        response, reusable = _finish(run, request, setup)
        _protocol.write_frame(responses, response)
        if reusable:  # it ran a pure program (see _pure): the same child takes the next one
            setup.capture.reset()
            spare = run
            continue
        _clean_up(run, setup, spared)  # after answering: the exit, wipe and next fork overlap the host's work
        spare = _spawn(setup)


def _spawn(setup: _child.ChildSetup) -> _Running:
    """Fork the next child now; it locks itself down and waits for its request on a pipe."""
    setup.capture.reset()
    request_read, request_write = os.pipe()
    notify_read, notify_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        _child.serve(setup, request_read, notify_write)
    os.close(request_read)
    os.close(notify_write)
    try:
        os.setpgid(pid, pid)  # its own group (killed whole on timeout), before its program can arrive
    except OSError:
        pass
    try:
        pidfd: int | None = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    return _Running(pid, notify_read, request_write, pidfd, 0.0)


def _hand_over(spare: _Running, request: dict[str, Any], setup: _child.ChildSetup,
               spared: tuple[int, ...]) -> _Running:
    for _ in range(3):
        spare.started = time.monotonic()
        try:
            _protocol.write_frame(spare.request, request)
            return spare
        except OSError:  # the spare died before its program came: replace it
            _clean_up(spare, setup, spared)
            spare = _spawn(setup)
    raise RuntimeError("cannot start a child for the program")


def _finish(run: _Running, request: dict[str, Any], setup: _child.ChildSetup) -> tuple[dict[str, Any], bool]:
    """The response for the host, and whether the child is waiting for another program."""
    timeout = float(request["timeout"])
    done = _wait(run, run.started + timeout)
    if not done:
        _kill(run.pid)
    duration = time.monotonic() - run.started
    stdout, stdout_bytes = setup.capture.read(0)
    stderr, _ = setup.capture.read(1)
    response: dict[str, Any] = {"stdout": stdout, "stderr": stderr, "timed_out": not done, "duration_s": duration,
                                "stdout_truncated": stdout_bytes > setup.capture.head + setup.capture.tail,
                                "error": None, "answer": None, "answer_source": None, "memory_exceeded": False}
    result = setup.capture.read_result() if done else None
    if not done:
        response["error"] = f"Timeout: the program ran past the {timeout:g} s time limit"
    elif result is None:
        response["error"] = _describe_exit(run, request)
    else:
        response.update({k: result.get(k) for k in ("error", "answer", "answer_source", "memory_exceeded")})
        if result.get("answer_source") == "print":
            response["answer"] = _last_line(stdout)
    return response, bool(result and result.get("reusable"))


def _wait(run: _Running, deadline: float) -> bool:
    """True once the child reported its result or exited; False at the deadline."""
    poller = select.poll()
    poller.register(run.notify, select.POLLIN)
    if run.pidfd is not None:
        poller.register(run.pidfd, select.POLLIN)
    listening = True
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        blind = run.pidfd is None and not listening  # no pidfd and the program closed our pipe: poll the pid
        for fd, _ in poller.poll(min(left, 0.002) * 1000 if blind else math.ceil(left * 1000)):
            if fd != run.notify:
                return True
            if os.read(run.notify, 1):
                return True
            poller.unregister(run.notify)  # closed: the child exited, or the program closed fd 3 itself
            listening = False
            if run.pidfd is None and _reap(run, block=False):
                return True
        if blind and _reap(run, block=False):
            return True


def _kill(pid: int) -> None:
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _reap(run: _Running, block: bool = True) -> bool:
    if run.status is None:
        try:
            pid, status = os.waitpid(run.pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            pid, status = run.pid, 0
        if pid == 0:
            return False
        run.status = status
    return True


def _describe_exit(run: _Running, request: dict[str, Any]) -> str:
    """Why a child ended without a result, as "Kind: message"."""
    _reap(run)
    status = run.status or 0
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else f"signal {sig}"
        if sig == signal.SIGXCPU:
            return f"CPULimit: the program used more than {math.ceil(float(request['timeout'])) + 1} s of CPU time"
        if sig in _CRASH_SIGNALS:
            return f"Crash: the process died of {name} (a segmentation fault, abort or bad instruction)"
        return f"Killed: the process died of {name}"
    return f"Exit: the process ended with status {os.WEXITSTATUS(status)} before the program finished (os._exit?)"


def _clean_up(run: _Running, setup: _child.ChildSetup, spared: tuple[int, ...]) -> None:
    _kill(run.pid)  # the group may still hold processes a program started (only possible without seccomp)
    _reap(run)
    _reap_strays(spared)
    for fd in (run.notify, run.request):
        try:
            os.close(fd)
        except OSError:
            pass
    if run.pidfd is not None:
        os.close(run.pidfd)
    _wipe(setup.tmp, setup.keep)


def _reap_strays(spared: tuple[int, ...]) -> None:
    """Kill and reap processes that left the group: as subreaper, orphans become this worker's children.

    ``spared``: children that are part of the sandbox (the heavy worker).
    """
    path = f"/proc/self/task/{os.getpid()}/children"
    for _ in range(100):
        try:
            with open(path) as f:
                pids = [int(p) for p in f.read().split() if int(p) not in spared]
        except OSError:
            pids = []
        for pid in pids:
            _kill(pid)
        for pid in pids:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        while True:  # zombies already handed to us
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        if not pids:
            return


def _wipe(tmp: str, keep: tuple[str, ...] = ()) -> None:
    """Empty the private temporary directory, even where the program removed its own permissions.

    ``keep`` are read-only binds inside it (the interpreter's virtualenv): skipped, their parents emptied.
    """
    try:
        names = os.listdir(tmp)
    except OSError:
        return
    for name in names:
        path = os.path.join(tmp, name)
        if path in keep:
            continue
        if any(k.startswith(path + os.sep) for k in keep):
            _wipe(path, keep)
            continue
        for _ in range(3):
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass
            if not os.path.lexists(path):
                break
            try:
                os.chmod(path, 0o700)
            except OSError:
                pass
            for root, dirs, _ in os.walk(path):
                for d in [root, *(os.path.join(root, d) for d in dirs)]:
                    try:
                        os.chmod(d, 0o700)
                    except OSError:
                        pass


def _seccomp_works() -> bool:
    """Load the filter in a throwaway child and check that fork is refused there."""
    pid = os.fork()
    if pid == 0:
        code = 2
        try:
            _seccomp.Loader().load(os.getpid())
            code = 1
            if os.fork() == 0:
                os._exit(0)
        except OSError:
            code = 0 if code == 1 else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def _prctl(option: int, value: int) -> None:
    ctypes.CDLL(None).prctl(option, ctypes.c_ulong(value), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))


def _address_space() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _last_line(text: str) -> str | None:
    for line in reversed(text.splitlines()):
        if line.strip():
            return line.strip()[:_child.ANSWER_MAX]
    return None


if __name__ == "__main__":
    main()
