"""``mammoth-math import --format qwen|nemo-skills|lm-eval|lighteval FILE... --out OUT``: another harness's
per-sample outputs as one of our runs, so ``report`` (sampled metrics, ``--select``) and ``genselect`` read it.

Each problem becomes a :class:`ProblemRecord` in ``OUT/<run>/<dataset>.jsonl`` (``run.json`` beside it names the
harness and its files). Every sample is an attempt that keeps the harness's text, extracted answer, verdict
(``verdicts="theirs"``, the default, so their numbers are reproduced) and reward score. ``verdicts="ours"``
grades every sample here instead (their extracted answer, or ours from the text where they logged none) and
keeps theirs in the record's ``meta["harness_correct"]``. The record's own answer is the majority vote, as in a
sampled run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mammoth_math.benchmarks import Problem
from mammoth_math.evaluation.config import default_ks
from mammoth_math.evaluation.grader import Grader, vote
from mammoth_math.evaluation.harness_formats import FORMATS, ImportedProblem, ImportedSample
from mammoth_math.evaluation.records import Attempt, ProblemRecord, meta_path, records_path
from mammoth_math.evaluation.run import now, versions
from mammoth_math.files import InputError, read_json, write_json, write_jsonl
from mammoth_math.grading.kinds import AnswerKind


@dataclass(frozen=True)
class ImportResult:
    run_dir: str
    dataset: str
    problems: int
    samples: int  # per problem (the fewest any problem has)
    rewards: bool  # every sample carries a reward score


def import_files(fmt: str, paths: Sequence[str | Path], out: str | Path, dataset: str | None = None,
                 run: str | None = None, kind: str = AnswerKind.EXPRESSION.value, grading: str = "strict",
                 verdicts: Literal["theirs", "ours"] = "theirs", model: str | None = None) -> ImportResult:
    """Read ``paths`` as harness ``fmt`` and write them as set ``dataset`` (default: the first file's stem) of run
    ``run`` (default: ``fmt``) under ``out``; other sets already imported into that run are kept."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    files = [Path(p) for p in paths]
    for path in files:
        if not path.is_file():
            raise InputError(path, "no such file")
    problems = FORMATS[fmt](files)
    if not problems:
        raise InputError(files[0], "no problems in these files")
    dataset = dataset or files[0].stem
    run = run or fmt
    grader = Grader(grading)
    records = [_record(i, p, dataset, run, AnswerKind(kind), grader, verdicts) for i, p in enumerate(problems)]
    run_dir = Path(out) / run
    n = min(len(p.samples) for p in problems)
    write_jsonl(records_path(run_dir, dataset), (r.to_dict() for r in records))
    path = meta_path(run_dir)
    meta = read_json(path) if path.exists() else {
        "config": {"model": model or f"{fmt} outputs", "backend": f"import:{fmt}", "mode": run},
        "grading": grading, "versions": versions(), "benchmarks": {}, "started": now()}
    meta["benchmarks"][dataset] = {"version": None, "source": [str(p.resolve()) for p in files], "limit": None,
                                   "loaded": len(records), "selected": len(records), "rel_tol": None,
                                   "sampling": {"n": n}, "pass_k": default_ks(n), "subset_field": None,
                                   "harness": fmt, "verdicts": verdicts, "kind": kind}
    meta["finished"] = now()
    write_json(path, meta)
    rewards = all(s.reward is not None for p in problems for s in p.samples)
    return ImportResult(str(run_dir), dataset, len(records), n, rewards)


def _record(index: int, imported: ImportedProblem, dataset: str, run: str, kind: AnswerKind, grader: Grader,
            verdicts: str) -> ProblemRecord:
    problem = Problem(dataset, f"{dataset}-{imported.id}", imported.question, imported.gold, kind, None,
                      dict(imported.meta))
    attempts = [_attempt(s, i, run, problem, grader, verdicts) for i, s in enumerate(imported.samples)]
    meta = dict(imported.meta)
    if verdicts == "ours":
        meta["harness_correct"] = [s.correct for s in imported.samples]
    winner, votes = vote(attempts, problem, grader)
    return ProblemRecord(problem.id, dataset, index, imported.question, imported.gold, kind.value, None, meta,
                         f"import:{run}", None, attempts, answer=winner.answer if winner else None,
                         path=run if winner else "none", correct=bool(winner and winner.correct),
                         method="harness" if verdicts == "theirs" else "strict", votes=votes)


def _attempt(sample: ImportedSample, index: int, run: str, problem: Problem, grader: Grader,
             verdicts: str) -> Attempt:
    """The harness's answer and verdict where it gave them (``verdicts="theirs"``), else ours."""
    if sample.extract_here:
        found = grader.extract(sample.text, problem)
        answer, rule = found.answer, found.rule
    else:
        answer, rule = sample.answer, "harness"
    attempt = Attempt(run, sample.text, answer, rule, sample=index, reward=sample.reward,
                      failure=None if (answer or "").strip() else "no answer")
    theirs = sample.correct if verdicts == "theirs" else None
    attempt.correct = theirs if theirs is not None else grader.attempt_correct(attempt, problem)
    return attempt
