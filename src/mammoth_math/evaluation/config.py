"""One evaluation run's settings (:class:`EvalConfig`), filled by ``mammoth-math eval`` flags.

Saved into ``run.json`` beside the records: resuming checks the saved settings still match, so a
resumed run can never mix generations from two different setups.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from mammoth_math.files import InputError, read_yaml_config

# Settings that change what a record holds: resuming with any of them changed is refused.
RESUME_KEYS = ("model", "backend", "mode", "samples", "max_new_tokens", "temperature", "top_p", "seed", "chat",
               "few_shot", "shots", "exemplars", "grading", "program_timeout", "shard", "judge")  # and each dataset's limit


@dataclass
class EvalConfig:
    """What to evaluate and how.

    ``mode``: a strategy of ``evaluation.strategies.STRATEGIES``: ``cot`` (rationale), ``pot`` (program, run in
    the sandbox), ``hybrid`` (PoT, then CoT for the problems whose program failed). ``samples`` > 1 is self-consistency (majority vote); it samples at
    ``temperature`` (default 0.7 then, greedy otherwise). ``shard`` is ``(i, n)``: this process takes
    every problem whose position modulo ``n`` is ``i``.
    """

    model: str
    datasets: list[str]
    output_dir: str
    backend: str = "hf"
    mode: str = "hybrid"
    data_dir: str | None = None  # MAmmoTH's evaluation files; None reads the Hugging Face hub
    limit: int | None = None  # first N problems of each dataset
    shard: tuple[int, int] = (0, 1)
    samples: int = 1
    max_new_tokens: int = 512
    temperature: float | None = None  # None: 0 (greedy) for one sample, 0.7 for self-consistency
    top_p: float = 1.0
    seed: int = 0
    chat: bool = False  # render prompts with the model's chat template (instruct models)
    few_shot: bool = False
    shots: int = 4
    train_dir: str | None = None  # where few-shot exemplars are drawn from (train splits, never the test set)
    exemplars: str | None = None  # a JSONL of user-written exemplars, used instead of train splits
    grading: str = "strict"  # strict | mammoth (see mammoth_math.grading.GradingMode)
    program_timeout: float = 5.0  # seconds per program in the sandbox
    chunk_size: int = 64  # problems generated, run and written together; a crash loses at most one chunk
    backend_options: dict[str, Any] = field(default_factory=dict)  # passed to make_backend (batch_size, base_url...)
    progress: bool = True
    judge: str | None = None  # a judge model (evaluation.judge) asked where the rules say wrong; None: no judge
    judge_base_url: str | None = None  # the OpenAI-compatible server (ends in /v1) serving ``judge``

    def __post_init__(self) -> None:
        from mammoth_math.evaluation.strategies import STRATEGIES

        if self.mode not in STRATEGIES:
            raise ValueError(f"mode must be one of {', '.join(STRATEGIES)}, got {self.mode!r}")
        if self.samples < 1:
            raise ValueError(f"samples must be >= 1, got {self.samples}")
        index, count = self.shard = tuple(self.shard)  # type: ignore[assignment]
        if not (count >= 1 and 0 <= index < count):
            raise ValueError(f"shard must be i/n with 0 <= i < n, got {index}/{count}")
        if not self.datasets:
            raise ValueError("no datasets given")
        if self.temperature is None:
            self.temperature = 0.0 if self.samples == 1 else 0.7
        if self.samples > 1 and self.temperature == 0:
            raise ValueError("self-consistency needs sampling: give --temperature > 0 with --samples > 1")
        if self.judge and not self.judge_base_url:
            raise ValueError("a judge needs its server: give --judge-base-url (ending in /v1) with --judge")
        if self.chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {self.chunk_size}")

    @property
    def run_name(self) -> str:
        """The folder of this run under ``output_dir``: the mode, plus ``-sc<k>`` for self-consistency."""
        return self.mode if self.samples == 1 else f"{self.mode}-sc{self.samples}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"shard": list(self.shard)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvalConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown evaluation settings: {', '.join(unknown)}")
        return cls(**data)


def parse_shard(text: str) -> tuple[int, int]:
    """``"1/4"`` -> ``(1, 4)`` (0-based shard index)."""
    try:
        index, count = (int(x) for x in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard must look like i/n (e.g. 0/4), got {text!r}") from None
    if not (count >= 1 and 0 <= index < count):
        raise ValueError(f"--shard {text}: need 0 <= i < n")
    return index, count


def load_config(path: str | Path | None, overrides: Mapping[str, Any] = {}) -> EvalConfig:
    """An :class:`EvalConfig` from a YAML file (keys are its fields) with ``overrides`` (given flags) winning.

    ``datasets`` may be a list or a comma-separated string, ``shard`` ``[i, n]`` or ``"i/n"``.
    """
    where = path or "<command line>"
    values = read_yaml_config(path, {f.name for f in fields(EvalConfig)}) if path else {}
    values.update({k: v for k, v in overrides.items() if v is not None})
    if isinstance(values.get("datasets"), str):
        values["datasets"] = [d.strip() for d in values["datasets"].split(",") if d.strip()]
    if isinstance(values.get("shard"), str):
        values["shard"] = parse_shard(values["shard"])
    for name in ("model", "datasets", "output_dir"):
        if not values.get(name):
            raise InputError(where, f"required: give --{name.replace('_', '-')} or set it in a config file",
                             field=name)
    try:
        return EvalConfig(**values)
    except (TypeError, ValueError) as e:
        raise InputError(where, str(e)) from None
