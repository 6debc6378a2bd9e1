"""A sampled run of a three-problem custom set, for the tests of what is done with a run's samples (reward
models, selection rules, pooling). ``helpers.backends.VaryingBackend`` answers it: sample i says ``i + 3``.
"""

from __future__ import annotations

import json
from pathlib import Path

from mammoth_math.evaluation import EvalConfig


def custom_set(folder: Path) -> Path:
    """``folder/custom.jsonl``: three problems, "What is i + 3?" (gold i + 3), as :class:`VaryingBackend` answers."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [{"id": str(i), "question": f"What is {i} + 3?", "gold": str(i + 3), "kind": "number"} for i in range(3)]
    (folder / "custom.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def sampled_config(tmp_path: Path, **overrides) -> EvalConfig:
    """A cot run of three samples per problem of :func:`custom_set` under ``tmp_path``, cached there."""
    values = dict(model="varying", datasets=["custom"], output_dir=str(tmp_path / "out"), mode="cot",
                  data_dir=str(custom_set(tmp_path / "data")), samples=3, temperature=0.7, progress=False,
                  backend_options={"cache_dir": str(tmp_path / "cache")})
    return EvalConfig(**values | overrides)
