"""One evaluation run's settings (:class:`EvalConfig`), filled by ``mammoth-math eval`` flags.

Saved into ``run.json`` beside the records: resuming checks the saved settings still match, so a
resumed run can never mix generations from two different setups.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from mammoth_math.benchmarks import Sampling, resolve_datasets
from mammoth_math.files import COUNT, NON_NEGATIVE, POSITIVE, Bound, InputError, check_fields, out_of_bounds, \
    read_yaml_config, yaml_lines
from mammoth_math.prompts import PROMPT_STYLES

# Settings that change what a record holds: resuming with any of them changed is refused (``samples`` only when
# smaller: a larger n extends the run, see ``evaluation.run``).
RESUME_KEYS = ("model", "backend", "mode", "samples", "max_new_tokens", "temperature", "top_p", "seed", "chat",
               "few_shot", "shots", "exemplars", "grading", "program_timeout", "shard", "reasoning", "think_tags",
               "prompt_style", "judge", "max_tool_calls")  # and each dataset's limit
# The ranges of the numeric settings, checked (with the types) before anything loads.
BOUNDS: dict[str, Bound] = {"limit": COUNT, "samples": COUNT, "max_new_tokens": COUNT, "temperature": NON_NEGATIVE,
                            "top_p": (0, 1, True), "seed": NON_NEGATIVE, "shots": COUNT, "program_timeout": POSITIVE,
                            "chunk_size": COUNT, "max_tool_calls": COUNT}


@dataclass
class EvalConfig:
    """What to evaluate and how.

    ``mode``: a strategy of ``evaluation.strategies.STRATEGIES``: ``cot`` (rationale), ``pot`` (program, run in
    the sandbox), ``hybrid`` (PoT, then CoT for the problems whose program failed), ``tir`` (prose and code
    blocks run as they are written, at most ``max_tool_calls`` of them), ``hybrid-tir`` (TIR, then CoT for the
    problems it gave no answer). ``samples`` n > 1 draws n samples per problem in one batched call: the record's
    answer is their majority vote (self-consistency, as before) and the report adds avg@n, pass@k (each k of
    ``pass_k``), maj@k and the standard error.
    ``samples``, ``temperature`` and ``top_p`` left None take each set's own default (``spec.sampling``: AIME
    and AMC n=16 at 0.6 / 0.95; greedy for the rest, 0.7 for n > 1). ``reasoning``: the text inside
    ``think_tags`` is dropped before extraction, an unclosed block is truncated (no answer).
    ``prompt_style``: a ``prompts.PROMPT_STYLES`` name (a chat style asks for one rationale, which must be the
    mode's first prompt). ``shard`` is ``(i, n)``: this process takes every problem whose position modulo ``n``
    is ``i``.
    """

    model: str
    datasets: list[str]
    output_dir: str
    backend: str = "hf"
    mode: str = "hybrid"
    data_dir: str | None = None  # MAmmoTH's evaluation files; None reads the Hugging Face hub
    limit: int | None = None  # first N problems of each dataset
    shard: tuple[int, int] = (0, 1)
    samples: int | None = None  # None: each set's default (spec.sampling.n)
    pass_k: list[int] | None = None  # the k of pass@k and maj@k; None: powers of two up to n
    max_new_tokens: int = 512
    temperature: float | None = None  # None: the set's default, 0.7 for n > 1 samples of a greedy set
    top_p: float | None = None  # None: the set's default (1.0 unless it says otherwise)
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
    reasoning: bool = False  # strip think blocks before extraction; an unclosed one is truncated
    think_tags: tuple[str, str] = ("<think>", "</think>")
    prompt_style: str = "mammoth"
    judge: str | None = None  # a judge model (evaluation.judge) asked where the rules say wrong; None: no judge
    judge_base_url: str | None = None  # the OpenAI-compatible server (ends in /v1) serving ``judge``
    max_tool_calls: int = 4  # tir: code blocks run per answer (ToRA's and Qwen2.5-Math's default)
    reward_model: str | None = None  # an outcome reward model (folder, hub id or http URL) scoring every sample
    process_reward_model: str | None = None  # a process reward model (folder or hub id) scoring every step

    def __post_init__(self) -> None:
        from mammoth_math.evaluation.strategies import STRATEGIES

        if self.mode not in STRATEGIES:
            raise ValueError(f"mode must be one of {', '.join(STRATEGIES)}, got {self.mode!r}")
        for name, bound in BOUNDS.items():
            value = getattr(self, name)
            if isinstance(value, (int, float)) and (problem := out_of_bounds(value, bound)):
                raise ValueError(f"{name} {problem}, got {value!r}")
        if self.pass_k is not None and (not self.pass_k or min(self.pass_k) < 1
                                        or (self.samples and max(self.pass_k) > self.samples)):
            raise ValueError(f"pass_k: every k must be between 1 and --samples, got {self.pass_k}")
        if self.prompt_style not in PROMPT_STYLES:
            raise ValueError(f"prompt_style must be one of {', '.join(PROMPT_STYLES)}, got {self.prompt_style!r}")
        style = PROMPT_STYLES[self.prompt_style]
        if style.chat and style.rationale != STRATEGIES[self.mode].prompts[0]:  # a fallback's prompt is plain chat
            modes = [name for name, s in STRATEGIES.items() if style.rationale == s.prompts[0]]
            raise ValueError(f"prompt style {self.prompt_style!r} asks for {style.rationale.name}: use --mode "
                             f"{' or '.join(modes)}")
        self.think_tags = tuple(self.think_tags)  # type: ignore[assignment]
        if len(self.think_tags) != 2 or not all(self.think_tags):
            raise ValueError(f"think_tags must be two non-empty strings (open, close), got {self.think_tags}")
        index, count = self.shard = tuple(self.shard)  # type: ignore[assignment]
        if not (count >= 1 and 0 <= index < count):
            raise ValueError(f"shard must be i/n with 0 <= i < n, got {index}/{count}")
        if not self.datasets:
            raise ValueError("no datasets given")
        self.datasets = resolve_datasets(self.datasets)  # suites (mammoth, modern, all) expand here
        if (self.samples or 1) > 1 and self.temperature == 0:
            raise ValueError("several samples need sampling: give --temperature > 0 with --samples > 1")
        if self.judge and not self.judge_base_url:
            raise ValueError("a judge needs its server: give --judge-base-url (ending in /v1) with --judge")

    @property
    def run_name(self) -> str:
        """The folder of this run under ``output_dir``: the mode, plus ``-sc`` when ``--samples n`` > 1.

        Not ``-sc<n>`` (as before): a larger n on the same folder extends the run in place.
        """
        return self.mode if (self.samples or 1) == 1 else f"{self.mode}-sc"

    def sampling(self, default: Sampling) -> Sampling:
        """The sampling of one set: the flags given, else the set's ``default``."""
        n = self.samples or default.n
        temperature = self.temperature
        if temperature is None:
            temperature = default.temperature or (0.7 if n > 1 else 0.0)
        return Sampling(n, temperature, default.top_p if self.top_p is None else self.top_p)

    def ks(self, n: int) -> list[int]:
        """The k of pass@k and maj@k for n samples: ``pass_k`` (those <= n), else the powers of two up to n."""
        return default_ks(n) if self.pass_k is None else sorted({k for k in self.pass_k if k <= n})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"shard": list(self.shard), "think_tags": list(self.think_tags)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvalConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown evaluation settings: {', '.join(unknown)}")
        return cls(**data)


def default_ks(n: int) -> list[int]:
    """1, 2, 4, ... up to n, and n itself."""
    ks = [2 ** i for i in range(n.bit_length()) if 2 ** i <= n]
    return ks if ks[-1] == n else [*ks, n]


def parse_ks(text: str) -> list[int]:
    """``"1,2,4"`` -> ``[1, 2, 4]`` (the ``--pass-k`` flag)."""
    try:
        ks = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError:
        raise ValueError(f"--pass-k must be comma-separated integers (e.g. 1,2,4), got {text!r}") from None
    if not ks or ks[0] < 1:
        raise ValueError(f"--pass-k needs integers >= 1, got {text!r}")
    return ks


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
    from_file = _shorthands(read_yaml_config(path, {f.name for f in fields(EvalConfig)})) if path else {}
    given = _shorthands({k: v for k, v in overrides.items() if v is not None})
    if path:
        check_fields(EvalConfig, from_file, path, BOUNDS, yaml_lines(path))
    check_fields(EvalConfig, given, "<command line>", BOUNDS)
    values = {**from_file, **given}
    for name in ("model", "datasets", "output_dir"):
        if not values.get(name):
            raise InputError(where, f"required: give --{name.replace('_', '-')} or set it in a config file",
                             field=name)
    try:
        return EvalConfig(**values)
    except (TypeError, ValueError, KeyError) as e:
        raise InputError(where, str(e)) from None


def _shorthands(values: dict[str, Any]) -> dict[str, Any]:
    """``datasets: a,b``, ``shard: i/n`` and ``pass_k: 1,2,4`` as the fields' values."""
    if isinstance(values.get("datasets"), str):
        values["datasets"] = [d.strip() for d in values["datasets"].split(",") if d.strip()]
    if isinstance(values.get("shard"), str):
        values["shard"] = parse_shard(values["shard"])
    if isinstance(values.get("pass_k"), str):
        values["pass_k"] = parse_ks(values["pass_k"])
    return values
