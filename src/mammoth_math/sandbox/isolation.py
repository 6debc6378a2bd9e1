"""How sandbox workers are started, and what that isolates. Threat model:

Protected (bubblewrap mode): programs see a read-only root holding only /usr, /lib*, the Python prefix
and the virtualenv; no home, project directory or /etc; a private tmpfs /tmp (size-capped, wiped after
every program); no network (own net namespace, and socket() refused by seccomp); an empty environment;
own pid/ipc/uts/user namespaces; no new processes (seccomp: threads only), no signals or ptrace to other
processes; rlimits on address space, CPU time, file size and open files; wall-clock kill of the whole
process group; capped stdout/stderr; a fresh fork per program, so no state leaks between programs (a
*pure* program, see ``_pure``, cannot change its process, so the same fork may run several in turn).
NOT protected: kernel exploits, CPU side channels, denial of service by memory pressure below the limits,
a program killing its own worker through a kernel bug (the host then restarts the worker). Fallback
(no bubblewrap): only rlimits, seccomp and a cleared environment; the file system is visible and, when
the host runs as root, programs run as uid 65534 (nobody).
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path
from typing import Literal

log = logging.getLogger(__name__)

Mode = Literal["bubblewrap", "rlimits"]
WORKER_DIR = Path(__file__).resolve().parent
INSIDE_DIR = "/opt/mammoth-sandbox"  # where WORKER_DIR appears inside the sandbox
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


def binds_under_tmp() -> tuple[str, ...]:
    """Interpreter directories that sit inside the private /tmp (a virtualenv under /tmp): never wiped."""
    return tuple(root for root in python_roots() if root.startswith("/tmp/"))


def bwrap_command(bwrap: str, tmp_mb: int) -> list[str]:
    argv = [bwrap, "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--clearenv",
            "--uid", "65534", "--gid", "65534", "--disable-userns", "--cap-drop", "ALL", "--hostname", "sandbox"]
    for path in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            argv += ["--ro-bind", path, path]
    # The private /tmp first, then the interpreter: a virtualenv made under /tmp is bound on top of it.
    argv += ["--size", str(tmp_mb << 20), "--tmpfs", "/tmp"]
    for root in python_roots():
        argv += ["--ro-bind", root, root]
    argv += ["--ro-bind", str(WORKER_DIR), INSIDE_DIR, "--proc", "/proc", "--dev", "/dev",
             "--remount-ro", "/", "--chdir", "/tmp"]
    for key, value in ENV.items():
        argv += ["--setenv", key, value]
    return argv + ["--", sys.executable, *PYTHON_FLAGS, f"{INSIDE_DIR}/_worker.py"]


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
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, env={})
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"bubblewrap failed to start: {e}"
    if done.returncode != 0:
        return None, f"bubblewrap cannot create namespaces here: {done.stderr.strip()[:300]}"
    version = subprocess.run([bwrap, "--version"], capture_output=True, text=True).stdout.strip()
    return bwrap, version


@functools.cache
def warn_fallback(reason: str) -> None:
    """Say once per process that programs run without namespaces, and why."""
    log.warning("sandbox: %s; falling back to resource limits, seccomp and a cleared environment only: "
                "programs can read the host's files and, unless seccomp is active, reach the network. "
                "Run `mammoth-math sandbox check` for details.", reason)
