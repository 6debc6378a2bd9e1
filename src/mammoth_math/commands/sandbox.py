"""``mammoth-math sandbox run|check|serve``: one program, the isolation report, the HTTP service."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from mammoth_math.commands.common import add_isolation_flag, console, print_json


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sandbox", help="run model-written Python in the isolated sandbox")
    ssub = p.add_subparsers(dest="sandbox_command", required=True)
    run = ssub.add_parser("run", help="run one program file and print its ExecResult as JSON")
    run.add_argument("file", help="a .py file (Markdown fences are unwrapped)")
    run.add_argument("--timeout", type=float, default=5.0, help="wall-clock limit in seconds")
    run.set_defaults(handler=_run)
    check = ssub.add_parser("check", help="report which isolation features are active here")
    check.set_defaults(handler=_check)
    serve = ssub.add_parser("serve", help="serve the sandbox over HTTP (our API and SandboxFusion's /run_code)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind; off loopback a token is required")
    serve.add_argument("--port", type=int, default=8790)
    serve.add_argument("--token-file", help="file holding the bearer token (default: $MAMMOTH_SANDBOX_TOKEN)")
    serve.add_argument("--workers", type=int,
                       help="sandbox workers (default: up to four per core, one per core at the start)")
    serve.add_argument("--queue", type=int, help="programs admitted beyond one per worker before 429 (default: 4 per worker)")
    serve.add_argument("--timeout", type=float, default=5.0, help="seconds per program when a request names none")
    serve.add_argument("--max-timeout", type=float, default=60.0, help="the largest timeout a request may ask for")
    serve.add_argument("--memory-mb", type=int, default=1024, help="per program when a request names none")
    serve.add_argument("--max-body-bytes", type=int, default=8 << 20)
    serve.add_argument("--body-timeout", type=float, default=30.0, help="seconds to receive a request body (408 past it)")
    serve.add_argument("--session-idle", type=float, default=600.0, help="seconds before an unused session is closed")
    serve.set_defaults(handler=_serve)
    for parser in (run, check, serve):
        add_isolation_flag(parser, remote=parser is run)


def _run(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from mammoth_math.sandbox import open_sandbox

    with open(args.file, "rb") as f:
        code = f.read()
    with open_sandbox(timeout=args.timeout, workers=1) as sb:
        result = sb.run(code)
    print_json({**asdict(result), "ok": result.ok})
    return 0 if result.ok else 1


def _check(args: argparse.Namespace) -> int:
    from rich.table import Table

    from mammoth_math.sandbox import SandboxError, isolation_report

    try:
        report = isolation_report()
    except SandboxError as e:  # no bubblewrap, and --unsafe-no-isolation not given
        print(e, file=sys.stderr)
        return 1
    table = Table("feature", "active", "detail", title=f"sandbox isolation: {report.mode}")
    for f in report.features:
        table.add_row(f.name, "[green]yes[/]" if f.active else "[red]NO[/]", f.detail)
    console().print(table)
    return 0 if not report.missing else 1


def _serve(args: argparse.Namespace) -> int:
    from mammoth_math.sandbox import SandboxError
    from mammoth_math.sandbox.service import TOKEN_ENV, ServiceConfig, serve

    token = Path(args.token_file).read_text().strip() if args.token_file else os.environ.get(TOKEN_ENV) or None
    config = ServiceConfig(args.host, args.port, token, args.workers, args.queue, args.timeout, args.max_timeout,
                           args.memory_mb, max_body_bytes=args.max_body_bytes, body_timeout=args.body_timeout,
                           session_idle=args.session_idle)
    print(f"sandbox service on http://{args.host}:{args.port} (token {'required' if token else 'off: loopback'}); "
          "Ctrl-C or SIGTERM drains and stops", file=sys.stderr, flush=True)
    try:
        serve(config)
    except SandboxError as e:  # no bubblewrap, and --unsafe-no-isolation not given
        print(e, file=sys.stderr)
        return 1
    return 0
