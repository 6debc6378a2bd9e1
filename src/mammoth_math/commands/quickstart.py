"""``mammoth-math quickstart``: the embedded CPU demo, from synthetic data to the report."""

from __future__ import annotations

import argparse

from mammoth_math.commands.common import add_isolation_flag, add_threads_flag, console, log_progress


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("quickstart", help="the embedded CPU demo: synthetic data -> build -> tiny model -> "
                                          "CoT/PoT/hybrid/TIR evaluation and report (resumes)")
    p.add_argument("--minutes", type=float, default=10.0,
                   help="training budget on 2 free cores (scales the steps; a new value on an existing --out "
                        "reuses its data and retrains)")
    p.add_argument("--out", default="runs/quickstart", help="everything is written under this folder")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--problems", type=int, nargs=2, metavar=("TRAIN", "TEST"), default=(2000, 300),
                   help="synthetic problems to train on and to test on")
    p.add_argument("--rounds", type=int, choices=(1, 2), default=1,
                   help="2: the model distills new problems without golds (majority labels), a second model trains "
                        "on the union; both tables and the label accuracy are printed")
    p.add_argument("--rl", action="store_true",
                   help="a GRPO stage after SFT (tir rollouts on the training problems of every family, 10 "
                        "steps per --minute); the table gains the RL model's columns, the report the reward curves")
    add_threads_flag(p)
    p.set_defaults(handler=_quickstart)
    add_isolation_flag(p)


def _quickstart(args: argparse.Namespace) -> int:
    log_progress()  # first: library imports read its settings
    from rich.table import Table

    from mammoth_math.synthetic import QuickstartConfig, run_quickstart
    from mammoth_math.synthetic.quickstart import MODES

    from tqdm.contrib.logging import logging_redirect_tqdm

    with logging_redirect_tqdm():  # log lines above the training bar, not glued to it
        result = run_quickstart(QuickstartConfig.for_minutes(
            args.minutes, rl=args.rl, out_dir=args.out, seed=args.seed, train_problems=args.problems[0],
            test_problems=args.problems[1], threads=args.threads, rounds=args.rounds))
    modes = [m for m in MODES if m in result.table[0]]
    rounds = [("", result.families, result.table[0])]
    if result.second_round is not None:
        second = result.second_round
        rounds += [(" r2", second.families, second.table[0])]
    if result.rl is not None:
        rounds += [(" rl", result.rl.families, result.rl.table[0])]
    table = Table("test set", *(f"{m}{r}" for r, _, _ in rounds for m in modes), title="quickstart accuracy (%)")
    for family in result.families:
        table.add_row(family, *(f"{100 * fams.get(family, {}).get(m, 0.0):.1f}" for _, fams, _ in rounds for m in modes))
    table.add_row("[bold]all[/]", *(f"[bold]{100 * row[m]:.1f}[/]" for _, _, row in rounds for m in modes))
    out = console()
    out.print(table)
    if result.second_round is not None:
        labels = result.second_round.labels()
        accuracy = labels["label_accuracy"]
        out.print(f"round 2: {labels.get('majority', 0)} of {labels['read']} new problems majority-labelled, "
                  f"{labels['distilled_rows']} distilled rows kept; majority label accuracy (hidden golds): "
                  + (f"{100 * accuracy['accuracy']:.1f}% ({accuracy['correct']} of {accuracy['checked']})"
                     if accuracy else "none checked"))
    if result.skipped:
        out.print(f"resumed: skipped {', '.join(result.skipped)} (already complete)")
    out.print(f"report: {result.report_html} and {result.report_png}")
    return 0
