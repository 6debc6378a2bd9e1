"""Issue 24, item 1: with the virtual environment under /tmp, the sandbox bound it at its host path on top
of its own fresh /tmp, so every program saw the venv's top folder there. Interpreter directories under /tmp
now appear at fixed paths of the sandbox's own; ``sandbox check`` reports a /tmp that is not empty."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")
SCRIPT = """
import json, sys
from mammoth_math.sandbox import Sandbox, isolation_report
with Sandbox(timeout=10.0, workers=1, preamble="import math", warmup="") as sb:
    single = sb.run("import os, sys\\nprint(sorted(os.listdir('/tmp')), sys.prefix)").answer
    with sb.session() as session:
        blocks = [session.run("import os\\nx = sorted(os.listdir('/tmp'))").error, session.run("print(x, 6 * 7)").answer]
    report = isolation_report(sb)
print(json.dumps({"host_prefix": sys.prefix, "single": single, "session": blocks, "mode": report.mode,
                  "empty_tmp": [report.active("empty_tmp"), report.detail("empty_tmp")]}))
"""


def test_a_sandbox_run_from_a_venv_under_tmp_sees_an_empty_tmp(tmp_path):
    if not str(tmp_path).startswith("/tmp/"):
        pytest.skip(f"the temporary folder {tmp_path} is not under /tmp")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)], check=True)
    # The host side needs this project's dependencies: the running environment's packages, by a .pth file
    # (inside the sandbox those paths are not bound and the worker needs none of them).
    site_dir = next((venv / "lib").glob("python*/site-packages"))
    (site_dir / "host-packages.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    done = subprocess.run([str(venv / "bin" / "python"), "-c", SCRIPT], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": SRC})
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["host_prefix"] == str(venv)
    if seen["mode"] != "bubblewrap":
        pytest.skip("bubblewrap cannot run here")
    listing, prefix = seen["single"].split(" ")
    assert listing == "[]" and prefix.startswith("/opt/mammoth-python/"), seen  # the venv, at a path of its own
    assert seen["session"] == [None, "[] 42"], seen
    assert seen["empty_tmp"][0], seen
