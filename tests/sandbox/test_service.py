"""Issue 23: the sandbox as an HTTP service, against real `mammoth-math sandbox serve` processes on loopback and
real HTTP clients: results equal to in-process, many clients at once, slow, oversized, malformed and
unauthenticated requests, SandboxFusion's /run_code shape, a full queue, a host killed under a session, and
SIGTERM with work in flight."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict

import httpx
import pytest

from helpers.servers import SandboxHost, free_port, serve_sandbox
from mammoth_math.sandbox import RemoteSandbox, SandboxError, open_sandbox
from mammoth_math.sandbox.service import ServiceConfig

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BODY_CAP = 64 * 1024
# The module's server runs programs with the shared in-process sandbox's limits (conftest: 2 s, 256 MB).
FLAGS = ("--workers", "2", "--queue", "64", "--timeout", "2", "--memory-mb", "256",
         "--max-body-bytes", str(BODY_CAP), "--body-timeout", "3")

CORPUS = [
    "print(6 * 7)", "ans = 3 ** 5", "def solution():\n    return 17 * 3", "x = 1\nprint(x)\nprint(x + 1)\n",
    "```python\nprint(sum(range(101)))\n```", "Here is code:\n```\nprint('bare fence')\n```\nDone.",
    "from fractions import Fraction\nprint(Fraction(1, 3) + Fraction(1, 6))", "import math\nprint(math.comb(10, 3))",
    "import numpy as np\nprint(np.arange(10).sum())", "import sympy as sp\nx = sp.Symbol('x')\nprint(sp.solve(3*x + 1 - 7, x))",
    "from sympy import Rational\nprint(Rational(2, 4))", "1 / 0", "raise ValueError('nope')", "print(undefined_name)",
    "def f(:\n    pass", "", "   \n", "import sys\nprint('to stderr', file=sys.stderr)\nprint(5)",
    "while True:\n    pass", "print('x' * 200000)", "x = bytearray(1 << 30)\nprint(len(x))", "print('é ü 中文 \\U0001F600')",
    "import os\nprint(os.environ.get('MAMMOTH_SECRET_CANARY'))", "import sys\nsys.exit(3)", "print(1)\nimport time\ntime.sleep(0.2)\nprint(2)",
    b"print('bytes program')", b"\xef\xbb\xbfprint('with a BOM')", b"\xff\xfe not utf-8", "print('\\ud800'.encode('utf-8', 'replace'))",
    "import random\nrandom.seed(1)\nprint(random.randint(1, 100))", "ans = [1, 2, 3]", "print(None)",
]


def _same(remote: list, local: list) -> None:
    for code, r, l in zip(CORPUS, remote, local):
        r, l = asdict(r), asdict(l)
        r.pop("duration_s"), l.pop("duration_s")
        assert r == l, code


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    with serve_sandbox(tmp_path_factory.mktemp("sandbox-serve"), *FLAGS, token=TOKEN) as h:
        yield h


@pytest.fixture()
def client(host):
    with RemoteSandbox(host.url, timeout=2.0, memory_mb=256, token=TOKEN) as rs:
        yield rs


def _metric(host: SandboxHost, name: str) -> float:
    text = httpx.get(f"{host.url}/metrics", headers=AUTH).text
    return float(next(line.split()[-1] for line in text.splitlines() if line.startswith(name + " ")))


def _raw(host: SandboxHost) -> socket.socket:
    port = int(host.url.rsplit(":", 1)[1])
    return socket.create_connection(("127.0.0.1", port), timeout=30)


def _status(sock: socket.socket) -> tuple[int, str]:
    """The status and the whole response: headers, then the body up to its content-length (the two may come in
    separate packets)."""
    data = b""
    while b"\r\n\r\n" not in data or len(data.partition(b"\r\n\r\n")[2]) < _content_length(data):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head = data.split(b"\r\n\r\n")[0].decode()
    return int(head.split()[1]), data.decode(errors="replace")


def _content_length(data: bytes) -> int:
    for line in data.partition(b"\r\n\r\n")[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def test_results_equal_in_process(client, sandbox):
    _same(client.run_many(CORPUS), sandbox.run_many(CORPUS))
    _same([client.run(c) for c in CORPUS[:8]], [sandbox.run(c) for c in CORPUS[:8]])


def test_session_results_equal_in_process(client, sandbox):
    blocks = ["x = 6", "print(x * 7)", "y = undefined", "print(x)", "import sympy\nprint(sympy.sqrt(8))", "while True: pass",
              "print(x)"]
    with client.session() as remote, sandbox.session() as local:
        for block in blocks:
            r, l = asdict(remote.run(block)), asdict(local.run(block))
            r.pop("duration_s"), l.pop("duration_s")
            assert r == l, block
        assert remote.alive is local.alive is False


def test_64_concurrent_clients(host):
    def one(i: int) -> tuple[str | None, str | None]:
        with RemoteSandbox(host.url, timeout=2.0, memory_mb=256, token=TOKEN) as rs:
            single = rs.run(f"print({i} * {i})").answer
            with rs.session() as s:
                s.run(f"n = {i}")
                return single, s.run("print(n + 1)").answer

    with ThreadPoolExecutor(64) as pool:
        answers = list(pool.map(one, range(64)))
    assert answers == [(str(i * i), str(i + 1)) for i in range(64)]
    assert _metric(host, "mammoth_sandbox_in_flight") == 0
    p50, p95 = (_metric(host, f'mammoth_sandbox_latency_seconds{{quantile="{q}"}}') for q in (0.5, 0.95))
    assert 0 < p50 <= p95


def test_a_slow_body_holds_no_one_up_and_too_slow_is_408(host, client):
    body = json.dumps({"programs": ["print(6 * 7)"]}).encode()
    slow = _raw(host)
    slow.sendall(f"POST /v1/run HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:5])
    assert client.run("print(1)").answer == "1"  # served while the slow body is still arriving
    for i in range(5, len(body), 8):
        time.sleep(0.05)
        slow.sendall(body[i:i + 8])
    status, text = _status(slow)
    assert status == 200 and '"answer": "42"' in text
    slow.close()

    trickle = _raw(host)
    trickle.sendall(f"POST /v1/run HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n".encode())
    for i in range(len(body)):  # one byte every 0.5 s: past the 3 s body deadline long before the end
        try:
            trickle.sendall(body[i:i + 1])
        except OSError:
            break
        trickle.settimeout(0.5)
        try:
            if trickle.recv(1, socket.MSG_PEEK):
                break
        except TimeoutError:
            continue
    trickle.settimeout(30)
    status, text = _status(trickle)
    assert status == 408 and "did not arrive within" in text
    assert client.run("print(2)").answer == "2"


def test_oversized_bodies_are_refused_before_they_are_read(host, client):
    declared = _raw(host)  # the declared length alone is enough: nothing of the body is sent
    declared.sendall(f"POST /v1/run HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                     f"Content-Length: {50 << 20}\r\n\r\n".encode())
    assert _status(declared)[0] == 413
    declared.close()

    chunked = _raw(host)  # no length: refused once what arrived passes the cap
    chunked.sendall(f"POST /v1/run HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n".encode())
    chunk = b"4000\r\n" + b"[" * 0x4000 + b"\r\n"
    sent = 0
    chunked.settimeout(0.2)
    while sent < 100 * BODY_CAP:
        try:
            chunked.sendall(chunk)
            sent += 0x4000
            if chunked.recv(1, socket.MSG_PEEK):
                break
        except TimeoutError:
            continue
        except OSError:  # the server closed the connection after answering
            break
    chunked.settimeout(30)
    status, _ = _status(chunked)
    assert status == 413 and sent < 100 * BODY_CAP  # refused while the body was still coming
    chunked.close()
    assert client.run("print(3)").answer == "3"


@pytest.mark.parametrize("body, field", [
    (b"{not json", "not JSON"), (b"\xff\xfe", "not JSON"), (b"[1, 2]", "JSON object"), (b"{}", "programs"),
    (b'{"programs": []}', "programs"), (b'{"programs": [1]}', "programs"), (b'{"programs": "print(1)"}', "programs"),
    (b'{"programs": ["print(1)"], "timeout": 1000}', "timeout"), (b'{"programs": ["print(1)"], "timeout": "2"}', "timeout"),
    (b'{"programs": ["print(1)"], "memory_mb": -5}', "memory_mb"), (b'{"programs": ["print(1)"], "memory_mb": true}', "memory_mb"),
])
def test_malformed_bodies_get_400_naming_the_field(host, body, field):
    r = httpx.post(f"{host.url}/v1/run", content=body, headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 400 and field in r.json()["error"]


def test_token_is_required(host):
    body = {"programs": ["print(1)"]}
    assert httpx.post(f"{host.url}/v1/run", json=body).status_code == 401
    assert httpx.post(f"{host.url}/v1/run", json=body, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert httpx.post(f"{host.url}/run_code", json={"code": "print(1)", "language": "python"}).status_code == 401
    assert httpx.get(f"{host.url}/metrics").status_code == 401
    assert httpx.post(f"{host.url}/v1/run", json=body, headers=AUTH).json()["results"][0]["answer"] == "1"
    assert httpx.get(f"{host.url}/health").json()["status"] == "ok"  # probes need no token
    with pytest.raises(SandboxError, match="HTTP 401"), RemoteSandbox(host.url, token="wrong-token-0123456789") as rs:
        rs.run("print(1)")
    with pytest.raises(ValueError, match="needs a token"):
        ServiceConfig(host="0.0.0.0")


def test_sandboxfusion_run_code_shape(host):
    # The request and response as SandboxFusion documents POST /run_code (RunCodeRequest, RunCodeResponse).
    request = {"code": "print('hello')", "language": "python", "compile_timeout": 10, "run_timeout": 10,
               "memory_limit_MB": -1, "stdin": "", "files": {}, "fetch_files": []}
    answer = httpx.post(f"{host.url}/run_code", json=request, headers=AUTH).json()
    assert set(answer) == {"status", "message", "compile_result", "run_result", "executor_pod_name", "files"}
    assert set(answer["run_result"]) == {"status", "execution_time", "return_code", "stdout", "stderr"}
    assert (answer["status"], answer["run_result"]["status"], answer["run_result"]["return_code"],
            answer["run_result"]["stdout"]) == ("Success", "Finished", 0, "hello\n")

    def run(**fields) -> dict:
        return httpx.post(f"{host.url}/run_code", json={**request, **fields}, headers=AUTH).json()

    failed = run(code="1 / 0")
    assert (failed["status"], failed["run_result"]["return_code"]) == ("Failed", 1)
    assert "ZeroDivisionError" in failed["run_result"]["stderr"]
    slow = run(code="while True: pass", run_timeout=1)
    assert (slow["status"], slow["run_result"]["status"]) == ("Failed", "TimeLimitExceeded")
    assert run(code="print(input()[::-1])", stdin="abc\n")["run_result"]["stdout"] == "cba\n"
    for refused in (run(language="cpp"), run(files={"a.txt": "aGk="}), run(run_timeout=1000)):
        assert refused["status"] == "SandboxError" and refused["run_result"] is None and refused["message"]


def test_dead_host_work_is_retried_on_another(host):
    dead = f"http://127.0.0.1:{free_port()}"
    with RemoteSandbox([dead, host.url], timeout=2.0, memory_mb=256, token=TOKEN) as rs:
        assert [r.answer for r in rs.run_many([f"print({i})" for i in range(12)])] == [str(i) for i in range(12)]
    with pytest.raises(SandboxError, match="no sandbox host answered"):
        RemoteSandbox(dead).start()


def test_open_sandbox_follows_the_environment(host, monkeypatch):
    monkeypatch.setenv("MAMMOTH_SANDBOX_URL", host.url)
    monkeypatch.setenv("MAMMOTH_SANDBOX_TOKEN", TOKEN)
    with open_sandbox(timeout=2.0, memory_mb=256) as sb:
        assert isinstance(sb, RemoteSandbox) and sb.run("print(5)").answer == "5"


def test_sandbox_url_sends_data_building_to_the_hosts(host, sandbox, monkeypatch):
    from mammoth_math.cli import build_parser
    from mammoth_math.commands.common import apply_isolation_flag
    from mammoth_math.data.tir import session_runner
    from mammoth_math.data.verify import VerifyConfig, sandbox_runner

    # setenv first: monkeypatch then undoes whatever the flag sets (a bare delenv of an unset name records
    # nothing, and the URL leaked into every later test of the session)
    monkeypatch.setenv("MAMMOTH_SANDBOX_URL", "")
    monkeypatch.delenv("MAMMOTH_SANDBOX_URL")
    monkeypatch.setenv("MAMMOTH_SANDBOX_TOKEN", TOKEN)
    apply_isolation_flag(build_parser().parse_args(["data", "build", "--config", "c.yaml", "--out", "o",
                                                     "--sandbox-url", host.url]))
    assert os.environ["MAMMOTH_SANDBOX_URL"] == host.url  # set by the flag; undone after the test
    ran = _metric(host, 'mammoth_sandbox_runs_total{outcome="ok"}')
    programs = CORPUS[:6]
    _same(sandbox_runner(VerifyConfig(timeout=2.0, memory_mb=256), progress=False)(programs), sandbox.run_many(programs))
    [[first, second]] = session_runner(timeout=2.0, memory_mb=256, progress=False).run([["x = 6", "print(x * 7)"]])
    assert (first.ok, second.answer) == (True, "42")
    assert _metric(host, 'mammoth_sandbox_runs_total{outcome="ok"}') >= ran + 6 + 2  # they ran there


def test_full_queue_gets_429_with_retry_after(tmp_path):
    with serve_sandbox(tmp_path, "--workers", "1", "--queue", "0", "--timeout", "5") as small:
        url = f"{small.url}/v1/run"
        assert httpx.post(url, json={"programs": ["print(1)", "print(2)"]}).status_code == 413  # past capacity
        with ThreadPoolExecutor(1) as pool:
            busy = pool.submit(httpx.post, url, json={"programs": ["import time\ntime.sleep(2)\nprint(9)"]}, timeout=60)
            deadline = time.monotonic() + 60
            while _metric(small, "mammoth_sandbox_in_flight") < 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            refused = httpx.post(url, json={"programs": ["print(1)"]})
            assert refused.status_code == 429 and float(refused.headers["Retry-After"]) > 0
            with RemoteSandbox(small.url) as rs:  # a client waits its turn instead
                assert rs.run("print(4)").answer == "4"
            assert busy.result().json()["results"][0]["answer"] == "9"
        assert _metric(small, 'mammoth_sandbox_refused_total{reason="queue_full"}') >= 1


def test_sessions_left_idle_are_closed(tmp_path):
    with serve_sandbox(tmp_path, "--workers", "1", "--session-idle", "1") as idle, RemoteSandbox(idle.url) as rs:
        session = rs.session()
        assert session.run("x = 1").ok and _metric(idle, "mammoth_sandbox_sessions_open") == 1
        deadline = time.monotonic() + 60
        while _metric(idle, "mammoth_sandbox_sessions_open") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _metric(idle, "mammoth_sandbox_sessions_open") == 0  # its slot is free for others
        assert session.run("print(x)").error == ("SessionEnded: no such session on this host (closed, idle too long, "
                                                 "or the host restarted)") and not session.alive


def test_session_whose_host_dies_ends_clearly_and_the_next_goes_elsewhere(host, tmp_path):
    with serve_sandbox(tmp_path, "--workers", "1", "--timeout", "2", "--memory-mb", "256", token=TOKEN) as victim, \
            RemoteSandbox([victim.url, host.url], timeout=20.0, memory_mb=256, token=TOKEN) as rs:
        ok = 'mammoth_sandbox_runs_total{outcome="ok"}'
        before = _metric(victim, ok), _metric(host, ok)
        assert [r.answer for r in rs.run_many([f"print({i})" for i in range(40)])] == [str(i) for i in range(40)]
        assert _metric(victim, ok) > before[0] and _metric(host, ok) > before[1]  # the load was spread
        session = rs.session()
        assert session.url == victim.url  # ties go to the first listed
        assert session.run("x = 6").ok
        with ThreadPoolExecutor(1) as pool:
            block = pool.submit(session.run, "import time\ntime.sleep(30)\nprint(x)")
            time.sleep(1.0)
            victim.proc.send_signal(signal.SIGKILL)
            result = block.result(timeout=60)
        assert result.error.startswith("SandboxError") and victim.url in result.error and result.answer is None
        assert not session.alive and session.run("print(x)").error.startswith("SessionEnded")
        session.close()
        with rs.session() as again:
            assert again.url == host.url
            again.run("x = 6")
            assert again.run("print(x * 7)").answer == "42"
        assert rs.run("print(8)").answer == "8"


def test_sigterm_finishes_work_in_flight_and_refuses_new_work(tmp_path):
    with serve_sandbox(tmp_path, "--workers", "1", "--timeout", "5") as dying:
        client = httpx.Client(timeout=60)  # one kept-alive connection, open before the signal
        assert client.post(f"{dying.url}/v1/run", json={"programs": ["print(0)"]}).status_code == 200
        with ThreadPoolExecutor(1) as pool:
            in_flight = pool.submit(httpx.post, f"{dying.url}/v1/run", timeout=60,
                                    json={"programs": ["import time\ntime.sleep(2)\nprint(9)"]})
            deadline = time.monotonic() + 60
            while _metric(dying, "mammoth_sandbox_in_flight") < 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            dying.proc.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            try:  # new work: a clear 503 on an open connection, or no connection at all; never a silent drop
                late = client.post(f"{dying.url}/v1/run", json={"programs": ["print(1)"]})
                assert late.status_code == 503 and "shutting down" in late.json()["error"]
            except httpx.TransportError:
                pass
            with pytest.raises(httpx.ConnectError):
                httpx.post(f"{dying.url}/v1/run", json={"programs": ["print(1)"]})
            assert in_flight.result().json()["results"][0]["answer"] == "9"
        # uvicorn re-raises the signal once it has drained, so the exit reads as SIGTERM's, as supervisors expect
        assert dying.proc.wait(timeout=60) in (0, -signal.SIGTERM)
        assert "Traceback" not in dying.server.log()
        client.close()
