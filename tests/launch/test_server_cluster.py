"""GRPO's vLLM server mode through a real two-node Slurm cluster on this machine: the server's script runs end to
end with a stand-in for ``trl vllm-serve`` (a real HTTP server answering /health) and a short trainer command
(the GRPO dry run, which prints where it was told the server is). A server that never turns healthy fails the
job at the deadline, a failing trainer fails it with the trainer's status, and each time the server is stopped."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from mammoth_math.cli import main
from mammoth_math.launch import load
from mammoth_math.launch.local import ClusterError, free_port, slurm_cluster

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
CONFIG = str(REPO / "configs" / "train" / "grpo-tiny-cpu.yaml")

# `trl vllm-serve` as the job calls it: a real server on the port it is given, answering /health (or refusing to,
# as a server still loading its model); it records its arguments, its process id and the node it runs on
SERVE = f"""#!{sys.executable}
import http.server, json, os, sys
args = sys.argv[1:]
with open(os.path.join(os.environ["STAND_IN_STATE"], "serve.json"), "w") as f:
    json.dump({{"argv": args, "pid": os.getpid(), "node": os.environ.get("SLURMD_NODENAME")}}, f)

class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path in ("/health", "/health/") and os.environ["STAND_IN_HEALTHY"] == "1"
        self.send_response(200 if ok else 503)
        self.end_headers()

    def log_message(self, *_):
        pass

http.server.HTTPServer(("0.0.0.0", int(args[args.index("--port") + 1])), Health).serve_forever()
"""


@pytest.fixture(scope="module")
def two_nodes(slurm_installed: None, tmp_path_factory: pytest.TempPathFactory):
    with ExitStack() as stack:
        try:
            conf = stack.enter_context(slurm_cluster(Path(tmp_path_factory.mktemp("slurm2")), nodes=2))
        except ClusterError as e:
            pytest.fail(f"{e}\n{e.logs}")
        yield conf


def _launch(tmp_path: Path, name: str, healthy: bool, prompts: Path, monkeypatch) -> tuple[Path, Path, int]:
    """Submit one server-mode launch; its stand-in's state folder, the launch folder and the server's port."""
    state = tmp_path / f"{name}-state"
    state.mkdir()
    monkeypatch.setenv("STAND_IN_STATE", str(state))  # sbatch hands the submitting environment to the job
    monkeypatch.setenv("STAND_IN_HEALTHY", "1" if healthy else "0")
    port, out = free_port(), tmp_path / name
    assert main(["launch", "slurm", "--accelerate-config", str(REPO / "configs" / "accelerate" / "cpu-2proc.yaml"),
                 "--setup", f"export PATH={tmp_path / 'bin'}:$PATH", "--vllm-wait", "5", "--",
                 "train", "--config", CONFIG, f"prompts={prompts}", "use_vllm=true", "vllm_mode=server",
                 f"vllm_server_port={port}", f"output_dir={out}", "--dry-run"]) == 0
    return state, out / "launch", port


def _ended(folder: Path, seconds: float = 240) -> tuple[str, int, str]:
    """Wait for the launch's job to end: its state, exit status and log."""
    job = load(folder)[2][0].main
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        shown = subprocess.run(["scontrol", "show", "job", job], capture_output=True, text=True).stdout
        state = re.search(r"JobState=(\S+)", shown)
        if state and state.group(1) not in ("PENDING", "RUNNING", "CONFIGURING", "COMPLETING"):
            log = next((folder / "logs").glob("train.job-*.out")).read_text(errors="replace")
            return state.group(1), int(re.search(r"ExitCode=(\d+):", shown).group(1)), log
        time.sleep(0.5)
    logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in (folder / "logs").glob("*.out"))
    pytest.fail(f"job {job} did not end within {seconds:.0f} s; logs:\n{logs}")


def _stopped(state: Path, seconds: float = 30) -> bool:
    """The stand-in's process is gone (everything runs on this machine, so its pid is ours to look at)."""
    pid = json.loads((state / "serve.json").read_text())["pid"]
    deadline = time.monotonic() + seconds
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    return not Path(f"/proc/{pid}").exists()


def test_server_mode_runs_end_to_end_and_stops_the_server(two_nodes, tmp_path, monkeypatch):
    monkeypatch.setenv("SLURM_CONF", two_nodes)
    monkeypatch.setenv("COLUMNS", "300")  # the dry run's table on one line per row in the log
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "trl").write_text(SERVE)
    (tmp_path / "bin" / "trl").chmod(0o755)
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(json.dumps({"question": "What is 1 + 1?", "gold": "2"}) + "\n")
    # three jobs side by side: a healthy server and a dry-run trainer, a server that never turns healthy, and a
    # trainer that fails (its prompts file is gone by the time it starts)
    good = _launch(tmp_path, "good", True, prompts, monkeypatch)
    sick = _launch(tmp_path, "sick", False, prompts, monkeypatch)
    gone = tmp_path / "gone.jsonl"
    gone.write_text(prompts.read_text())
    failing = _launch(tmp_path, "failing", True, gone, monkeypatch)
    gone.unlink()

    state, folder, port = good
    job_state, status, log = _ended(folder)
    assert (job_state, status) == ("COMPLETED", 0), log
    served = json.loads((state / "serve.json").read_text())
    assert served["argv"] == ["vllm-serve", "--model", "tiny", "--tensor-parallel-size", "1",
                              "--data-parallel-size", "1", "--host", "0.0.0.0", "--port", str(port)]
    # the trainer was told the server's node and port
    assert f"vLLM server at {served['node']}:{port}" in log, log
    assert (folder / "done" / "task-0").exists() and log.rstrip().endswith("stopping the vLLM server")
    assert _stopped(state)

    state, folder, port = sick
    job_state, status, log = _ended(folder)
    assert (job_state, status) == ("FAILED", 1)
    assert f"was not healthy within 5 s; see {folder}/logs/vllm.job-" in log
    assert "train --dry-run" not in log and not (folder / "done" / "task-0").exists()
    assert log.rstrip().endswith("stopping the vLLM server") and _stopped(state)

    state, folder, port = failing
    job_state, status, log = _ended(folder)
    # the job's status is the trainer step's (accelerate's launcher exits 1 when its process fails)
    assert job_state == "FAILED" and status != 0 and "no such prompt file" in log, log
    assert f"task 0: Exited with exit code {status}" in log and "stopping the vLLM server" in log
    assert not (folder / "done" / "task-0").exists() and _stopped(state)
