"""Real servers for tests, started on 127.0.0.1 and always stopped.

- ``serve_model(path)``: a real ``transformers serve`` (OpenAI-compatible) pinned to a local model directory.
- ``serve_sandbox(log_dir, *flags)``: a real ``mammoth-math sandbox serve`` (the sandbox over HTTP).
- ``fault_server(script)``: a stdlib HTTP server answering ``/v1/completions`` and ``/v1/chat/completions``
  with a scripted sequence of failures (429, 500, hang, drop) before a fixed success, for retry tests.
The model servers are context managers yielding a :class:`Server` with ``base_url`` (ends in ``/v1``).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from mammoth_math.launch.local import free_port, stop_group


@dataclass
class Server:
    base_url: str  # e.g. http://127.0.0.1:PORT/v1
    model: str  # the model name requests must carry
    log_path: Path | None = None
    requests: list[dict] = field(default_factory=list)  # bodies received (fault server only)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""


def _serve_command() -> list[str]:
    exe = shutil.which("transformers", path=str(Path(sys.executable).parent)) or shutil.which("transformers")
    if exe is None:
        raise RuntimeError("the `transformers` CLI is not installed (pip install 'transformers[serving]')")
    return [exe, "serve"]


@contextmanager
def serve_model(model_dir: str | Path, log_dir: str | Path, startup_s: float = 90.0) -> Iterator[Server]:
    """Start ``transformers serve MODEL_DIR`` on a free port; wait for ``/health``; kill its process group after."""
    port = free_port()
    log_path = Path(log_dir) / f"transformers-serve-{port}.log"
    cmd = [*_serve_command(), str(model_dir), "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"]
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    server = Server(base_url=f"http://127.0.0.1:{port}/v1", model=str(model_dir), log_path=log_path)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/health", proc, startup_s, server)
        yield server
    finally:
        stop_group(proc, 10)


def _wait_healthy(url: str, proc: subprocess.Popen, startup_s: float, server: Server,
                  name: str = "transformers serve") -> None:
    deadline = time.monotonic() + startup_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{server.log()[-3000:]}")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{name} not healthy after {startup_s:.0f} s:\n{server.log()[-3000:]}")


@dataclass
class SandboxHost:
    url: str  # http://127.0.0.1:PORT
    proc: subprocess.Popen
    server: Server  # its log


@contextmanager
def serve_sandbox(log_dir: str | Path, *flags: str, token: str | None = None, startup_s: float = 120.0
                  ) -> Iterator[SandboxHost]:
    """Start ``mammoth-math sandbox serve FLAGS`` on a free loopback port (``token`` through its environment
    variable); wait for ``/health``; stop its process group after."""
    port = free_port()
    log_path = Path(log_dir) / f"sandbox-serve-{port}.log"
    env = {k: v for k, v in os.environ.items() if k != "MAMMOTH_SANDBOX_TOKEN"}
    if token is not None:
        env["MAMMOTH_SANDBOX_TOKEN"] = token
    cmd = [sys.executable, "-m", "mammoth_math.cli", "sandbox", "serve", "--port", str(port), *flags]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    host = SandboxHost(f"http://127.0.0.1:{port}", proc, Server(f"http://127.0.0.1:{port}", "", log_path))
    try:
        _wait_healthy(f"{host.url}/health", proc, startup_s, host.server, "mammoth-math sandbox serve")
        yield host
    finally:
        stop_group(proc, 10)


# Fault injection -------------------------------------------------------------------------------

FAULTS = ("400", "429", "500", "503", "hang", "drop")  # a step of a script; anything else is "ok"


def ok_body(body: dict, text: str = "ok 42") -> dict:
    """An OpenAI-shaped success for ``body``: one choice per ``n``, echoing the request's ``seed``."""
    n = int(body.get("n") or 1)
    chat = "messages" in body
    choices = [
        {"index": i, "finish_reason": "stop", **({"message": {"role": "assistant", "content": text}} if chat else {"text": text})}
        for i in range(n)
    ]
    return {"object": "chat.completion" if chat else "text_completion", "choices": choices,
            "usage": {"prompt_tokens": 5, "completion_tokens": 2 * n, "total_tokens": 5 + 2 * n}}


class JsonHandler(BaseHTTPRequestHandler):
    """A quiet request handler that answers JSON: the base of the scripted servers of the tests."""

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def send_json(self, status: int, obj: dict) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def fault_server(script: Sequence[str], hang_s: float = 5.0, text: str | Callable[[dict], str] = "ok 42"
                 ) -> Iterator[Server]:
    """Answer request k with ``script[k]`` (a fault from :data:`FAULTS`, or "ok"); after the script, always ok.

    The script is shared across requests in arrival order, so it counts attempts, not prompts. ``text`` is the
    reply, or a function of the request body that chooses it (a scripted judge, say).
    """
    steps = list(script)
    lock = threading.Lock()
    received: list[dict] = []

    class Handler(JsonHandler):
        def do_GET(self) -> None:
            self.send_json(200, {"status": "ok"})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            reply = text(body) if callable(text) else text
            with lock:
                received.append(body)
                step = steps.pop(0) if steps else "ok"
            if step in ("400", "429", "500", "503"):
                self.send_json(int(step), {"error": {"message": f"injected {step}"}})
            elif step == "hang":
                time.sleep(hang_s)
                self.send_json(200, ok_body(body, reply))
            elif step == "drop":
                self.connection.shutdown(socket.SHUT_RDWR)  # the client sees a connection error
            else:
                self.send_json(200, ok_body(body, reply))

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(base_url=f"http://127.0.0.1:{httpd.server_port}/v1", model="fault", requests=received)
    finally:
        httpd.shutdown()
        httpd.server_close()
