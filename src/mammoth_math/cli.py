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


# --- benchmarks ---------------------------------------------------------------------------------

def _add_benchmarks_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("benchmarks", help="list the ten evaluation benchmarks; with --data-dir, load and count them")
    p.add_argument("--data-dir", help="MAmmoTH evaluation files (e.g. ../shared/data/eval); checks each loads")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(handler=_benchmarks_list)


def _benchmarks_list(args: argparse.Namespace) -> int:
    from mammoth_math.benchmarks import BENCHMARKS, load_problems

    rows = []
    for name, spec in BENCHMARKS.items():
        loaded = len(load_problems(name, args.data_dir)) if args.data_dir else None
        rows.append({"name": name, "kind": spec.kind.value, "multiple_choice": spec.multiple_choice,
                     "paper_count": spec.expected_count, "loaded": loaded, "source": spec.source,
                     "hub_id": spec.hub_id, "version": spec.version})
    if args.json:
        _print_json(rows)
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table("benchmark", "kind", "MC", "paper", "loaded", "source", "hub id")
        for r in rows:
            ok = r["loaded"] is None or r["loaded"] == r["paper_count"]
            loaded = "-" if r["loaded"] is None else f"[{'green' if ok else 'red'}]{r['loaded']}[/]"
            table.add_row(r["name"], r["kind"], "yes" if r["multiple_choice"] else "", str(r["paper_count"]),
                          loaded, r["source"], r["hub_id"] or "")
        Console().print(table)
    return 0 if all(r["loaded"] in (None, r["paper_count"]) for r in rows) else 1


# --- entry point --------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mammoth-math",
        description="Hybrid CoT/PoT math: build instruction data, train, evaluate (MAmmoTH recipe).",
    )
    parser.add_argument("--version", action="version", version=f"mammoth-math {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_sandbox_commands(sub)
    _add_benchmarks_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


def _print_json(obj: object) -> None:
    print(json.dumps(obj, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
