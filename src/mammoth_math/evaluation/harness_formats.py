"""Readers of other harnesses' per-sample output files: each turns its files into :class:`ImportedProblem` s.

``mammoth-math import --format F`` (``evaluation.importing``) writes them as our records. What each reads:
- ``qwen``: Qwen2.5-Math's ``evaluation/`` outputs (``math_eval.py``, ``rm_maj_eval.py``'s example): one line per
  problem with ``idx``, ``question``, ``gt``, per sample ``code`` (the generations), ``pred`` (their extracted
  answer), ``score`` (their verdict) and, where a reward model scored them, ``pred_score`` (``[[r], ...]``).
- ``nemo-skills``: NeMo-Skills' ``output-rs<seed>.jsonl`` (one file per sample, lines aligned by problem):
  ``problem``, ``expected_answer``, ``generation``, ``predicted_answer``, ``symbolic_correct`` (or ``judgement``),
  ``reward_model_score``.
- ``lm-eval``: lm-evaluation-harness ``--log_samples`` ``samples_<task>_<time>.jsonl``: ``doc_id``, ``doc``,
  ``target``, ``resps`` (``[[sample, ...]]``), ``filtered_resps``, ``filter`` and the task's metric values. It logs
  no per-sample verdict: a single-sample doc keeps the value of its first metric, n samples are graded here.
- ``lighteval``: ``--save-details`` parquet (needs pyarrow) or the same rows as JSON lines: ``doc`` (``query``,
  ``choices``, ``gold_index``), ``model_response`` (``text``), ``metric``; older versions' ``example``,
  ``predictions``, ``gold``, ``metrics`` too. As for lm-eval, only a single sample keeps the harness's verdict.
Bad input fails naming file, line and field.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mammoth_math.files import InputError, iter_jsonl, require_fields


@dataclass
class ImportedSample:
    text: str
    answer: str | None = None  # the harness's extracted answer (None: it found none)
    correct: bool | None = None  # the harness's verdict; None: grade it here
    reward: float | None = None  # a reward model's score of this sample
    extract_here: bool = False  # the harness logged no extracted answer: extract it here from ``text``


@dataclass
class ImportedProblem:
    id: str
    question: str
    gold: str
    samples: list[ImportedSample]
    meta: dict[str, Any] = field(default_factory=dict)  # the harness's other per-problem fields (level, type, ...)


Reader = Callable[[Sequence[Path]], list[ImportedProblem]]


def _scalars(row: dict[str, Any], skip: Sequence[str]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in skip and isinstance(v, (str, int, float, bool))}


def _per_sample(row: dict[str, Any], key: str, n: int, path: Path, line: int) -> list[Any]:
    values = row[key]
    if not isinstance(values, list) or len(values) != n:
        raise InputError(path, f"expected a list of {n} values (one per sample)", line=line, field=key)
    return values


def read_qwen(paths: Sequence[Path]) -> list[ImportedProblem]:
    problems = []
    for path in paths:
        for line, row in iter_jsonl(path):
            require_fields(row, ["idx", "gt", "pred", "score"], path, line)
            preds = row["pred"]
            if not isinstance(preds, list) or not preds:
                raise InputError(path, "expected a non-empty list of answers", line=line, field="pred")
            n = len(preds)
            texts = _per_sample(row, "code", n, path, line) if "code" in row else [""] * n
            scores = _per_sample(row, "score", n, path, line)
            rewards: list[float | None] = [None] * n
            if row.get("pred_score") is not None:
                rewards = [_one_reward(r, path, line) for r in _per_sample(row, "pred_score", n, path, line)]
            samples = [ImportedSample(str(t), None if p is None else str(p), bool(s), r)
                       for t, p, s, r in zip(texts, preds, scores, rewards)]
            skip = ("idx", "gt", "pred", "score", "pred_score", "code", "question", "problem", "response", "report")
            problems.append(ImportedProblem(str(row["idx"]), str(row.get("question", row.get("problem", ""))),
                                            str(row["gt"]), samples, _scalars(row, skip)))
    return problems


def _one_reward(value: Any, path: Path, line: int) -> float:
    """Qwen2.5-Math writes each sample's score as ``[r]``; a bare number is taken too."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(path, f"a reward score must be a number or [number], got {value!r}", line=line,
                         field="pred_score")
    return float(value)


