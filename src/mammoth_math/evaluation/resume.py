"""What a resumed evaluation run may change: it may grow (a larger ``--limit`` or ``--samples``), never change
what its records mean (spec version, sampling temperature or top-p, fewer problems or samples).

``evaluation.run`` calls these before it touches a run folder; each refusal names the field to restore.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mammoth_math.benchmarks import Sampling
from mammoth_math.evaluation.config import EvalConfig

log = logging.getLogger(__name__)


def check_resume(before: dict[str, Any], config: EvalConfig, sampling: Sampling, version: int, path: Path) -> None:
    """Resuming may extend a run (a larger ``--limit`` or ``--samples``), never change what its records mean."""
    if before.get("version") != version:
        raise ValueError(f"{path}: field 'version': the records were made with spec version "
                         f"{before.get('version')}, now {version}; use another --output-dir")
    old, new = before.get("limit"), config.limit
    if new is not None and (old is None or new < old):
        raise ValueError(f"{path}: field 'limit': the records cover --limit {old or 'all'}; give a --limit of at "
                         f"least that (or none) to extend the run, or use another --output-dir")
    saved = before.get("sampling") or {}
    for field in ("temperature", "top_p"):
        if field in saved and saved[field] != getattr(sampling, field):
            raise ValueError(f"{path}: field '{field}': the records were sampled at {saved[field]}, now "
                             f"{getattr(sampling, field)}; use another --output-dir")
    if saved.get("n", 1) > sampling.n:  # refused rather than cut: the records and their votes hold all n
        raise ValueError(f"{path}: field 'samples': the records hold {saved['n']} samples per problem; give "
                         f"--samples {saved['n']} or more to extend them (report --pass-k recomputes any k up to "
                         f"{saved['n']}), or use another --output-dir")


def adopt_legacy_folder(output_dir: Path, run_name: str) -> None:
    """Rename the one ``<mode>-sc<n>`` folder of an older version to ``run_name`` (``<mode>-sc``), so a larger
    ``--samples`` extends it; shards racing to do it find it renamed."""
    target = output_dir / run_name
    if not run_name.endswith("-sc") or target.exists():
        return
    legacy = [d for d in output_dir.glob(f"{run_name}*") if d.is_dir() and d.name[len(run_name):].isdigit()]
    if len(legacy) != 1:
        if legacy:
            log.warning("%s: several older sampled runs (%s); a new run starts in %s", output_dir,
                        ", ".join(sorted(d.name for d in legacy)), run_name)
        return
    try:
        legacy[0].rename(target)
        log.info("%s renamed to %s: sampled runs no longer name n, so a larger --samples extends them",
                 legacy[0], target.name)
    except FileNotFoundError:  # another shard renamed it first
        pass
