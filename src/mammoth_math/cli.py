"""The ``mammoth-math`` command: a thin layer that parses flags and calls the library.

Each subcommand's handler imports its part lazily, so ``mammoth-math --help`` starts fast and a
machine without the training extras can still run the sandbox and the grader. Only this module
prints; library code logs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from mammoth_math import __version__

Handler = Callable[[argparse.Namespace], int]


# --- sandbox ------------------------------------------------------------------------------------

def _add_sandbox_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sandbox", help="run model-written Python in the isolated sandbox")
    ssub = p.add_subparsers(dest="sandbox_command", required=True)
    run = ssub.add_parser("run", help="run one program file and print its ExecResult as JSON")
    run.add_argument("file", help="a .py file (Markdown fences are unwrapped)")
    run.add_argument("--timeout", type=float, default=5.0, help="wall-clock limit in seconds")
    run.set_defaults(handler=_sandbox_run)
    check = ssub.add_parser("check", help="report which isolation features are active here")
    check.set_defaults(handler=_sandbox_check)


def _sandbox_run(args: argparse.Namespace) -> int:
    raise NotImplementedError("sandbox run: issue 2")


def _sandbox_check(args: argparse.Namespace) -> int:
    raise NotImplementedError("sandbox check: issue 2")


# --- entry point --------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mammoth-math",
        description="Hybrid CoT/PoT math: build instruction data, train, evaluate (MAmmoTH recipe).",
    )
    parser.add_argument("--version", action="version", version=f"mammoth-math {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_sandbox_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


def _print_json(obj: object) -> None:
    print(json.dumps(obj, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
