"""Run model-written Python safely and fast: pre-warmed fork-server workers inside bubblewrap.

``Sandbox(...).run(code)`` returns an ``ExecResult``; ``isolation_report()`` says what is isolated here.
The threat model is in ``isolation``.
"""

from mammoth_math.sandbox.pool import DEFAULT_PREAMBLE, Sandbox, SandboxError
from mammoth_math.sandbox.report import Feature, IsolationReport, isolation_report
from mammoth_math.sandbox.result import ExecResult

__all__ = ["DEFAULT_PREAMBLE", "ExecResult", "Feature", "IsolationReport", "Sandbox", "SandboxError",
           "isolation_report"]
