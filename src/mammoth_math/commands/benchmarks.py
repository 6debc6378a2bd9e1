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
    from mammoth_math.benchmarks import get_benchmark, load_problems, resolve_datasets

    rows = []
    for name in resolve_datasets(args.datasets):
        spec = get_benchmark(name)
        loaded = len(load_problems(name, args.data_dir)) if args.data_dir else None
        rows.append({"name": name, "kind": spec.kind.value, "multiple_choice": spec.multiple_choice,
                     "paper_count": spec.expected_count, "loaded": loaded, "source": spec.source,
                     "hub_id": spec.hub_id, "version": spec.version})
    if args.json:
        print_json(rows)
    else:
        from rich.table import Table

        table = Table("benchmark", "kind", "MC", "expected", "loaded", "source", "hub id")
        for r in rows:
            ok = r["loaded"] is None or r["loaded"] == r["paper_count"]
            loaded = "-" if r["loaded"] is None else f"[{'green' if ok else 'red'}]{r['loaded']}[/]"
            table.add_row(r["name"], r["kind"], "yes" if r["multiple_choice"] else "", str(r["paper_count"]),
                          loaded, r["source"], r["hub_id"] or "")
        console().print(table)
    return 0 if all(r["loaded"] in (None, r["paper_count"]) for r in rows) else 1
