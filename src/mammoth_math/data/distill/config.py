"""The distillation config: one dataclass filled from ``configs/data/distill-*.yaml`` (keys map onto fields).

Read by the project's one YAML reader (``files.read_yaml_config``): an unknown key fails naming file and key;
``sources`` entries are the builder's :class:`SourceSpec` s.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from mammoth_math.data.config import SHARE, SourceSpec, source_spec
from mammoth_math.files import COUNT, NON_NEGATIVE, POSITIVE, Bound, InputError, check_fields, read_yaml_config, \
    yaml_lines

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DistillConfig:
    sources: tuple[SourceSpec, ...]  # where the problems come from (any source adapter; golds optional)
    model: str  # the teacher: a model folder or hub id (hf, vllm), or the name a server serves (openai)
    backend: str = "hf"  # a key of backends.BACKENDS
    base_url: str | None = None  # the openai backend's server, ending in /v1
    teacher: str | None = None  # the name written into every row; None: ``model``
    train_dir: str = "../shared/data/train"
    types: tuple[str, ...] = ("cot", "pot")
    # "instruct": the chat instructions of ``data synthesize`` (instruction-tuned teachers); "mammoth": MAmmoTH's
    # Alpaca prompt with the PoT trigger and its stop strings (a model this project trained, e.g. the quickstart's);
    # "auto": "mammoth" for a model folder without a chat template, else "instruct" (:func:`choose_prompt`)
    prompt: Literal["auto", "instruct", "mammoth"] = "auto"
    k: int = 8  # samples per problem and rationale type
    temperature: float = 0.8
    top_p: float = 1.0
    max_new_tokens: int = 512
    seed: int = 0  # batch i samples with seed*100003+i: same seed and batch_size, same samples
    batch_size: int = 16  # problems per generation call; each is a resume point
    use_gold: bool = True  # False hides every gold: all problems are majority-labelled, and label accuracy reported
    majority_share: float = 0.5  # least share of a problem's samples that must agree for a majority label
    pass_rate_min: float = 0.1  # keep a problem's type when this share of its samples is right ...
    pass_rate_max: float = 0.9  # ... and at most this share (nothing trivial or hopeless dominates)
    max_per_problem: int = 4  # m: distinct kept solutions per problem and type
    near_dup_threshold: float | None = 0.8  # MinHash Jaccard between two solutions of a problem; None: exact only
    max_chars: int = 4000  # longer responses are length outliers
    length_factor: float | None = 3.0  # so are those longer than this times the median kept length of their type
    check_arithmetic: bool = True  # drop CoT stating a wrong ``a op b = c``
    timeout: float = 5.0  # seconds per program in the sandbox
    memory_mb: int = 1024
    workers: int | None = None  # sandbox workers; None: one per CPU
    cache_dir: str | None = None  # the response cache; None: <out>/cache

    def __post_init__(self) -> None:
        for name, ok in (("k", self.k >= 1), ("batch_size", self.batch_size >= 1),
                         ("max_per_problem", self.max_per_problem >= 1),
                         ("majority_share", 0 < self.majority_share <= 1),
                         ("pass_rate_min", 0 <= self.pass_rate_min <= self.pass_rate_max <= 1),
                         ("types", bool(self.types) and set(self.types) <= {"cot", "pot"}),
                         ("prompt", self.prompt in ("auto", "instruct", "mammoth"))):
            if not ok:
                raise ValueError(f"distill config: invalid {name} ({getattr(self, name)!r})")

    @property
    def teacher_name(self) -> str:
        return self.teacher or self.model

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# The ranges of the numeric settings, checked with the types before any model loads.
BOUNDS: dict[str, Bound] = {
    "k": COUNT, "temperature": NON_NEGATIVE, "top_p": (0, 1, True), "max_new_tokens": COUNT, "seed": NON_NEGATIVE,
    "batch_size": COUNT, "majority_share": (0, 1, True), "pass_rate_min": SHARE, "pass_rate_max": SHARE,
    "max_per_problem": COUNT, "near_dup_threshold": SHARE, "max_chars": COUNT, "length_factor": POSITIVE,
    "timeout": POSITIVE, "memory_mb": COUNT, "workers": COUNT}


def load_distill_config(path: str | Path, overrides: dict[str, Any] | None = None) -> DistillConfig:
    """Read a YAML distillation config; ``overrides`` (command-line flags, None skipped) win over the file."""
    fields = {f.name for f in dataclasses.fields(DistillConfig)}
    raw = read_yaml_config(path, fields)
    raw.update({k: v for k, v in (overrides or {}).items() if v is not None})
    for required in ("sources", "model"):
        if not raw.get(required):
            raise InputError(path, "required", field=required)
    lines = yaml_lines(path)
    check_fields(DistillConfig, {k: v for k, v in raw.items() if k != "sources"}, path, BOUNDS, lines)
    sources = tuple(source_spec(s, path, lines.get("sources")) for s in raw["sources"])
    values = {k: tuple(v) if k == "types" else v for k, v in raw.items() if k != "sources"}
    try:
        config = DistillConfig(sources=sources, **values)
    except (TypeError, ValueError) as e:
        raise InputError(path, str(e)) from None
    return choose_prompt(config, path, lines.get("prompt"))


def choose_prompt(config: DistillConfig, where: str | Path = "<config>", line: int | None = None) -> DistillConfig:
    """``config`` with its prompt decided: a model folder without a chat template (one trained here) gets
    MAmmoTH's Alpaca prompt under "auto" (logged), and is refused at once under "instruct", saying what to
    set; anything else (a hub id, a served name, a folder with a template) keeps the chat instructions."""
    from mammoth_math.backends.base import folder_chat_template

    plain = Path(config.model).is_dir() and folder_chat_template(config.model) is None
    if config.prompt == "instruct" and plain:
        raise InputError(where, f"the teacher {config.model} has no chat template (a model trained here?): "
                                "set prompt: mammoth (MAmmoTH's Alpaca prompt) or auto", line=line, field="prompt")
    if config.prompt != "auto":
        return config
    if plain:
        log.info("%s has no chat template: asking it with MAmmoTH's Alpaca prompt (prompt: mammoth)", config.model)
    return dataclasses.replace(config, prompt="mammoth" if plain else "instruct")
