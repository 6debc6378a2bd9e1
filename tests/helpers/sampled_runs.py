"""A sampled run of a three-problem custom set, for the tests of what is done with a run's samples (reward
models, selection rules, pooling). ``helpers.backends.VaryingBackend`` answers it: sample i says ``i + 3``.
:func:`train_then_score` trains a reward model with ``train`` and scores a finished run with it.
"""

from __future__ import annotations

import json
from pathlib import Path

from helpers.backends import VaryingBackend

from mammoth_math.cli import main
from mammoth_math.evaluation import EvalConfig, evaluate, read_problem_records
from mammoth_math.evaluation.records import ProblemRecord

REPO = Path(__file__).resolve().parents[2]


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


def train_then_score(tmp_path: Path, method: str, data: Path, model_dir: Path, backend: VaryingBackend,
                     field: str) -> list[ProblemRecord]:
    """``train --method <method>`` on ``data``, then the finished run evaluated again with the model it saved
    (``field``: the eval config's field naming it): scored, not generated again. Returns the records."""
    model = tmp_path / method
    assert main(["train", "--method", method, "--config", str(REPO / f"configs/train/{method}-tiny.yaml"),
                 f"model={model_dir}", f"data=[{data}]", f"output_dir={model}", "num_train_epochs=2",
                 "disable_tqdm=true", "--threads", "1"]) == 0
    evaluate(sampled_config(tmp_path, **{field: str(model)}), backend=backend)
    assert backend.requests == []  # the finished run is scored, not generated again
    return read_problem_records(tmp_path / "out" / "cot-sc" / "custom.jsonl")
