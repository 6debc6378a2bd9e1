"""The pieces every benchmark spec is built from: a raw record -> :class:`Problem` (gold parsed by the grader, an
error naming file, line and field), option letters and inline options, and :func:`make_spec`, which joins a
reader, a converter and an optional hub copy into a :class:`BenchmarkSpec`. Used by the suites (``suite.py``,
``modern.py``) and the extra sets (``extra.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from mammoth_math.benchmarks.hub import hub_records
from mammoth_math.benchmarks.scan import Record
from mammoth_math.benchmarks.spec import BenchmarkSpec, Problem
from mammoth_math.grading.kinds import AnswerKind
from mammoth_math.prompts import CHOICES_LABEL, LETTERS


def to_problem(rec: Record, name: str, pid: str, question: str, raw_gold: Any, kind: AnswerKind,
               options: tuple[str, ...] | None = None, gold_field: str = "answer", **meta: Any) -> Problem:
    """The problem ``name/pid`` with its gold parsed for ``kind`` (a bad gold fails naming ``gold_field``);
    meta fields that are None are left out."""
    from mammoth_math.grading import parse_gold  # lazily: grading pulls in sympy and math-verify

    try:
        gold = parse_gold(raw_gold, kind)
    except ValueError as e:
        raise rec.fail(gold_field, f"gold answer {raw_gold!r} is not a valid {kind.value}: {e}") from None
    meta = {k: v for k, v in meta.items() if v is not None}
    if str(raw_gold) != gold:  # kept for `mammoth` grading mode, which compares the raw strings as the paper did
        meta["raw_gold"] = str(raw_gold)
    return Problem(name, f"{name}/{pid}", question, gold, kind, options, meta)


def option_letter(rec: Record, field: str, value: str, n_options: int) -> str:
    """``value`` (``b``, ``(B)``...) as one of the first ``n_options`` letters; else an error naming ``field``."""
    letter = value.strip().strip("()").upper()
    if len(letter) != 1 or letter not in LETTERS[:n_options]:
        raise rec.fail(field, f"expected an option letter among {LETTERS[:n_options]}, got {value!r}")
    return letter


def inline_options(text: str, lower: bool = False) -> tuple[str, ...]:
    """Option texts from ``(A) x (B) y ...`` written inside a question (SAT, NumGLUE, TheoremQA)."""
    letters = LETTERS.lower() if lower else LETTERS
    tail = text.split(CHOICES_LABEL.strip())[-1] if not lower else text
    starts: list[tuple[int, int]] = []
    pos = 0
    for letter in letters:
        at = tail.find(f"({letter})", pos)
        if at < 0:
            break
        starts.append((at, at + 3))
        pos = at + 3
    texts = [tail[b:(starts[i + 1][0] if i + 1 < len(starts) else len(tail))] for i, (_, b) in enumerate(starts)]
    texts = [re.sub(r"[\s;,]+$", "", t.strip().lstrip(":").strip()) for t in texts]
    if texts and lower:  # TheoremQA ends with a question such as "Which option is correct?"
        texts[-1] = re.sub(r"\.?\s*Which (?:option|one)\b[^?]*\?\s*$", "", texts[-1]).strip()
    return tuple(t.rstrip(".") if lower else t for t in texts)


def require_options(rec: Record, field: str, options: tuple[str, ...]) -> tuple[str, ...]:
    if len(options) < 2:
        raise rec.fail(field, "expected at least two options written as (A) ... (B) ...")
    return options


def _local(reader: Callable[[Path], list[Record]], source: str, convert: Callable[[Record], Problem],
           data_dir: Path) -> list[Problem]:
    return [convert(rec) for rec in reader(Path(data_dir) / source)]


def _hub(convert: Callable[[Record], Problem], *args: Any, **kwargs: Any) -> list[Problem]:
    return [convert(rec) for rec in hub_records(*args, **kwargs)]


def make_spec(name: str, convert: Callable[[Record], Problem], reader: Callable[[Path], list[Record]], source: str,
              kind: AnswerKind, count: int, hub: tuple | None = None, **fields: Any) -> BenchmarkSpec:
    """The spec reading ``source`` under a data dir with ``reader`` and ``convert``; ``hub`` is (dataset id,
    ``hub_records`` options) where a faithful hub copy exists. Other ``fields`` are :class:`BenchmarkSpec` fields."""
    hub_id, hub_kwargs = (hub[0], hub[1]) if hub else (None, {})
    return BenchmarkSpec(
        name=name,
        kind=kind,
        multiple_choice=fields.pop("multiple_choice", kind is AnswerKind.CHOICE),
        load_local=partial(_local, reader, source, convert),
        hub_id=hub_id,
        expected_count=count,
        source=source,
        load_hub=partial(_hub, convert, hub_id, **hub_kwargs) if hub_id else None,
        convert=convert,
        **fields,
    )
