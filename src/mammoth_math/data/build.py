"""The build, top to bottom: read sources -> verify -> TIR from programs -> dedup -> decontaminate -> mix ->
export -> report.

A source whose ``types`` name ``tir`` gets a TIR row from each of its verified PoT programs (``data.tir``; its
PoT rows are read for that even when ``types`` leaves ``pot`` out, and then not kept).

``build(config, out_dir)`` writes the exports, ``rejects.jsonl`` (bad input, failed conversion or
verification, with reasons), ``removed.jsonl`` (duplicates and contamination, with what they matched),
the report and the resolved ``config.yaml``, all into ``<out_dir>.partial``, renamed to ``out_dir`` when
complete: a killed build never looks finished. Run: ``mammoth-math data build --config configs/data/X.yaml``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from mammoth_math.data.build_stats import build_stats, token_counter, write_report
from mammoth_math.data.config import BuildConfig
from mammoth_math.data.decontaminate import build_index, decontaminate
from mammoth_math.data.dedup import dedup
from mammoth_math.data.examples import Example, Reject, SeedProblem, SourceResult, base_source
from mammoth_math.data.export import export, to_row
from mammoth_math.data.mix import SourceMix, mix
from mammoth_math.data.sources import DEFAULT_PATHS, SOURCES
from mammoth_math.data.tir import SessionRunner, from_programs
from mammoth_math.data.verify import ProgramRunner, VerifyConfig, sandbox_runner, sessions, verify
from mammoth_math.files import InputError, atomic_folder, atomic_writer, write_jsonl

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    out_dir: str
    rows: int
    rejects: int  # input, conversion and verification failures
    removed: int  # duplicates and contamination
    report: dict
    stage_seconds: dict[str, float] = field(default_factory=dict)


@contextmanager
def _timed(times: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    times[stage] = round(time.perf_counter() - start, 3)
    log.info("stage %s: %.2fs", stage, times[stage])


def _read_all(config: BuildConfig) -> SourceResult:
    merged = SourceResult()
    for spec in config.sources:
        path = Path(spec.path) if spec.path else Path(config.train_dir) / DEFAULT_PATHS[spec.name]
        if not path.exists():
            merged.rejects.append(Reject(spec.name, f"{spec.name}/*", "", "input", "missing_source", str(path)))
            continue
        types = tuple(spec.types) + (("pot",) if "tir" in spec.types and "pot" not in spec.types else ())
        got = SOURCES[spec.name](path, types, spec.limit)
        merged.examples += got.examples
        merged.rejects += got.rejects
        merged.problems += got.problems
    return merged


def read_sources(config: BuildConfig) -> tuple[list[Example], list[Reject]]:
    """Every example the configured sources yield (plus accepted synthesis), in config order, and the rejects."""
    from mammoth_math.data.synthesize import load_accepted

    got = _read_all(config)
    extra = load_accepted(config.synthesis_cache) if config.synthesis_cache else []
    return got.examples + extra, got.rejects


def read_problems(config: BuildConfig) -> list[SeedProblem]:
    """The seed problems (gold, no rationale of the wanted type) of the configured sources, for synthesis."""
    return _read_all(config).problems


def build(config: BuildConfig, out_dir: str | Path, run_programs: ProgramRunner | None = None,
          progress: bool = True, run_sessions: SessionRunner | None = None) -> BuildResult:
    """Build the data set described by ``config`` into ``out_dir``; see the module docstring."""
    check_paths(config, out_dir)
    if config.contamination is not None and config.contamination.cache_dir is None:
        # beside the output, not in it: the .partial folder is wiped by a rerun, the checks must survive it
        cache = str(Path(out_dir).with_name(Path(out_dir).name + ".check-cache"))
        config = replace(config, contamination=replace(config.contamination, cache_dir=cache))
    with atomic_folder(out_dir) as partial:
        result = _build(config, partial, run_programs, progress, run_sessions)
    result.out_dir = str(out_dir)
    return result


def check_paths(config: BuildConfig, out_dir: str | Path | None = None) -> None:
    """The folders the config names exist, and ``out_dir`` is new, empty or an earlier build's (which the build
    replaces): checked before minutes of verification are spent, so a user's own file or folder is never
    moved aside or replaced."""
    out = Path(out_dir) if out_dir is not None else None
    if out is not None and out.exists() and not (out.is_dir() and ((out / "report.json").is_file()
                                                                   or not any(out.iterdir()))):
        what = "a folder that no build wrote (no report.json)" if out.is_dir() else "a file"
        raise InputError(out, f"already exists and is {what}: give --out a new folder or an earlier build's")
    if any(spec.path is None for spec in config.sources) and not Path(config.train_dir).is_dir():
        raise InputError(config.train_dir, "no such folder (train_dir, or --train-dir)")
    if config.eval_dir is not None and not Path(config.eval_dir).is_dir():
        raise InputError(config.eval_dir, "no such folder (eval_dir, or --eval-dir; null skips decontamination)")


def _build(config: BuildConfig, out: Path, run_programs: ProgramRunner | None, progress: bool,
           run_sessions: SessionRunner | None) -> BuildResult:
    times: dict[str, float] = {}
    with _timed(times, "read"):
        examples, rejects = read_sources(config)
    vconfig = VerifyConfig(config.timeout, config.memory_mb, config.workers)
    run_sessions = run_sessions or sessions(vconfig, progress)
    with _timed(times, "verify"):
        verified, failed = verify(examples, run_programs or sandbox_runner(vconfig, progress), vconfig, progress,
                                  run_sessions)
        rejects += failed
    with _timed(times, "tir"):
        wanted = _wanting(config, "tir")
        programs = [e for e in verified if e.rationale_type == "pot" and base_source(e.source) in wanted]
        tir, failed = from_programs(programs, run_sessions, choice_text=config.tir_choice_text, seed=config.seed,
                                    progress=progress) if programs else ([], [])
        rejects += failed
        # The report counts each TIR row as checked once per program it was made from.
        checked, verified = examples + [replace(e, rationale_type="tir") for e in programs], verified + tir
    removed: list[Reject] = []
    with _timed(times, "dedup"):
        # Programs read only to make TIR rows (``types`` without ``pot``) leave here.
        pot_sources = _wanting(config, "pot")
        kept = [e for e in verified if e.rationale_type != "pot" or base_source(e.source) in pot_sources]
        if config.dedup:
            kept, dups = dedup(kept, config.near_dup_threshold, progress=progress)
            removed += dups
    with _timed(times, "decontaminate"):
        if config.eval_dir:
            index = build_index(config.eval_dir, config.ngram, progress=progress)
            kept, hits = decontaminate(kept, index, config.contamination_threshold, progress)
            removed += hits
            if config.contamination is not None:
                kept, hits = _similar(kept, config, progress)
                removed += hits
    with _timed(times, "mix"):
        rules = {s.name: SourceMix(s.cap, s.weight) for s in config.sources}
        final = mix(kept, rules, config.seed, config.pot_ratio)
    with _timed(times, "export"):
        export(final, out, config.formats)
        write_jsonl(out / "rejects.jsonl", (r.to_dict() for r in rejects))
        write_jsonl(out / "removed.jsonl", (r.to_dict() for r in removed))
        write_config(config, out)
    with _timed(times, "report"):
        count = token_counter(config.tokenizer)
        lengths = [count(r["instruction"] + "\n" + r["output"]) for r in map(to_row, final)]
        report = build_stats(checked, verified, final, rejects, removed, lengths, config.tokenizer)
        write_report(report, lengths, out)
    return BuildResult(str(out), len(final), len(rejects), len(removed), report, times)


def _similar(examples: list[Example], config: BuildConfig, progress: bool) -> tuple[list[Example], list[Reject]]:
    """Retrieval and the model's check (``data.contamination``) against the configured test sets."""
    from mammoth_math.data.contamination import decontaminate_similar, make_checker, read_tests

    assert config.contamination is not None and config.eval_dir is not None
    tests = read_tests(config.contamination.tests, config.eval_dir)
    checker = make_checker(config.contamination, config.contamination.cache_dir, progress=progress)
    assert checker is not None  # load_config requires a check_model
    try:
        return decontaminate_similar(examples, tests, config.contamination, checker, progress)
    finally:
        checker.close()


def _wanting(config: BuildConfig, kind: str) -> set[str]:
    return {spec.name for spec in config.sources if kind in spec.types}


def write_config(config: Any, out: Path) -> None:
    """The resolved config (a ``BuildConfig`` or ``DistillConfig``) as ``out/config.yaml``."""
    with atomic_writer(out / "config.yaml") as f:
        yaml.safe_dump(_plain(config.to_dict()), f, sort_keys=False)


def _plain(value):
    """Tuples and nested dataclass dicts as plain lists and dicts, for yaml.safe_dump."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
