"""The flags ``eval`` and ``probe`` share: what to run, and the backend's options, derived from each backend's
options dataclass (``backends.BACKEND_OPTIONS``) so that a default or a help text is written once, there."""

from __future__ import annotations

import argparse
import dataclasses
import typing
from collections.abc import Sequence
from typing import Any

from mammoth_math.commands.common import Number, add_cache_flags, add_isolation_flag, cache_dir
from mammoth_math.files import NON_NEGATIVE

RUN_FIELDS = ("model", "backend", "datasets", "mode", "data_dir", "output_dir", "limit", "max_new_tokens", "seed",
              "grading", "program_timeout", "chunk_size")


def add_run_flags(p: argparse.ArgumentParser, default_dir: str) -> None:
    """The flags ``eval`` and ``probe`` share; defaults are None so that a config file's values survive."""
    from mammoth_math.backends import BACKENDS
    from mammoth_math.evaluation.strategies import STRATEGIES
    from mammoth_math.grading.kinds import GradingMode

    p.add_argument("--model", help="model path or hub id (hf, vllm) or served model name (openai)")
    p.add_argument("--backend", choices=list(BACKENDS), help="default: hf")
    p.add_argument("--datasets", help="comma-separated benchmarks or suites (mammoth, modern, all), e.g. gsm8k,aime24")
    p.add_argument("--mode", choices=list(STRATEGIES), help="decoding strategy (default: hybrid)")
    p.add_argument("--data-dir", help="MAmmoTH evaluation files (e.g. ../shared/data/eval); default: the hub")
    p.add_argument("--output-dir", help=f"runs go to OUT/{default_dir}/; re-running resumes")
    p.add_argument("--limit", type=int, help="first N problems of each dataset (a larger N later extends the run)")
    p.add_argument("--max-new-tokens", type=int, help="default: 512")
    p.add_argument("--seed", type=int, help="default: 0")
    p.add_argument("--grading", choices=[m.value for m in GradingMode], help="default: strict")
    p.add_argument("--timeout", type=float, dest="program_timeout", help="seconds per program in the sandbox (default 5)")
    p.add_argument("--chunk-size", type=int, help="problems per write; a crash loses at most one (default 64)")
    add_backend_flags(p)
    add_cache_flags(p)
    add_isolation_flag(p)


def _backend_flags() -> dict[str, tuple[dataclasses.Field, list[str]]]:
    """Each backend flag's field and the backends that take it, in backend and field order."""
    from mammoth_math.backends import BACKEND_OPTIONS
    from mammoth_math.backends.options import flag_fields

    flags: dict[str, tuple[dataclasses.Field, list[str]]] = {}
    for backend, options in BACKEND_OPTIONS.items():
        for f in flag_fields(options):
            flags.setdefault(f.name, (f, []))[1].append(backend)
    return flags


def add_backend_flags(p: argparse.ArgumentParser) -> None:
    """One flag per field marked ``flag`` in a backend's options; default None, so that only a given flag
    overrides the config file and the backend's own default."""
    from mammoth_math.backends import BACKEND_OPTIONS

    for name, (f, backends) in _backend_flags().items():
        default = f.default
        shown = "" if default is None else f" (default {' '.join(default) if isinstance(default, tuple) else default})"
        kwargs: dict[str, Any] = {"help": f"{', '.join(backends)}: {f.metadata['help']}{shown}"}
        hint = typing.get_type_hints(BACKEND_OPTIONS[backends[0]])[name]
        number = next((t for t in (int, float) if t in (hint, *typing.get_args(hint))), None)  # int | None too
        if typing.get_origin(hint) is typing.Literal:
            kwargs["choices"] = typing.get_args(hint)
        elif isinstance(default, tuple):
            kwargs["nargs"] = "+"
        elif number is not None:
            kwargs["type"] = Number(number, f.metadata["bound"] or NON_NEGATIVE)
        p.add_argument("--" + name.replace("_", "-"), **kwargs)


def backend_options(args: argparse.Namespace, backend: str, options: dict, output_dir: str) -> dict:
    """The chosen backend's flag defaults, then a config file's options, then the given flags; and the cache.
    A flag given for another backend fails, naming the backends it applies to."""
    from mammoth_math.backends import BACKEND_OPTIONS
    from mammoth_math.backends.options import flag_fields

    flags = _backend_flags()
    for name, (_, backends) in flags.items():
        if getattr(args, name, None) is not None and backend not in backends:
            raise ValueError(f"--{name.replace('_', '-')} applies to the {' and '.join(backends)} backend"
                             f"{'s' if len(backends) > 1 else ''}, not {backend} (--backend {backend})")
    own = flag_fields(BACKEND_OPTIONS[backend]) if backend in BACKEND_OPTIONS else []
    # a None default leaves the value to the backend (and out of the saved config, as before the flag existed)
    defaults = {f.name: list(f.default) if isinstance(f.default, tuple) else f.default for f in own
                if f.default is not None}
    given = {f.name: getattr(args, f.name) for f in own if getattr(args, f.name) is not None}
    return {**defaults, **options, **given, "cache_dir": cache_dir(args, output_dir)}


def check_config_options(backend: str, options: dict, path: str) -> None:
    """A config file's ``backend_options`` keys the chosen backend does not take fail, naming the file."""
    from mammoth_math.backends import BACKEND_OPTIONS
    from mammoth_math.backends.options import foreign_keys

    if backend not in BACKEND_OPTIONS:
        return
    for key, owners in foreign_keys(BACKEND_OPTIONS, backend, list(options)).items():
        where = f"an option of the {' and '.join(owners)} backend" if owners else "an option of no backend"
        raise ValueError(f"{path}: backend_options: {key!r} is {where}, not of {backend} (backend: {backend})")


def run_values(args: argparse.Namespace, fields: Sequence[str]) -> dict:
    """The flags given among ``fields`` (a flag not given is None, so a config file's value stays)."""
    from mammoth_math.benchmarks import resolve_datasets

    values = {k: getattr(args, k) for k in fields if getattr(args, k, None) is not None}
    if isinstance(values.get("datasets"), str):
        values["datasets"] = resolve_datasets(values["datasets"])  # names and suites (mammoth, modern, all)
    return values
