"""How sandbox workers are started, and what that isolates. The threat model:

A program is hostile. It may not: read or write any host file (it sees a read-only root of /usr, /lib*,
the Python prefix and the virtualenv, at /opt/mammoth-python/N when the host keeps them under /tmp, and
the worker's own modules, ``sandbox/inside`` at /opt/mammoth-sandbox, nothing else of the package; no
home, project directory or /etc); reach any network (own net namespace; socket() refused); start
processes or exec (threads only); signal, ptrace, renice or write
the memory of any other process (seccomp: signals and resource calls only about itself; every
process it can see is undumpable and filtered); leave state for a later program, or work for it (/tmp
is a private tmpfs capped in bytes and, where the host may mount, in entries: files, directories and
links, ``limits``; it is emptied after every program, and the worker takes the next one only once that
is done, a worker whose cleanup runs past its bound being replaced; /dev and /proc are read-only, so no
/dev/shm and no sysctl or hostname writes; SysV IPC, POSIX message queues and memfd refused); find an
earlier program's code or output in its memory (each worker splits before its first program: a fork
server, holding only the preamble and the config, forks the children and never handles a program's
code or output; the worker relays those through pipes it gets per child; the output capture, the only
writable mapping a child shares, is shared with its worker alone: two captures take turns, each child
unmaps the other, and one is zeroed, all its pages, before the next child that uses it is forked); hold more than 64 processes and threads per worker sandbox (RLIMIT_NPROC where the host is
not root; on a root host, where Linux ignores it, a pids cgroup per worker, ``limits``); take over the
process that judges it (the worker, pid 1 of the
sandbox's pid namespace, runs under its own seccomp filter, reads one size-capped report from a pipe
and validates it, and kills the program's process after); hold its worker past its time limit (the
wait ends at the deadline whatever the program writes; every host write to a worker and read from it
has a deadline too).
Every run gets: a fresh process forked from the pre-warmed worker's fork server, running this program
only, under a seccomp allow-list (``inside._seccomp``), rlimits on address space, CPU time, file size and
open files, an empty environment and no capabilities; an answer that is a validated string or an
error; a result within its timeout plus the time to kill and reap.
Sessions (``Sandbox.session()``: one problem's blocks in one process, names kept between calls) run in
session workers, bubblewrap sandboxes of their own: no /tmp and no pid namespace shared with single
runs. A session process gets everything above except a fresh process per block, and may not: create,
write, rename or remove any file (a stricter filter: ``open`` without write, create or truncate flags;
no mkdir, unlink, rename, link, symlink, chmod, truncate), so sessions of one worker share no writable
state; read the memory of, signal or trace another session (undumpable, signals only to itself, no
ptrace); find
another session's code or output in its memory (its process comes from a fork server that never
handles them; the one writable shared mapping it keeps is its slot's output capture, shared with its
worker alone: it drops every other slot's, and the worker makes no capture of its own; a slot's pipes
and capture are emptied before reuse); hold its worker (the relay's clock ends each call, its writes to a session never block).
A timeout, crash, memory overrun or forged report ends the session and its process.
NOT protected: kernel exploits, CPU side channels, memory pressure within the limits, reading the
(public) files of the bound interpreter. When the host runs as root, bubblewrap maps the sandbox's uid
to the host's root (with no capability): DAC checks then pass for root-owned files, which the read-only
mounts (/proc included) and undumpable processes make harmless, except that a program can list (not
open) another sandbox process's descriptors. On a root host without a writable pids cgroup there is no
task limit (threads up to the address-space limit); on a host that may not mount, /tmp is capped in
bytes only (a flood of entries costs its worker a replacement, not the next program its time);
``sandbox check`` says which holds. Sessions on one worker share its task limit (64): one session's
threads can make another's thread creation fail; a session's threads may run between its calls (within
its CPU budget).
Without bubblewrap (``isolation="none"``, the CLI's ``--unsafe-no-isolation``) only rlimits, seccomp
and a cleared environment remain: programs can read host files and other processes' command lines and
plant files for later programs, so it is refused unless asked for by name.
"""

from __future__ import annotations

import functools
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path
from typing import Literal

Mode = Literal["bubblewrap", "none"]
UNSAFE_ENV = "MAMMOTH_SANDBOX_UNSAFE_NO_ISOLATION"  # "1": Sandbox() without an isolation argument means "none"
# What runs inside (standard library only): this folder alone is bound in, nothing else of the package.
WORKER_DIR = Path(__file__).resolve().parent / "inside"
INSIDE_DIR = "/opt/mammoth-sandbox"  # where WORKER_DIR appears inside the sandbox
ENV_DIR = "/opt/mammoth-python"  # where interpreter directories the host keeps under /tmp appear inside
ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp",
       # one BLAS thread per program: threads count against the limits and workers already fill the cores
       "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
