"""``mammoth-math launch local-slurm`` (issue 24, item 11): the README's way to try ``launch slurm`` on one
machine starts a real one-node cluster, prints the ``SLURM_CONF`` to use, runs a job, and Ctrl-C stops it."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _first_line(proc: subprocess.Popen, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if select.select([proc.stdout], [], [], 1.0)[0]:
            return proc.stdout.readline()
        assert proc.poll() is None, proc.communicate()
    raise AssertionError("local-slurm printed nothing")


def test_local_slurm_runs_a_job_and_ctrl_c_stops_it(slurm_installed, tmp_path):
    folder = tmp_path / "slurm"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "MAMMOTH_NO_PROGRESS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "mammoth_math", "launch", "local-slurm", "--folder", str(folder)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        line = _first_line(proc, 180)
        prefix = "a one-node Slurm cluster is up; in another shell: export SLURM_CONF="
        assert line.startswith(prefix), line
        conf = line[len(prefix):].strip()
        assert conf == str(folder / "slurm.conf")
        out = tmp_path / "hello.out"
        subprocess.run(["sbatch", "--output", str(out), "--wrap", "echo hello from slurm"],
                       env={**os.environ, "SLURM_CONF": conf}, check=True, capture_output=True, timeout=60)
        deadline = time.monotonic() + 180
        while not (out.exists() and "hello from slurm" in out.read_text()):
            assert time.monotonic() < deadline, (folder / "slurmd.log").read_text()[-2000:]
            time.sleep(0.5)
        daemon = int((folder / "slurmctld.pid").read_text())
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=120)
    assert proc.returncode == 0 and stdout.strip().endswith("stopped the cluster"), stderr[-2000:]
    assert not Path(f"/proc/{daemon}").exists()  # the daemons went with it
