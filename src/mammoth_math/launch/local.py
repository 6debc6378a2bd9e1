"""A one-node Slurm cluster on this machine: munged, slurmctld and slurmd, all under one folder.

``nodes=2`` starts a second slurmd, so a job can place steps on two nodes (GRPO's vLLM server beside its
trainer); the nodes are named after this host and ``localhost``, two names that reach this machine.

``slurm_cluster(folder)`` writes a munge key and a tiny ``slurm.conf`` (``proctrack/linuxproc``: no cgroups;
8 CPUs announced with ``config_overrides``, so a few small tasks run side by side on a 2-core machine), starts
the three daemons in the foreground as our own children, waits until the node is idle and yields the
``SLURM_CONF`` path; afterwards it cancels every job and stops the daemons. It raises :class:`ClusterError`
(its ``logs`` hold the daemons' logs) when the cluster does not come up. The tests and ``mammoth-math launch
local-slurm`` (to try ``launch slurm`` on one machine) both start theirs here. Run it as root, as slurmd starts
each job as its user.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mammoth_math.launch.jobs import SlurmError

DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo")


class ClusterError(SlurmError):
    """The cluster did not come up; ``logs`` holds the tail of each daemon's log."""

    def __init__(self, message: str, logs: str) -> None:
        super().__init__(message)
        self.logs = logs


def free_port() -> int:
    """A TCP port free on this host now (the kernel picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def missing_binaries() -> list[str]:
    paths = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    return [name for name in DAEMONS if shutil.which(name, path=paths) is None]


def _which(name: str) -> str:
    return shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])) or name


def _config(folder: Path, names: list[str], user: str) -> str:
    host = names[0]
    spool, pid, log = "spool", "slurmd.pid", "slurmd.log"
    nodes = f"NodeName={host} CPUs=8 RealMemory=4000 State=UNKNOWN"
    if len(names) > 1:  # one slurmd per node name, each with its own port, spool, pid and log (%n: the name)
        spool, pid, log = "spool-%n", "slurmd-%n.pid", "slurmd-%n.log"
        nodes = "\n".join(f"NodeName={name} NodeHostname={host} Port={free_port()} CPUs=8 RealMemory=4000 "
                          "State=UNKNOWN" for name in names)
    return f"""ClusterName=mammoth-local
SlurmctldHost={host}
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
AuthType=auth/munge
AuthInfo=socket={folder}/munge.sock
CredType=cred/munge
SlurmUser={user}
SlurmdUser={user}
StateSaveLocation={folder}/state
SlurmdSpoolDir={folder}/{spool}
SlurmctldPidFile={folder}/slurmctld.pid
SlurmdPidFile={folder}/{pid}
SlurmctldLogFile={folder}/slurmctld.log
SlurmdLogFile={folder}/{log}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
KillWait=2
SlurmdParameters=config_overrides
{nodes}
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
"""


@contextmanager
def slurm_cluster(folder: Path, startup_s: float = 60.0, nodes: int = 1) -> Iterator[str]:
    """Start the cluster (``nodes``: 1 or 2) under ``folder``; yield the path of its ``slurm.conf``."""
    host = socket.gethostname().split(".")[0]
    names = [host, "localhost"][:nodes]
    if nodes not in (1, 2) or len(set(names)) < nodes:
        raise ValueError(f"a local cluster has 1 node, or 2 on a host not named localhost (asked: {nodes} on {host})")
    folder.mkdir(parents=True, exist_ok=True)
    for sub in ("state", *(["spool"] if nodes == 1 else [f"spool-{name}" for name in names])):
        (folder / sub).mkdir(exist_ok=True)
    key = folder / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o600)
    conf = folder / "slurm.conf"
    conf.write_text(_config(folder, names, getpass.getuser()))
    env = {**os.environ, "SLURM_CONF": str(conf)}
    procs: list[subprocess.Popen] = []
    try:
        procs.append(_start([_which("munged"), "--foreground", "--force", f"--socket={folder}/munge.sock",
                             f"--key-file={key}", f"--pid-file={folder}/munged.pid", f"--log-file={folder}/munged.log",
                             f"--seed-file={folder}/munge.seed"], folder / "munged.out", env))
        _wait(lambda: (folder / "munge.sock").exists(), 10, "munged did not create its socket", folder, procs)
        procs.append(_start([_which("slurmctld"), "-D", "-c", "-f", str(conf)], folder / "slurmctld.out", env))
        for name in names:
            node = ["-N", name] if nodes > 1 else []
            procs.append(_start([_which("slurmd"), "-D", "-f", str(conf), *node],
                                folder / ("slurmd.out" if nodes == 1 else f"slurmd-{name}.out"), env))
        _wait(lambda: _node_idle(env), startup_s, "the node did not become idle", folder, procs)
        yield str(conf)
    finally:
        subprocess.run([_which("scancel"), "--full", "--user", getpass.getuser()], env=env, capture_output=True,
                       timeout=30)
        time.sleep(0.5)
        for proc in reversed(procs):
            stop_group(proc)


def wait_for_stop() -> int:
    """Block until Ctrl-C (SIGINT) or SIGTERM arrives, and return it: the foreground of ``launch local-slurm``.

    Both are taken by ``sigwait``, with their default action restored first, since a shell starts a background
    job with SIGINT ignored, and an ignored signal never arrives."""
    stop = {signal.SIGINT, signal.SIGTERM}
    for sig in stop:
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    return signal.sigwait(stop)


def _start(cmd: list[str], out: Path, env: dict[str, str]) -> subprocess.Popen:
    with open(out, "wb") as log:
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def _node_idle(env: dict[str, str]) -> bool:
    done = subprocess.run([_which("sinfo"), "--noheader", "--format=%t"], env=env, capture_output=True, text=True,
                          timeout=10)
    states = done.stdout.split()
    return done.returncode == 0 and bool(states) and all(s in ("idle", "mix", "alloc") for s in states)


def _wait(ready, seconds: float, what: str, folder: Path, procs: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return
        dead = [p for p in procs if p.poll() is not None]
        if dead:
            break
        time.sleep(0.3)
    logs = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-1500:]}"
                     for p in sorted(folder.glob("*.log")) + sorted(folder.glob("*.out")))
    raise ClusterError(f"one-node Slurm cluster: {what} after {seconds:.0f} s (daemon logs in {folder})", logs)


def stop_group(proc: subprocess.Popen, grace_s: float = 15.0) -> None:
    """Stop a process started in a session of its own, and its group: SIGTERM, then SIGKILL after ``grace_s``."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
