"""Limits bubblewrap cannot set, put around it by the host where the host may (probed once, ``host_limits``).

- Entries in /tmp. bubblewrap's tmpfs is capped in bytes only: empty files, directories, symlinks and hard
  links cost none, so one program could leave hundreds of thousands of entries for the wipe. Where the host
  may mount (it runs as root), each worker's /tmp is a tmpfs capped in bytes and in entries (``nr_inodes``:
  tmpfs charges each hard link as an inode too), mounted in a private mount namespace (util-linux
  ``unshare``) that bubblewrap then binds at /tmp: nothing appears on the host and nothing is left to
  unmount, the tmpfs lives as long as the sandbox.
- Tasks. Linux does not apply RLIMIT_NPROC to root, and when the host runs as root the sandbox's uid maps
  to the host's root: the rlimit set inside holds nothing. There each worker starts in a pids cgroup of its
  own (cgroup v1 ``pids``, or v2 where the pids controller can be enabled below us) whose ``pids.max``
  counts every process and thread of the sandbox, bubblewrap's own included. A host that is not root needs
  none: RLIMIT_NPROC holds there.
A shell puts the worker in its cgroup and mounts its /tmp, then execs bubblewrap (same pid): both are in
place before the worker reads its config, so before any program arrives.
"""

from __future__ import annotations

import atexit
import functools
import itertools
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from mammoth_math.sandbox.isolation import why_not

TMP_ENTRIES = 4096  # files, directories, links a program may have in /tmp at once (the tmpfs root counts too)
# $1 cgroup.procs ("" for none), $2 mount point ("" for none), $3 mount options, $4 mount; then bubblewrap.
_SCRIPT = ('cg=$1 mp=$2 opts=$3 mnt=$4; shift 4; '
           'if [ -n "$cg" ]; then echo 0 > "$cg" || exit 125; fi; '
           'if [ -n "$mp" ]; then "$mnt" -t tmpfs -o "$opts" mammoth-tmp "$mp" || exit 125; fi; '
           'exec "$@"')
_CGROUP_PREFIX = "mammoth-sandbox-"
_serial = itertools.count()


@dataclass(frozen=True)
class HostLimits:
    """What this host can add around bubblewrap, and in words why or why not (``sandbox check`` shows it)."""

    entries: bool  # /tmp capped in entries (TMP_ENTRIES)
    entries_detail: str
    tasks: Path | None  # the cgroup directory worker cgroups are made in; None: none needed or none possible
    tasks_detail: str


class WorkerLimits:
    """One worker's cgroup and /tmp mount, and the command line that enters them."""

    def __init__(self, limits: HostLimits, tmp_mb: int, max_tasks: int):
        self.cgroup: Path | None = None
        if limits.tasks is not None:
            self.cgroup = limits.tasks / f"{_CGROUP_PREFIX}{os.getpid()}-{next(_serial)}"
            self.cgroup.mkdir()
            (self.cgroup / "pids.max").write_text(str(max_tasks))
        self._mount = _mount_point() if limits.entries else None
        self._options = f"size={tmp_mb << 20},nr_inodes={TMP_ENTRIES},mode=0700,nosuid,nodev"

    @property
    def tmp_source(self) -> str | None:
        """The directory bubblewrap binds at /tmp (None: bubblewrap makes a tmpfs capped in bytes only)."""
        return self._mount

    def wrap(self, argv: list[str]) -> list[str]:
        if self.cgroup is None and self._mount is None:
            return argv
        shell = [shutil.which("sh") or "/bin/sh", "-c", _SCRIPT, "mammoth-sandbox",
                 str(self.cgroup / "cgroup.procs") if self.cgroup else "", self._mount or "", self._options,
                 shutil.which("mount") or "mount"]
        if self._mount is not None:
            shell = [shutil.which("unshare") or "unshare", "--mount", "--propagation", "private", *shell]
        return shell + argv

    def release(self) -> None:
        """Remove the cgroup once the sandbox's processes are gone (the kernel frees it a moment after)."""
        if self.cgroup is None:
            return
        for _ in range(100):
            try:
                self.cgroup.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.01)


@functools.cache
def host_limits() -> HostLimits:
    entries, entries_detail = _probe_entries()
    tasks, tasks_detail = _probe_tasks()
    return HostLimits(entries, entries_detail, tasks, tasks_detail)


def _probe_entries() -> tuple[bool, str]:
    if os.geteuid() != 0:
        return False, ("not capped: the host is not root, so it cannot mount a tmpfs with an entry limit; /tmp "
                       "is capped in bytes only and a worker whose wipe runs past its bound is replaced")
    why = why_not(WorkerLimits(HostLimits(True, "", None, ""), 1, 0).wrap(["true"]))
    if why is not None:
        return False, f"not capped: cannot mount a private tmpfs ({why})"
    return True, f"at most {TMP_ENTRIES} entries (files, directories, links) in /tmp"


def _probe_tasks() -> tuple[Path | None, str]:
    if os.geteuid() != 0:
        return None, "RLIMIT_NPROC (the host is not root, so the kernel applies it)"
    parent = _own_pids_cgroup()
    if parent is None:
        return None, ("NOT LIMITED: the host runs as root, where Linux ignores RLIMIT_NPROC, and no pids cgroup is "
                      "writable here (run as a non-root user, or delegate a cgroup with the pids controller)")
    _remove_stale(parent)
    probe = parent / f"{_CGROUP_PREFIX}probe-{os.getpid()}"
    try:
        probe.mkdir()
        (probe / "pids.max").write_text("8")
    except OSError as e:
        return None, (f"NOT LIMITED: the host runs as root, where Linux ignores RLIMIT_NPROC, and {parent} does not "
                      f"take a pids cgroup ({e.strerror})")
    finally:
        try:
            probe.rmdir()
        except OSError:
            pass
    return parent, f"a pids cgroup per worker under {parent} (the host runs as root, where RLIMIT_NPROC does not hold)"


def _own_pids_cgroup() -> Path | None:
    """This process's cgroup in a hierarchy with the pids controller (v1 first, then v2)."""
    own: dict[str, str] = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                own[controller] = path
    with open("/proc/self/mounts") as f:
        mounts = [line.split() for line in f]
    for _, point, kind, options, *_ in mounts:
        if kind == "cgroup" and "pids" in options.split(",") and "pids" in own:
            return Path(point + own["pids"])
    for _, point, kind, *_ in mounts:
        if kind == "cgroup2" and "" in own:
            where = Path(point + own[""])
            try:
                if "pids" in (where / "cgroup.controllers").read_text().split():
                    (where / "cgroup.subtree_control").write_text("+pids")
                    return where
            except OSError:
                continue
    return None


def _remove_stale(parent: Path) -> None:
    """Worker cgroups left by a host process that was killed (empty, so removable)."""
    for path in parent.glob(f"{_CGROUP_PREFIX}*"):
        owner = path.name[len(_CGROUP_PREFIX):].split("-")[0]
        if owner.isdigit() and not Path(f"/proc/{owner}").exists():
            try:
                path.rmdir()
            except OSError:
                pass


@functools.cache
def _mount_point() -> str:
    """An empty directory of the host's, only ever mounted on inside workers' private mount namespaces."""
    path = tempfile.mkdtemp(prefix="mammoth-sandbox-tmp-")
    atexit.register(shutil.rmtree, path, True)
    return path
