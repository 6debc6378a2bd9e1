"""Benchmarks in no suite: sets a run names one by one (``--datasets custom``), which ``mammoth``, ``modern`` and
``all`` never include (decontamination and the suites walk only those). ``mammoth-math benchmarks`` lists them
after the suites' sets. A new set in no suite is one more spec in :data:`EXTRA_SPECS`.
"""

from __future__ import annotations

from mammoth_math.benchmarks.convert import make_spec, to_problem
from mammoth_math.benchmarks.scan import Record, read_jsonl
from mammoth_math.benchmarks.spec import BenchmarkSpec, Problem
from mammoth_math.grading.kinds import AnswerKind

K = AnswerKind


def custom(rec: Record) -> Problem:
    """A user's (or the quickstart's) Problem-shaped row: id, question, gold, kind, optional options."""
    try:
        kind = K(rec.get("kind", str))
    except ValueError:
        raise rec.fail("kind", f"expected one of {', '.join(k.value for k in K)}") from None
    raw_options = rec.data.get("options")
    if raw_options is not None and not (isinstance(raw_options, list) and all(isinstance(o, str) for o in raw_options)):
        raise rec.fail("options", "expected a list of option texts")
    options = tuple(raw_options) if raw_options else None
    meta = {k: v for k, v in rec.data.items() if k not in ("id", "question", "gold", "kind", "options")}
    return to_problem(rec, "custom", str(rec.data.get("id", rec.index)), rec.get("question", str),
                      rec.get("gold", (str, int, float)), kind, options, **meta)


EXTRA_SPECS: tuple[BenchmarkSpec, ...] = (
    make_spec("custom", custom, read_jsonl, "custom.jsonl", K.NUMBER, 0,
              description="your own problems: <data dir>/custom.jsonl rows of id, question, gold, kind, options"),
)
