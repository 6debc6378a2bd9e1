"""The one training config: TRL's ``SFTConfig`` plus our few fields, filled from YAML and ``key=value`` flags.

YAML keys map one to one onto fields; an unknown key fails naming the file and the key. Overrides win over
the file. :func:`save_config` writes the resolved config beside the output so every run can be repeated.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import typing
from enum import Enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from trl import SFTConfig

from mammoth_math.files import COUNT, NON_NEGATIVE, POSITIVE, Bound, InputError, check_fields, read_yaml_config, \
    yaml_lines

log = logging.getLogger(__name__)


@dataclass
class ModelChoice:
    """The fields every training method shares: which model to start from, and how to adapt it.

    ``model`` is a local path or hub id (a base model or an SFT output folder), or ``tiny`` for a small Llama
    built from config (the CPU recipe, sized by the ``tiny_*`` fields, with a byte-level BPE tokenizer trained
    on the data). ``tokenizer`` overrides the model's tokenizer (a local directory lets big configs dry-run
    offline). ``lora`` / ``qlora`` train an adapter; ``merge_lora`` also writes the merged model.
    """

    model: str = "tiny"
    tokenizer: str | None = None
    lora: bool = False
    qlora: bool = False
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_target_modules: list[str] = field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"])
    merge_lora: bool = False
    attn_implementation: str | None = None
    tiny_hidden_size: int = 64
    tiny_layers: int = 2
    tiny_heads: int = 4
    tiny_vocab_size: int = 512


@dataclass
class TrainConfig(SFTConfig, ModelChoice):
    """SFTConfig plus what MAmmoTH training needs (:class:`ModelChoice`'s fields, and these).

    ``data`` is one or more Alpaca JSON/JSONL files (the data builder's export) or a hub data set id.
    ``attn_implementation``: ``sdpa_varlen`` (padding-free on CPU, see :mod:`.attention`), ``flash_attention_2``
    on GPU, or the default. ``overlong`` says what to do with examples longer than ``max_length``: ``drop``
    (counted and logged) or ``error``; programs are never cut. ``global_batch_size``, when set, fixes gradient
    accumulation from the world size. ``method`` names the trainer (``grpo`` configs are
    :class:`~mammoth_math.training.grpo.config.GRPOTrainConfig`).
    """

    method: str = "sft"
    data: list[str] = field(default_factory=list)
    overlong: str = "drop"
    global_batch_size: int | None = None
    max_train_examples: int | None = None
    include_num_input_tokens_seen: str | bool = "non_padding"  # SFTConfig's field; on, for tokens/s


# The ranges of the numeric settings we rely on, checked with the types before any data or model loads.
BOUNDS: dict[str, Bound] = {
    "max_length": COUNT, "learning_rate": POSITIVE, "num_train_epochs": POSITIVE, "per_device_train_batch_size": COUNT,
    "gradient_accumulation_steps": COUNT, "global_batch_size": COUNT, "max_train_examples": COUNT,
    "warmup_steps": NON_NEGATIVE, "save_steps": POSITIVE, "logging_steps": POSITIVE, "save_total_limit": COUNT,
    "seed": NON_NEGATIVE, "lora_r": COUNT, "lora_alpha": POSITIVE, "lora_dropout": (0, 1, False),
    "tiny_hidden_size": COUNT, "tiny_layers": COUNT, "tiny_heads": COUNT, "tiny_vocab_size": COUNT,
    "weight_decay": NON_NEGATIVE}


def read_config_values(path: str | os.PathLike | None, overrides: typing.Sequence[str] = (),
                       config_class: type | None = None) -> dict[str, Any]:
    """YAML values then ``key=value`` overrides (YAML-typed), each key, type and range checked against the
    fields (the :class:`TrainConfig`'s unless ``config_class`` names another config, e.g. GRPO's)."""
    cls = config_class or TrainConfig
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    values: dict[str, Any] = {}
    if path is not None:
        from_file = {key: _coerce(fields[key], value) for key, value in read_yaml_config(path, fields).items()}
        check_fields(cls, _listed(from_file), path, BOUNDS, yaml_lines(path))
        values.update(from_file)
    given: dict[str, Any] = {}
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep:
            raise InputError("<command line>", f"override {item!r} is not key=value")
        if key not in fields:
            raise InputError("<command line>", "unknown config key", field=key)
        given[key] = _coerce(fields[key], yaml.safe_load(raw) if raw else "")
    check_fields(cls, _listed(given), "<command line>", BOUNDS)
    return _listed({**values, **given})


def _listed(values: dict[str, Any]) -> dict[str, Any]:
    """``data: file.jsonl`` (GRPO's ``prompts`` too) as the one-file list it means."""
    return {**values, **{key: [values[key]] for key in ("data", "prompts") if isinstance(values.get(key), str)}}


def _coerce(f: dataclasses.Field, value: Any) -> Any:
    """Undo YAML 1.1 surprises: ``save_strategy: no`` means the word, ``learning_rate: 5e-3`` a number."""
    default = f.default
    if isinstance(value, bool) and isinstance(default, str) and default:
        return "yes" if value else "no"
    if isinstance(value, str) and isinstance(default, float) and not isinstance(default, bool):
        try:
            return float(value)
        except ValueError:
            return value  # not a number: the type check names file, line and key
    return value


def config_method(path: str | os.PathLike | None, overrides: typing.Sequence[str] = ()) -> str:
    """The ``method`` a config names (``sft`` unless it says ``grpo``): which trainer and config class it fills."""
    method = "sft"
    if path is not None:
        loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8")) if Path(path).is_file() else None
        if isinstance(loaded, dict):
            method = str(loaded.get("method", method))
    for item in overrides:
        key, _, raw = item.partition("=")
        if key == "method":
            method = raw
    if method not in ("sft", "grpo"):
        raise InputError(path or "<command line>", f"unknown method {method!r}: sft or grpo", field="method")
    return method


def load_config(
    path: str | os.PathLike | None, overrides: typing.Sequence[str] = (), cpu_fallback: bool = False
) -> TrainConfig:
    """Build a :class:`TrainConfig`; ``cpu_fallback`` turns off bf16 when no GPU is here (dry runs)."""
    values = read_config_values(path, overrides)
    if cpu_fallback and not _has_accelerator() and (values.get("bf16") or values.get("fp16")):
        log.info("no GPU here: bf16/fp16 switched off for this CPU run (the file's value applies on GPU)")
        values["bf16"] = values["fp16"] = False
    values.setdefault("output_dir", "runs/train")
    if values.get("overlong", "drop") not in ("drop", "error"):
        raise InputError(path or "<command line>", "must be 'drop' or 'error'", field="overlong")
    try:
        return TrainConfig(**values)
    except (TypeError, ValueError) as e:
        raise InputError(path or "<command line>", str(e)) from None


C = typing.TypeVar("C")


def load_model_data_config(cls: type[C], path: str | os.PathLike | None, overrides: typing.Sequence[str],
                           output_dir: str) -> C:
    """A reward model's config (``cls``: RMConfig, PRMConfig): YAML then overrides, ``model`` and ``data``
    required, ``output_dir`` defaulting to ``output_dir``."""
    values = read_config_values(path, overrides, cls)
    values.setdefault("output_dir", output_dir)
    for name in ("model", "data"):
        if not values.get(name):
            raise InputError(path or "<command line>", f"required: set {name}=... ", field=name)
    try:
        return cls(**values)
    except (TypeError, ValueError) as e:
        raise InputError(path or "<command line>", str(e)) from None


def resolved_config(config: Any) -> dict[str, Any]:
    """Every field that differs from its default, and the method, as plain values (what :func:`save_config` writes)."""
    values = config.to_dict()  # transformers' own serialisation (enums, nested configs as plain values)
    fields = {f.name: f for f in dataclasses.fields(config) if f.init}
    return {name: _plain(values[name]) for name in fields
            if name in values and (name == "method" or values[name] != _default(fields[name]))}


def save_config(config: Any, path: str | os.PathLike) -> None:
    """Write the resolved config (every field that differs from its default, as YAML) atomically."""
    from mammoth_math.files import atomic_writer

    with atomic_writer(path) as f:
        yaml.safe_dump(resolved_config(config), f, sort_keys=True)


def _default(f: dataclasses.Field) -> Any:
    """A field's default; resolved files list only what differs, so deprecated aliases stay out of them."""
    if f.default is not dataclasses.MISSING:
        return f.default
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else dataclasses.MISSING


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return getattr(value, "value", str(value))


def _has_accelerator() -> bool:
    import torch

    return torch.cuda.is_available()
