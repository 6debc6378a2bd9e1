"""The same benchmarks from the Hugging Face hub, for users online (``datasets`` is imported lazily).

Each hub split is turned into :class:`Record` rows shaped like the local MAmmoTH files, so one
converter serves both sources. Never used by the tests: they read ``../shared/data/eval``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from mammoth_math.benchmarks.scan import Record, rows_to_records

log = logging.getLogger(__name__)


def hub_records(
    dataset_id: str,
    configs: Sequence[str | None] = (None,),
    splits: Sequence[str] = ("test",),
    adapt: Callable[[dict[str, Any], str | None], dict[str, Any]] | None = None,
) -> list[Record]:
    """All rows of ``splits`` of each config of ``dataset_id``, in that order, optionally reshaped by ``adapt``."""
    try:
        import datasets
    except ImportError as e:  # pragma: no cover - depends on the install
        raise RuntimeError("loading benchmarks from the hub needs `datasets` (pip install 'mammoth-math[hf]'), "
                           "or pass a local --data-dir") from e
    rows: list[dict[str, Any]] = []
    for config in configs:
        for split in splits:
            log.info("loading %s %s %s from the hub", dataset_id, config or "", split)
            for row in datasets.load_dataset(dataset_id, config, split=split):
                rows.append(adapt(dict(row), config) if adapt else dict(row))
    return rows_to_records(rows, f"hf://{dataset_id}")
