"""Which isolation features are really active here: found by running check programs, not by assuming.

``isolation_report()`` backs ``mammoth-math sandbox check`` and lets hostile tests skip (with the reason)
what this machine cannot contain.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mammoth_math.sandbox.isolation import ENV
from mammoth_math.sandbox.limits import host_limits
from mammoth_math.sandbox.pool import Sandbox

_CHECK = """
import json, os, resource
out = {}
def attempt(name, fn):
    try:
        out[name] = "allowed: " + repr(fn())[:80]
    except BaseException as e:
        out[name] = "refused: " + type(e).__name__ + ": " + str(e)[:80]
def connect():
    import socket
    s = socket.socket(); s.settimeout(1); s.connect(("127.0.0.1", PORT)); return "connected"
attempt("network", connect)
attempt("write", lambda: open(os.path.join(HOST_DIR, "written"), "w").write("x"))
attempt("read", lambda: open(os.path.join(HOST_DIR, "canary")).read())
attempt("home", lambda: sorted(os.listdir(HOME))[:5])
attempt("root_write", lambda: open("/mammoth-probe", "w").write("x"))
def fork():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid
attempt("fork", fork)
attempt("signal", lambda: os.kill(os.getppid(), 0))
others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]
def opens(path, mode):
    try:
        open(path, mode).close()
        return True
    except OSError:
        return False
def filtered(pid):
    try:
        return open(f"/proc/{pid}/status").read().split("Seccomp:")[1].split()[0] != "0"
    except (OSError, IndexError):
        return True  # gone, or hidden
out["writable_memory"] = [p for p in others if opens(f"/proc/{p}/mem", "r+b")]
out["unfiltered"] = [p for p in others if not filtered(p)]
def dev_shm():
    path = "/dev/shm/mammoth-probe-" + str(os.getpid())
    open(path, "w").close()
    os.remove(path)
    return "created"
attempt("dev_shm", dev_shm)
attempt("hostname", lambda: open("/proc/sys/kernel/hostname", "w").write("probe"))
attempt("memfd", lambda: os.memfd_create("probe"))
def shmget():
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    segment = libc.shmget(0, 4096, 0o1600)
    if segment < 0:
        raise OSError(ctypes.get_errno(), "shmget refused")
    libc.shmctl(segment, 0, None)  # IPC_RMID
    return "created"
attempt("sysv_shm", shmget)
out["tmp_listing"] = sorted(os.listdir("/tmp"))[:5]  # before anything of ours is made there
def threads():
    import threading, time
    threading.stack_size(1 << 16)  # small stacks: the address-space limit must not be what stops them
    made = 0
    try:
        for _ in range(THREADS):
            threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
            made += 1
    except RuntimeError:
        pass
    return made
out["threads"] = threads()
def entries():
    open("entry", "w").close()
    made = 0
    try:
        for i in range(ENTRIES):
            os.link("entry", f"entry-{i}")
            made += 1
    except OSError:
        pass
    return made
