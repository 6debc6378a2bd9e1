"""SandboxFusion's ``/run_code`` shape (bytedance/SandboxFusion), so verl's and other RL frameworks' clients call
our sandbox unchanged.

Request: ``code``, ``language``, ``compile_timeout``, ``run_timeout``, ``memory_limit_MB`` (-1: the server's
default), ``stdin``, ``files``, ``fetch_files``. Response: ``status`` ("Success", "Failed", "SandboxError"),
``message``, ``compile_result`` (None: Python compiles nothing), ``run_result`` (``status`` "Finished",
"TimeLimitExceeded" or "Error", ``execution_time``, ``return_code``, ``stdout``, ``stderr``),
``executor_pod_name``, ``files``. Only ``python`` runs; another language, or files in or out (programs see no
host files here), is answered as SandboxFusion answers what it cannot run: ``status="SandboxError"`` and a
message. ``stdin`` is given to the program as ``sys.stdin`` by one added first line, so a traceback's line
numbers are one higher than in the source sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mammoth_math.sandbox.result import ExecResult

LANGUAGES = ("python", "python3")


@dataclass(frozen=True)
class FusionRequest:
    code: str
    timeout: float | None  # None: the server's default
    memory_mb: int | None


class FusionRefusal(ValueError):
    """A request this sandbox cannot run; answered in SandboxFusion's shape with this message."""


def parse_request(body: Any) -> FusionRequest:
    """The program to run, or ``FusionRefusal`` naming the field; raises ``ValueError`` for malformed input."""
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    code, language = body.get("code"), body.get("language")
    if not isinstance(code, str):
        raise ValueError("field 'code' must be a string")
    if not isinstance(language, str):
        raise ValueError("field 'language' must be a string")
    if language not in LANGUAGES:
        raise FusionRefusal(f"language {language[:40]!r} is not supported here (only python)")
    if body.get("files") or body.get("fetch_files"):
        raise FusionRefusal("files and fetch_files are not supported: programs see no files of the host")
    timeout = body.get("run_timeout")
    if timeout is not None and (not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0):
        raise ValueError("field 'run_timeout' must be a positive number")
    memory = body.get("memory_limit_MB")
    if memory is not None and (not isinstance(memory, int) or isinstance(memory, bool)):
        raise ValueError("field 'memory_limit_MB' must be an integer")
    stdin = body.get("stdin")
    if stdin is not None and not isinstance(stdin, str):
        raise ValueError("field 'stdin' must be a string")
    if stdin:
        code = f"import sys as _s, io as _i; _s.stdin = _i.StringIO({stdin!r}); del _s, _i\n{code}"
    return FusionRequest(code, None if timeout is None else float(timeout),
                         None if memory is None or memory <= 0 else memory)


def response(result: ExecResult, pod: str) -> dict[str, Any]:
    """``result`` as SandboxFusion's RunCodeResponse: a program's exception is a finished run with return code 1."""
    if result.timed_out:
        status, code = "TimeLimitExceeded", None
    elif result.error is not None and result.error.startswith("SandboxError"):
        status, code = "Error", None
    else:
        status, code = "Finished", 0 if result.error is None else 1
    stderr = result.stderr
    if result.error is not None and result.error not in stderr:  # timeouts, memory, crashes print nothing
        stderr = f"{stderr}{result.error}\n"
    run = {"status": status, "execution_time": result.duration_s, "return_code": code, "stdout": result.stdout,
           "stderr": stderr}
    return {"status": "Success" if code == 0 else "Failed", "message": "", "compile_result": None,
            "run_result": run, "executor_pod_name": pod, "files": {}}


def refusal(message: str, pod: str) -> dict[str, Any]:
    return {"status": "SandboxError", "message": message, "compile_result": None, "run_result": None,
            "executor_pod_name": pod, "files": {}}