def read_nemo_skills(paths: Sequence[Path]) -> list[ImportedProblem]:
    files = [list(iter_jsonl(p)) for p in paths]
    counts = {len(rows) for rows in files}
    if len(counts) > 1:
        raise InputError(paths[0], f"the output-rs files hold different numbers of problems: {sorted(counts)}")
    problems = []
    for position, lines in enumerate(zip(*files)):
        samples = []
        first = lines[0][1]
        for path, (line, row) in zip(paths, lines):
            require_fields(row, ["problem", "expected_answer", "generation", "predicted_answer"], path, line)
            if row["problem"] != first["problem"]:
                raise InputError(path, f"line {line} is another problem than in {paths[0]}", line=line,
                                 field="problem")
            correct = row.get("symbolic_correct")
            if correct is None and "judgement" in row:
                correct = "judgement: yes" in str(row["judgement"]).lower()
            reward = row.get("reward_model_score")
            samples.append(ImportedSample(str(row["generation"]), _text_or_none(row["predicted_answer"]),
                                          None if correct is None else bool(correct),
                                          None if reward is None else float(reward)))
        skip = ("problem", "expected_answer", "generation", "predicted_answer", "symbolic_correct", "judgement",
                "reward_model_score", "id")
        problems.append(ImportedProblem(str(first.get("id", position)), str(first["problem"]),
                                        str(first["expected_answer"]), samples, _scalars(first, skip)))
    return problems


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def read_lm_eval(paths: Sequence[Path]) -> list[ImportedProblem]:
    problems: dict[str, ImportedProblem] = {}
    for path in paths:
        for line, row in iter_jsonl(path):
            require_fields(row, ["doc_id", "doc", "target", "resps"], path, line)
            key = f"{path.stem}-{row['doc_id']}"
            if key in problems:  # one line per filter: the first filter's line stands for the doc
                continue
            texts = _flat(row["resps"], path, line, "resps")
            answers = _flat(row.get("filtered_resps", []), path, line, "filtered_resps")
            metrics = {m: row[m] for m in row.get("metrics", []) if isinstance(row.get(m), (int, float))}
            verdict = bool(next(iter(metrics.values()))) if len(texts) == 1 and metrics else None
            logged = len(answers) == len(texts)
            samples = [ImportedSample(t, answers[i] if logged else None, verdict, extract_here=not logged)
                       for i, t in enumerate(texts)]
            doc = row["doc"] if isinstance(row["doc"], dict) else {}
            question = next((str(doc[k]) for k in ("problem", "question", "query") if k in doc), "")
            problems[key] = ImportedProblem(key, question, str(row["target"]), samples,
                                            {**_scalars(doc, ("problem", "question", "query", "solution", "answer")),
                                             "harness_filter": row.get("filter"), **metrics})
    return list(problems.values())


def _flat(value: Any, path: Path, line: int, name: str) -> list[str]:
    """lm-eval nests one request's samples (``[[s1, s2]]``); one level of lists either way."""
    if not isinstance(value, list):
        raise InputError(path, "expected a list", line=line, field=name)
    flat = [x for item in value for x in (item if isinstance(item, list) else [item])]
    return [str(x) for x in flat]


def read_lighteval(paths: Sequence[Path]) -> list[ImportedProblem]:
    problems = []
    for path in paths:
        for line, row in _lighteval_rows(path):
            doc = row.get("doc") or {}
            response = row.get("model_response") or {}
            if doc:
                texts = _flat(response.get("text", []), path, line, "model_response.text")
                choices, index = doc.get("choices") or [], doc.get("gold_index", 0)
                index = index[0] if isinstance(index, list) else index
                gold = str(choices[index]) if choices else ""
                question, metrics = str(doc.get("query", "")), row.get("metric") or {}
            else:
                require_fields(row, ["predictions", "gold"], path, line)
                texts = _flat(row["predictions"], path, line, "predictions")
                gold = _flat(row["gold"], path, line, "gold")[0] if row["gold"] else ""
                question, metrics = str(row.get("full_prompt", row.get("example", ""))), row.get("metrics") or {}
            if not texts:
                raise InputError(path, "no generation in this row", line=line, field="model_response")
            numeric = {k: v for k, v in metrics.items() if isinstance(v, (int, float))}
            verdict = bool(next(iter(numeric.values()))) if len(texts) == 1 and len(numeric) == 1 else None
            problems.append(ImportedProblem(f"{path.stem}-{line}", question, gold,
                                            [ImportedSample(t, None, verdict, extract_here=True) for t in texts],
                                            dict(numeric)))
    return problems


def _lighteval_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    if path.suffix != ".parquet":
        return list(iter_jsonl(path))
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(path, "lighteval details are parquet files: install pyarrow to read them, or give the "
                               "same rows as JSON lines") from None
    return list(enumerate(pq.read_table(os.fspath(path)).to_pylist(), start=1))


FORMATS: dict[str, Reader] = {"qwen": read_qwen, "nemo-skills": read_nemo_skills, "lm-eval": read_lm_eval,
                              "lighteval": read_lighteval}
