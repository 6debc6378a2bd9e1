"""``eval --reward-model PATH|URL``: every sample of a run scored by an outcome reward model, kept in the records.

After a set's problems are generated, each attempt without a ``reward`` is scored (``backends.reward``), a chunk
of records at a time; a scored record is appended again (the last line of an id wins) and the file compacted at
the end, so a crash loses at most one chunk of scores, and the score cache makes redoing it free. Adding
``--reward-model`` to a finished run scores it without generating anything; a run keeps one reward model.
``eval --process-reward-model PATH`` does the same per step: each attempt's ``step_rewards``, the step separator
the model was trained with kept in the run's meta (``step_separator``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mammoth_math.backends.reward import RewardModel, ScoreRequest
from mammoth_math.evaluation.records import compact_records
from mammoth_math.files import JsonlAppender
from mammoth_math.progress import bar

log = logging.getLogger(__name__)


def check_reward_model(meta: dict[str, Any], reward_model: str | None, path: Path, key: str = "reward_model") -> None:
    """Refuse a second reward model for a run whose samples one has scored (their scores would not compare);
    ``key``: ``process_reward_model`` for the per-step one."""
    saved = meta.get(key)
    if reward_model and saved and saved != reward_model:
        raise ValueError(f"{path}: this run's samples were scored by {key.replace('_', ' ')} {saved!r}, not "
                         f"{reward_model!r}; use another --output-dir")
    if reward_model:
        meta[key] = reward_model


def add_rewards(path: Path, model: RewardModel, chunk_size: int, label: str, progress: bool,
                field: str = "reward") -> int:
    """Score every unscored attempt of the records in ``path``; returns how many were scored. Backend errors
    (no samples) and scores the model failed to give (None) stay unscored, for the next run. ``field``:
    ``step_rewards`` for a process reward model."""
    todo = [r for r in compact_records(path)
            if r.error is None and any(getattr(a, field) is None for a in r.attempts)]
    if not todo:
        return 0
    scored = 0
    with JsonlAppender(path) as out, bar(label, len(todo), progress) as b:
        for start in range(0, len(todo), chunk_size):
            chunk = todo[start:start + chunk_size]
            pairs = [(r, a) for r in chunk for a in r.attempts if getattr(a, field) is None]
            for (_, attempt), value in zip(pairs, model.score([ScoreRequest(r.question, a.text) for r, a in pairs])):
                setattr(attempt, field, value)
                scored += value is not None
            for record in chunk:
                out.write(record.to_dict())
            b.advance(len(chunk))
    compact_records(path)
    log.info("%s: %d samples scored", label, scored)
    return scored
