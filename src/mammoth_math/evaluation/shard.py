"""Join the shards of a run (``--shard i/n``) into one run: ``mammoth-math merge OUT``.

Every shard must be present and finished, each problem recorded exactly once, and the shards
must agree on their settings; anything else fails naming the shard file. :func:`merge_run` joins any
folder of shards written this way (``<stem>.shard-<i>-of-<n>.json`` beside ``<dataset>.shard-<i>-of-<n>.jsonl``):
an evaluation run's, and a probe's (``probe.merge_probe``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mammoth_math.evaluation.config import RESUME_KEYS
from mammoth_math.evaluation.records import meta_path, read_problem_records, records_path
from mammoth_math.files import InputError, read_json, write_json, write_jsonl

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class MergeResult:
    run_dir: str
    shards: int
    problems: dict[str, int]  # dataset -> records written


def merge_output(output_dir: str | Path) -> list[MergeResult]:
    """Merge every sharded run found under ``output_dir``."""
    run_dirs = sorted({p.parent for p in Path(output_dir).glob("*/run.shard-*-of-*.json")})
    if not run_dirs:
        raise FileNotFoundError(f"{output_dir}: no sharded run (run.shard-<i>-of-<n>.json) found")
    return [merge_run(d) for d in run_dirs]


def merge_run(run_dir: str | Path, stem: str = "run", read: Callable[[Path], Sequence[Any]] = read_problem_records,
              keys: Sequence[str] = RESUME_KEYS) -> MergeResult:
    """Merge the shards of one run folder into ``<dataset>.jsonl`` and ``<stem>.json`` (atomically written).

    ``read`` reads one records file (records with ``id``, ``index`` and ``to_dict``); ``keys`` are the settings
    every shard must share.
    """
    run_dir = Path(run_dir)
    pattern = re.compile(rf"{re.escape(stem)}\.shard-(\d+)-of-(\d+)\.json$")
    found = {int(m[1]): int(m[2]) for p in run_dir.iterdir() if (m := pattern.match(p.name))}
    counts = set(found.values())
    if len(counts) != 1:
        raise InputError(run_dir, f"shards of different splits found: of-{sorted(counts)}")
    count = counts.pop()
    missing = sorted(set(range(count)) - set(found))
    if missing:
        raise InputError(run_dir, f"shard(s) {missing} of {count} missing: run them before merging")
    meta_files = [meta_path(run_dir, (i, count), stem) for i in range(count)]
    metas = [read_json(path) for path in meta_files]
    for path, meta in zip(meta_files, metas):
        if not meta.get("finished"):
            raise InputError(path, "shard not finished: re-run it to resume")
        changed = [k for k in keys if k != "shard" and meta["config"].get(k) != metas[0]["config"].get(k)]
        if changed:
            raise InputError(path, f"settings differ from shard 0: {', '.join(changed)}")
    written: dict[str, int] = {}
    for name in metas[0]["benchmarks"]:
        rows, seen = [], set()
        for i, meta in enumerate(metas):
            path = records_path(run_dir, name, (i, count))
            shard_rows = read(path) if path.exists() else []
            expected = meta["benchmarks"].get(name, {}).get("selected")
            if len(shard_rows) != expected:
                raise InputError(path, f"{len(shard_rows)} records, the shard selected {expected}")
            for r in shard_rows:
                if r.id in seen:
                    raise InputError(path, f"problem {r.id} recorded twice")
                seen.add(r.id)
            rows.extend(shard_rows)
        rows.sort(key=lambda r: r.index)
        written[name] = write_jsonl(records_path(run_dir, name), (r.to_dict() for r in rows))
    merged = dict(metas[0])
    merged["config"] = metas[0]["config"] | {"shard": [0, 1]}
    merged["benchmarks"] = {name: info | {"selected": written[name]} for name, info in metas[0]["benchmarks"].items()}
    merged["merged_from"] = [{"shard": [i, count], "backend": m.get("backend"), "started": m.get("started"),
                              "finished": m.get("finished")} for i, m in enumerate(metas)]
    merged["finished"] = max(m["finished"] for m in metas)
    write_json(meta_path(run_dir, stem=stem), merged)
    log.info("merged %d shards of %s: %s", count, run_dir, written)
    return MergeResult(str(run_dir), count, written)
