"""``mammoth-math benchmarks``: the evaluation sets, and with ``--data-dir`` whether each loads whole."""

from __future__ import annotations

import argparse

from mammoth_math.commands.common import console, print_json


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("benchmarks", help="list the evaluation benchmarks; with --data-dir, load and count them")
    p.add_argument("--data-dir", help="evaluation files (e.g. ../shared/data/eval; the modern sets are also "
                                      "found in its sibling eval-modern); checks each loads")
    p.add_argument("--datasets", default="all", help="benchmarks or suites to list: mammoth, modern, all (default)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(handler=_list)


def _list(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from mammoth_math.benchmarks import benchmark_rows

    rows = benchmark_rows(args.datasets, args.data_dir)
    if args.json:
        print_json([asdict(r) for r in rows])
    else:
        from rich.table import Table

        table = Table("benchmark", "kind", "MC", "expected", "loaded", "source", "hub id")
        for r in rows:
            loaded = "-" if r.loaded is None else f"[{'green' if r.ok else 'red'}]{r.loaded}[/]"
            table.add_row(r.name, r.kind, "yes" if r.multiple_choice else "", str(r.paper_count), loaded, r.source,
                          r.hub_id or "")
        console().print(table)
    return 0 if all(r.ok for r in rows) else 1
