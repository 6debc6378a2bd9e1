"""The ``mammoth-math`` command: the router. It builds the parser from the command groups in ``commands/`` (one
module each), runs the chosen handler and turns a user's mistake into one ``error:`` line.

Each handler imports its part of the library lazily, so ``mammoth-math --help`` starts fast and a machine
without the training extras can still run the sandbox and the grader. Only ``commands/`` print; library code logs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from mammoth_math import __version__
from mammoth_math.commands.common import Parser, apply_isolation_flag

Handler = Callable[[argparse.Namespace], int]

# The command groups (modules of ``commands/``), in the order a newcomer meets them: the demo, then the pipeline
# from sandbox to report.
GROUPS = ("quickstart", "sandbox", "grading", "benchmarks", "data", "train", "eval", "probe", "launch")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="mammoth-math",
        description="Hybrid CoT/PoT math: build instruction data, train, evaluate (MAmmoTH recipe).",
    )
    parser.add_argument("--version", action="version", version=f"mammoth-math {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error (put it first)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        importlib.import_module(f"mammoth_math.commands.{group}").add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Exit status: 0 done, 1 done with rejects, 2 bad input or nothing produced.

    A mistake in what the user gave (a file, a folder, a name, a config key, an unreachable hub) ends in
    one ``error:`` line; ``--debug`` shows the traceback instead.
    """
    args = build_parser().parse_args(argv)
    apply_isolation_flag(args)
    handler: Handler = args.handler
    try:
        return handler(args)
    except _user_errors() as e:
        if args.debug:
            raise
        print(f"error: {_one_line(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: what was kept and how to go on, not a traceback
        if args.debug:
            raise
        print(f"interrupted: {_kept(args)}", file=sys.stderr)
        return 130


# What each resumable command keeps when interrupted (every one resumes when run again the same way).
_KEPT = {"eval": "the records of finished problems are kept", "probe": "the records of finished problems are kept",
         "train": "the last checkpoint is kept", "quickstart": "the finished stages are kept",
         "data distill": "the samples of finished problems are kept", "data synthesize": "finished responses are kept"}


def _kept(args: argparse.Namespace) -> str:
    """One line for an interrupted command: what it kept, where, and how to resume."""
    command = args.command + (f" {args.data_command}" if args.command == "data" else "")
    if command not in _KEPT:
        return "nothing was kept" + (" (a build is written whole)" if command == "data build" else "") \
            + "; run the same command again to start over"
    folder = getattr(args, "output_dir", None) or getattr(args, "out", None)
    if command == "train":
        from mammoth_math.training.config import config_method, read_config_values

        grpo = config_method(args.config, args.overrides) == "grpo"
        if grpo:
            from mammoth_math.training.grpo.config import GRPOTrainConfig
        values = read_config_values(args.config, args.overrides, GRPOTrainConfig if grpo else None)
        folder = values.get("output_dir", "runs/grpo" if grpo else "runs/train")
    return f"{_KEPT[command]}{f' in {folder}' if folder else ''}; run the same command again to resume"


def _user_errors() -> tuple[type[BaseException], ...]:
    """What a user's mistake raises: our InputError (a ValueError), unknown names (KeyError), files and
    folders (OSError, which transformers raises for a missing model), the network (when httpx is loaded),
    Slurm refusing a job (when launch is loaded)."""
    errors: tuple[type[BaseException], ...] = (ValueError, KeyError, OSError)
    if "httpx" in sys.modules:
        errors += (sys.modules["httpx"].HTTPError,)
    if "mammoth_math.launch.jobs" in sys.modules:  # sbatch, squeue or scancel said no
        errors += (sys.modules["mammoth_math.launch.jobs"].SlurmError,)
    return errors


def _one_line(e: BaseException) -> str:
    if isinstance(e, OSError) and e.filename is not None and e.strerror:
        return f"{e.filename}: {e.strerror}"
    text = str(e.args[0]) if isinstance(e, KeyError) and e.args else str(e)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " ".join(lines) if lines else type(e).__name__


if __name__ == "__main__":
    sys.exit(main())
