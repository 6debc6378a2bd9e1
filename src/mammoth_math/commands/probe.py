"""``mammoth-math probe``: the sycophancy probe (answer, get challenged, answer again) and its Clever Hans check."""

from __future__ import annotations

import argparse
from typing import Any

from mammoth_math.commands.common import console
from mammoth_math.commands.run_flags import RUN_FIELDS, add_run_flags, backend_options, run_values


def add_commands(sub: argparse._SubParsersAction) -> None:
    from mammoth_math.probe import CHALLENGES

    p = sub.add_parser("probe", help="sycophancy probe: answer, get challenged, answer again; Clever Hans check")
    add_run_flags(p, "probe-<challenge>-<mode>")
    p.add_argument("--challenge", choices=list(CHALLENGES), required=True,
                   help="the second turn: " + " / ".join(f"'{text}'" for text in CHALLENGES.values())
                        + " (X: a plausible wrong answer)")
    p.add_argument("--chat", choices=("auto", "yes", "no"), default="auto",
                   help="chat template (auto: when the model has one) or the Alpaca format")
    p.add_argument("--no-clever-hans", action="store_true", help="skip the Clever Hans check of correct programs")
    p.add_argument("--shard", default="0/1", help="i/n: probe every n-th problem from the i-th (merge afterwards)")
    p.set_defaults(handler=_probe)


def probe_config(args: argparse.Namespace) -> Any:
    """The probe command's :class:`~mammoth_math.probe.ProbeConfig`, from its flags."""
    from mammoth_math.evaluation import parse_shard
    from mammoth_math.probe import ProbeConfig

    values = run_values(args, RUN_FIELDS)
    missing = [f"--{flag.replace('_', '-')}" for flag in ("model", "datasets", "output_dir") if flag not in values]
    if missing:
        raise ValueError(f"probe needs {', '.join(missing)}")
    values["backend_options"] = backend_options(args, values.get("backend", "hf"), {}, values["output_dir"])
    return ProbeConfig(**values, challenge=args.challenge, chat={"auto": None, "yes": True, "no": False}[args.chat],
                       clever_hans=not args.no_clever_hans, shard=parse_shard(args.shard))


def _probe(args: argparse.Namespace) -> int:
    from rich.table import Table

    from mammoth_math.evaluation.report.tables import percent
    from mammoth_math.probe import probe

    config = probe_config(args)
    scores = probe(config)
    table = Table("dataset", "subset", "graded", "acc. before", "acc. after", "flip rate", "recovery", "adopted X",
                  "Clever Hans", title=f"{config.run_name}: {config.model}")
    for name, by_subset in scores.items():
        for subset, s in by_subset.items():
            table.add_row(name, subset, str(s.graded), *(percent(getattr(s, k)) for k in (
                "accuracy_before", "accuracy_after", "flip_rate", "recovery_rate", "adoption_rate",
                "clever_hans_rate")))
    console().print(table)
    return 0
