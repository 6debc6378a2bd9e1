"""``mammoth-math data contamination``: read what to compare, run the stages (``stages``), write the report (``summary``).

Training rows come from a build folder, a build config's sources or a JSONL file; test problems from benchmark or
suite names or a JSONL file; bad input fails naming file, line and field. The checks are cached (``cache_dir``), so
a killed run resumes and a rerun asks the model nothing again.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mammoth_math.backends import Backend
from mammoth_math.benchmarks import Problem, load_problems, resolve_datasets
from mammoth_math.data.contamination.stages import (
    ContaminationConfig,
    contamination_config,
    distinct_texts,
    find_contamination,
    make_checker,
)
from mammoth_math.data.contamination.summary import write_contamination_report
from mammoth_math.files import InputError, iter_jsonl, read_yaml_config, write_json
from mammoth_math.grading.kinds import AnswerKind
from mammoth_math.prompts import POT_TRIGGER, TIR_TRIGGER

TEXT_FIELDS = ("problem", "question", "instruction")  # the first one a row has is its problem text


def read_train(path: str | Path) -> list[tuple[str, str]]:
    """(id, question) rows: a build folder (its ``data.jsonl``, triggers removed), a build config YAML (its sources
    as read, before verification), or a JSONL file with a text field (ids: the ``id`` field, else the line)."""
    path = Path(path)
    if path.suffix in (".yaml", ".yml"):
        from mammoth_math.data.build import read_sources
        from mammoth_math.data.config import load_config

        examples, _ = read_sources(load_config(path))
        return [(e.id, e.question) for e in examples]
    if path.is_dir():
        path = path / "data.jsonl"
    return [(row_id, _without_trigger(text)) for row_id, text in _text_rows(path)]


def _without_trigger(text: str) -> str:
    for trigger in (POT_TRIGGER, TIR_TRIGGER):
        text = text.removesuffix(trigger)
    return text


def _text_rows(path: Path) -> list[tuple[str, str]]:
    if not path.is_file():
        raise InputError(path, "no such file (give a build folder, a build config or a JSONL file)")
    rows = []
    for line, row in iter_jsonl(path):
        name = next((f for f in TEXT_FIELDS if isinstance(row.get(f), str)), None)
        if name is None:
            raise InputError(path, f"no text field (one of {', '.join(TEXT_FIELDS)})", line=line, field=TEXT_FIELDS[0])
        rows.append((str(row.get("id", f"{path.stem}/{line}")), row[name]))
    return rows


def read_tests(names: Sequence[str], data_dir: str | Path | None) -> list[Problem]:
    """Test problems: each of ``names`` a JSONL file (its stem names the set) or benchmark/suite names."""
    problems: list[Problem] = []
    for name in names:
        if Path(name).suffix in (".jsonl", ".json") or Path(name).is_file():
            stem = Path(name).stem
            problems += [Problem(stem, f"{stem}/{row_id.split('/')[-1]}", text, "", AnswerKind.EXPRESSION)
                         for row_id, text in _text_rows(Path(name))]
            continue
        try:
            benchmarks = resolve_datasets(name)
        except (KeyError, ValueError) as e:
            raise InputError(name, f"not a test file nor a benchmark or suite name: {e}") from None
        for benchmark in benchmarks:
            problems += load_problems(benchmark, data_dir)
    return problems


def contamination_run(train: str | Path, tests: Sequence[str], out_dir: str | Path, data_dir: str | Path | None = None,
                      config_path: str | Path | None = None, overrides: dict[str, Any] | None = None,
                      cache_dir: str | None = None, backend: Backend | None = None,
                      progress: bool = True) -> dict[str, Any]:
    """Compare ``train`` with ``tests`` and write the report into ``out_dir``; returns its summary.

    ``backend`` (any Backend) replaces the configured checking model; ``cache_dir`` holds its replies."""
    raw: dict[str, Any] = {}
    if config_path is not None:
        from dataclasses import fields

        raw = read_yaml_config(config_path, {f.name for f in fields(ContaminationConfig)})
    raw.update({k: v for k, v in (overrides or {}).items() if v is not None})
    config = contamination_config(raw, str(config_path or "<flags>"), "config")
    texts = distinct_texts(read_train(train))
    problems = read_tests(tests, data_dir)
    checker = make_checker(config, cache_dir, backend, progress)
    try:
        found = find_contamination(texts, problems, config, checker, progress)
    finally:
        if checker is not None:
            checker.close()
    found.info |= {"train": str(train), "tests": list(tests)}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "config.json", config.to_dict())
    return write_contamination_report(found, out)