out["entries"] = entries()
out["env"] = sorted(os.environ)
out["processes"] = len([p for p in os.listdir("/proc") if p.isdigit()])
out["limits"] = {n: resource.getrlimit(getattr(resource, n))[0] for n in ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NOFILE")}
out["uid"] = os.getuid()
out["tmp"] = [os.stat(".").st_dev, os.stat(".").st_ino]  # the private /tmp (the working directory)
print(json.dumps(out))
"""
# Run in a session after "x = 1": state kept, no file written, a /tmp of its own.
_SESSION_CHECK = """
import json, os
try:
    open("mammoth-probe", "w").close()
    write = "allowed"
except OSError as e:
    write = "refused: " + type(e).__name__
print(json.dumps({"x": x, "write": write, "tmp": [os.stat(".").st_dev, os.stat(".").st_ino]}))
"""
_ENV_OK = set(ENV) | {"PWD", "LC_CTYPE", "TMPDIR"}
_SHARED = ("dev_shm", "hostname", "memfd", "sysv_shm")  # state a program could leave for the next
_THREADS, _ENTRIES = 300, 20000  # what the check tries to start and to leave in /tmp


@dataclass(frozen=True)
class Feature:
    name: str
    active: bool
    detail: str


@dataclass(frozen=True)
class IsolationReport:
    mode: str  # "bubblewrap" or "none"
    reason: str | None  # why not bubblewrap
    features: tuple[Feature, ...]

    def active(self, name: str) -> bool:
        return any(f.name == name and f.active for f in self.features)

    def detail(self, name: str) -> str:
        return next((f.detail for f in self.features if f.name == name), "unknown feature")

    @property
    def missing(self) -> list[str]:
        return [f.name for f in self.features if not f.active]


def isolation_report(sandbox: Sandbox | None = None) -> IsolationReport:
    """Probe ``sandbox`` (or a fresh one-worker sandbox) from inside and outside."""
    own = sandbox is None
    sb = Sandbox(timeout=10.0, workers=1) if sandbox is None else sandbox
    try:
        return _check(sb.start())
    finally:
        if own:
            sb.close()


def _check(sb: Sandbox) -> IsolationReport:
    home = os.path.expanduser("~")
    with tempfile.TemporaryDirectory(prefix="mammoth-probe-") as host_dir, socket.socket() as listener:
        Path(host_dir, "canary").write_text("secret", encoding="utf-8")
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.setblocking(False)
        code = (_CHECK.replace("PORT", str(listener.getsockname()[1])).replace("HOST_DIR", repr(host_dir))
                .replace("HOME", repr(home)).replace("THREADS", str(_THREADS)).replace("ENTRIES", str(_ENTRIES)))
        result = sb.run(code, timeout=10.0)
        try:
            listener.accept()[0].close()
            reached = True
        except BlockingIOError:
            reached = False
        written = Path(host_dir, "written").exists()
    if result.error or not result.answer:
        raise RuntimeError(f"isolation probe failed: {result.error}\n{result.stderr}")
    p: dict[str, Any] = json.loads(result.answer)
    with sb.session(timeout=10.0) as session:
        session.run("x = 1")
        answer = session.run(_SESSION_CHECK).answer
    q: dict[str, Any] = json.loads(answer) if answer else {}
    info = sb.worker_info
    host = host_limits()
    limits = p["limits"]
    home_seen = p["home"].startswith("allowed") and any(
        n for n in os.listdir(home) if n in p["home"] and not n.startswith(".pyenv")) if os.path.isdir(home) else False
    features = (
        Feature("bubblewrap", sb.mode == "bubblewrap", sb.fallback_reason or "namespaces: user, pid, net, ipc, uts, mount"),
        Feature("network", not reached and p["network"].startswith("refused"), p["network"]),
        Feature("filesystem", sb.mode == "bubblewrap" and not written and p["read"].startswith("refused") and p["root_write"].startswith("refused"),
                f"host file read: {p['read']}; host dir write: {p['write']}; / write: {p['root_write']}"),
        Feature("home", not home_seen, f"listing {home}: {p['home']}"),
        Feature("environment", set(p["env"]) <= _ENV_OK, "visible: " + ", ".join(p["env"])),
        Feature("processes", p["fork"].startswith("refused"), f"fork: {p['fork']} (seccomp: {info.get('seccomp')})"),
        Feature("signals", p["signal"].startswith("refused"), f"signal to the worker: {p['signal']}"),
        Feature("pid_namespace", p["processes"] <= 8, f"{p['processes']} processes visible in /proc"),
        Feature("seccomp_everywhere", bool(info.get("seccomp")) and not p["unfiltered"],
                f"processes visible without a seccomp filter: {p['unfiltered'][:8] or 'none'}"),
        Feature("process_memory", not p["writable_memory"],
                f"other processes' /proc/N/mem writable: {p['writable_memory'][:8] or 'none'}"),
        Feature("shared_state", all(p[k].startswith("refused") for k in _SHARED),
                "; ".join(f"{k}: {p[k]}" for k in _SHARED)),
        Feature("empty_tmp", not p["tmp_listing"], f"/tmp as a program finds it: {p['tmp_listing'] or 'empty'}"),
        Feature("tasks", p["threads"] < _THREADS,
                f"{p['threads']} threads started of {_THREADS} tried; {host.tasks_detail}"),
        Feature("tmp_entries", p["entries"] < _ENTRIES,
                f"{p['entries']} hard links left in /tmp of {_ENTRIES} tried; {host.entries_detail}"),
        Feature("limits", all(v not in (-1, None) for v in (limits["RLIMIT_AS"], limits["RLIMIT_CPU"])),
                json.dumps(limits)),
        Feature("sessions", q.get("x") == 1 and str(q.get("write")).startswith("refused") and q.get("tmp") != p["tmp"],
                f"state kept between calls: {q.get('x') == 1}; file write in a session: {q.get('write')}; "
                f"/tmp shared with single runs: {q.get('tmp') == p['tmp']}"),
    )
    return IsolationReport(sb.mode or "none", sb.fallback_reason, features)