PYTHON_FLAGS = ["-I", "-B", "-X", "utf8"]


def python_roots() -> list[str]:
    """Directories the interpreter and its packages live in (bound read-only, nothing else of the host)."""
    candidates = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                  str(Path(os.path.realpath(sys.executable)).parent.parent), *site.getsitepackages()}
    user_site = site.getusersitepackages()
    if isinstance(user_site, str) and os.path.isdir(user_site):
        candidates.add(user_site)
    roots = sorted({os.path.realpath(c) for c in candidates if os.path.isdir(c)} | {
        os.path.abspath(c) for c in candidates if os.path.isdir(c)})
    system = ("/usr", "/bin", "/lib", "/lib64", "/sbin")
    kept: list[str] = []
    for root in roots:
        if root.startswith(system) or any(root == k or root.startswith(k + os.sep) for k in kept):
            continue
        kept.append(root)
    return kept


def python_binds() -> list[tuple[str, str]]:
    """``(host directory, where it appears inside)`` for each of ``python_roots``: at its own path, except one
    under /tmp (a virtualenv made there), which would show in the sandbox's own, empty /tmp: at ENV_DIR/N."""
    binds: list[tuple[str, str]] = []
    for root in python_roots():
        binds.append((root, f"{ENV_DIR}/{len(binds)}" if root == "/tmp" or root.startswith("/tmp/") else root))
    return binds


def _inside(path: str, binds: list[tuple[str, str]]) -> str:
    """Where the host's ``path`` appears inside the sandbox, given its binds."""
    for host, inside in binds:
        if path == host or path.startswith(host + os.sep):
            return inside + path[len(host):]
    return path


def bwrap_command(bwrap: str, tmp_mb: int, tmp_source: str | None = None) -> list[str]:
    """The sandbox's command line; ``tmp_source``: a tmpfs capped in entries to bind at /tmp (``limits``),
    else bubblewrap makes one capped in bytes only."""
    # --as-pid-1: the worker itself is pid 1, so there is no bubblewrap init in the sandbox: every process
    # there is ours and filtered, and pid 1 ignores signals from inside the namespace.
    argv = [bwrap, "--as-pid-1", "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--clearenv",
            "--uid", "65534", "--gid", "65534", "--disable-userns", "--cap-drop", "ALL", "--hostname", "sandbox"]
    for path in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            argv += ["--ro-bind", path, path]
    argv += ["--bind", tmp_source, "/tmp"] if tmp_source else ["--size", str(tmp_mb << 20), "--tmpfs", "/tmp"]
    binds = python_binds()
    for host, inside in binds:
        argv += ["--ro-bind", host, inside]
    argv += ["--ro-bind", str(WORKER_DIR), INSIDE_DIR]
    # /proc read-only: no sysctl or hostname writes, no sysrq-trigger, no other process's oom_score_adj
    # (the sandbox's uid may be the host's root, for which those files are writable). /dev read-only,
    # so no /dev/shm: writes to its device nodes (null, zero, urandom) still work.
    argv += ["--proc", "/proc", "--remount-ro", "/proc",
             "--dev", "/dev", "--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/tmp"]
    for key, value in ENV.items():
        argv += ["--setenv", key, value]
    return argv + ["--", _inside(sys.executable, binds), *PYTHON_FLAGS, f"{INSIDE_DIR}/_worker.py"]


def fallback_command() -> list[str]:
    return [sys.executable, *PYTHON_FLAGS, str(WORKER_DIR / "_worker.py")]


@functools.cache
def find_bwrap() -> tuple[str | None, str]:
    """``(path, version)`` when bubblewrap can start a sandbox here, else ``(None, why not)``."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return None, "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    argv = bwrap_command(bwrap, 1)
    argv[-3:] = ["-c", "pass"]
    why = why_not(argv)
    if why is not None:
        return None, f"bubblewrap cannot start a sandbox here: {why}"
    version = subprocess.run([bwrap, "--version"], capture_output=True, text=True).stdout.strip()
    return bwrap, version


def why_not(argv: list[str]) -> str | None:
    """None when ``argv``, run with an empty environment, succeeds; else what went wrong."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, env={})
    except (OSError, subprocess.TimeoutExpired) as e:
        return str(e)
    return None if done.returncode == 0 else done.stderr.strip()[:300] or f"exit status {done.returncode}"


def refusal(reason: str) -> str:
    """Why programs are refused without bubblewrap, and what accepting that would mean."""
    return (f"sandbox: {reason}. Without bubblewrap, programs would run with only resource limits, seccomp and "
            "a cleared environment: they could read the host's files and other processes' command lines, and "
            "leave files for later programs. Install bubblewrap, or accept that explicitly with "
            "Sandbox(isolation='none') (command line: --unsafe-no-isolation).")
