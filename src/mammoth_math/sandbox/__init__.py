"""Run model-written Python safely and fast: pre-warmed fork-server workers inside bubblewrap.

``Sandbox(...).run(code)`` returns an ``ExecResult``; ``Sandbox(...).session()`` runs one problem's blocks
in one persistent process (``notebook_output`` is what a model is shown); ``isolation_report()`` says what
is isolated here. ``open_sandbox()`` gives a ``RemoteSandbox`` (the same interface, on the hosts of
``mammoth-math sandbox serve``) when ``$MAMMOTH_SANDBOX_URL`` names them, else a ``Sandbox``.
The threat model is in ``isolation``.
"""

from mammoth_math.sandbox.notebook import notebook_output
from mammoth_math.sandbox._process import SandboxError
from mammoth_math.sandbox.pool import DEFAULT_PREAMBLE, Sandbox
from mammoth_math.sandbox.remote import RemoteSandbox, RemoteSession, open_sandbox
from mammoth_math.sandbox.check import Feature, IsolationReport, isolation_report
from mammoth_math.sandbox.result import ExecResult
from mammoth_math.sandbox.session import SandboxSession

__all__ = ["DEFAULT_PREAMBLE", "ExecResult", "Feature", "IsolationReport", "RemoteSandbox", "RemoteSession", "Sandbox",
           "SandboxError", "SandboxSession", "isolation_report", "notebook_output", "open_sandbox"]
