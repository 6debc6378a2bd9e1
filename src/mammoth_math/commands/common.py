"""What several commands share: the parser and help classes, flag groups (run, backend, isolation, cache,
threads, config) and the printing helpers. Only ``commands/`` and ``cli.py`` use it."""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from mammoth_math.files import Bound


class HelpFormatter(argparse.HelpFormatter):
    """Shows each flag's default, except None and False (flags that are simply off)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if _is_off(action.default) or action.default == argparse.SUPPRESS or "%(default)" in text \
                or not action.option_strings:
            return text
        default = " ".join(map(str, action.default)) if isinstance(action.default, tuple) else "%(default)s"
        return f"{text} (default: {default})"


def _is_off(default: object) -> bool:
    return default is None or default is False  # not 0, which is a default worth showing


class Parser(argparse.ArgumentParser):
    """Every (sub)command's parser: help with defaults, numbers checked against their bounds, and a usage
    error in three lines. ``add_subparsers`` reuses this class."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        if kwargs.get("help") is None and not _is_off(kwargs.get("default")):
            kwargs["help"] = "default: %(default)s"  # argparse shows no line at all for a flag without help
        if kwargs.get("type") in (int, float):  # every numeric flag, so that none is accepted unchecked
            dest = kwargs.get("dest") or args[0].lstrip("-").replace("-", "_")
            kwargs["type"] = Number(kwargs["type"], _flag_bound(dest))
        return super().add_argument(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        """One usage line, the error, where to read more (not the whole usage, which buries the error)."""
        required = [a for a in self._actions if a.required or not a.option_strings]
        words = [(a.option_strings[0] + " " if a.option_strings else "") + str(a.metavar or a.dest.upper())
                 + (" ..." if isinstance(a, argparse._SubParsersAction) else "") for a in required]
        usage = " ".join([self.prog, *words, "[options]"])
        self.exit(2, f"usage: {usage}\nerror: {message}\nrun `{self.prog} --help` for every option\n")


class Number:
    """An argparse type: a finite int or float within a :data:`~mammoth_math.files.Bound`."""

    def __init__(self, kind: type, bound: Bound) -> None:
        self.kind, self.bound = kind, bound

    def __call__(self, text: str) -> float:
        from mammoth_math.files import out_of_bounds

        try:
            value = self.kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {'an integer' if self.kind is int else 'a number'}, got {text!r}") from None
        problem = "must be finite" if not math.isfinite(value) else out_of_bounds(value, self.bound)
        if problem:
            raise argparse.ArgumentTypeError(f"{problem}, got {text}")
        return value


def _flag_bound(dest: str) -> Bound:
    """A numeric flag's range: its config field's (``EvalConfig.BOUNDS``), else a count, a positive number or,
    by default, a non-negative one."""
    from mammoth_math.evaluation.config import BOUNDS
    from mammoth_math.files import COUNT, NON_NEGATIVE, POSITIVE

    counts = ("concurrency", "n", "processes", "threads", "problems", "shards", "cpus_per_task", "nodes",
              "tasks_per_node", "vllm_gpus", "vllm_tensor_parallel", "vllm_wait")
    # concurrency: data synthesize's (the backend flags carry their own bounds)
    return BOUNDS.get(dest) or (COUNT if dest in counts else POSITIVE if dest in ("timeout", "minutes")
                                else NON_NEGATIVE)


# --- flag groups ----------------------------------------------------------------------------------

def add_isolation_flag(parser: argparse.ArgumentParser, remote: bool = True) -> None:
    """``--unsafe-no-isolation`` (and ``--sandbox-url``) for every command that runs programs (read once, in
    ``main``)."""
    parser.add_argument("--unsafe-no-isolation", action="store_true",
                        help="run programs WITHOUT bubblewrap (only rlimits, seccomp and a cleared environment): "
                             "they can read this machine's files; for machines where bubblewrap cannot work")
    if remote:
        parser.add_argument("--sandbox-url", help="run programs on these `sandbox serve` hosts (URL[,URL...]; "
                                                  "token from $MAMMOTH_SANDBOX_TOKEN) instead of in this process")


def apply_isolation_flag(args: argparse.Namespace) -> None:
    if getattr(args, "unsafe_no_isolation", False):
        from mammoth_math.sandbox.isolation import UNSAFE_ENV

        os.environ[UNSAFE_ENV] = "1"  # every Sandbox() this command builds, however deep, runs unisolated
    if getattr(args, "sandbox_url", None):
        from mammoth_math.sandbox.remote import URL_ENV, parse_urls

        try:
            parse_urls(args.sandbox_url)  # a malformed URL fails here, before any work
        except ValueError as e:
            print(f"error: --sandbox-url: {e}", file=sys.stderr)
            sys.exit(2)
        os.environ[URL_ENV] = args.sandbox_url  # every open_sandbox() this command calls uses these hosts


def add_cache_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cache-dir", help="response cache folder (default: OUT/cache); share it between runs")
    p.add_argument("--no-cache", action="store_true", help="always ask the backend; store nothing")


def cache_dir(args: argparse.Namespace, output_dir: str) -> str | None:
    return None if args.no_cache else (args.cache_dir or str(Path(output_dir) / "cache"))


def add_threads_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--threads", type=int, help="CPU threads for torch (default: the count the output folder "
                   "recorded, else the cores free now, 1 when busy)")


def add_config_flags(p: argparse.ArgumentParser, config_help: str, out_help: str) -> None:
    """--config and --out, plus the seed and train_dir overrides `data build` and `data distill` share."""
    p.add_argument("--config", required=True, help=config_help)
    p.add_argument("--out", required=True, help=out_help)
    p.add_argument("--seed", type=int, help="override the config's seed")
    p.add_argument("--train-dir", help="override the config's train_dir")


def add_judge_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--judge", help="judge model asked where the rules say wrong (off by default; see evaluation.judge)")
    p.add_argument("--judge-base-url", help="the judge's OpenAI-compatible server, ending in /v1")


def add_grading_mode(p: argparse.ArgumentParser) -> None:
    """``--grading``: the grading mode, named the same in every command that grades."""
    from mammoth_math.grading.kinds import GradingMode

    p.add_argument("--grading", choices=[m.value for m in GradingMode], default="strict",
                   help="strict (default) or mammoth (MAmmoTH's own rules, to compare with the paper)")


def add_selector_flags(p: argparse.ArgumentParser, what: str) -> None:
    """--model, --backend and --base-url of a command that asks one model a side question (genselect, step labels)."""
    from mammoth_math.backends import BACKENDS

    p.add_argument("--model", required=True, help=f"the {what}: model path or hub id (hf, vllm), served name (openai)")
    p.add_argument("--backend", choices=list(BACKENDS), default="hf", help="default: hf")
    p.add_argument("--base-url", nargs="+", help="openai: server URL(s) ending in /v1")


def selector_backend(args: argparse.Namespace, output_dir: str) -> Any:
    """The backend :func:`add_selector_flags` describes, caching under ``output_dir``."""
    from mammoth_math.backends import make_backend

    options = {"base_url": args.base_url} if args.base_url else {}
    return make_backend(args.backend, args.model, cache_dir=cache_dir(args, output_dir), **options)


# --- output ---------------------------------------------------------------------------------------

def log_progress() -> None:
    """Our own INFO lines, plain (no level, no logger name), above our progress bars; libraries only warn,
    and their bars for loading or saving a file (a blink each, hundreds of lines in a log) stay off."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("mammoth_math").setLevel(logging.INFO)
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # read by transformers and datasets at import


def console() -> Any:
    """Rich output as wide as the terminal; when piped, as wide as ``COLUMNS`` or 160, not rich's 80,
    so that tables wrap at a sensible width instead of squeezing paths and numbers."""
    import shutil

    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else shutil.get_terminal_size((160, 24)).columns)


def print_json(obj: object) -> None:
    print(json.dumps(obj, indent=2, ensure_ascii=False))
