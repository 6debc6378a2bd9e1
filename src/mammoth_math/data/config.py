"""The build config: one dataclass, filled from a YAML file whose keys map one to one onto its fields.

Paths are relative to the working directory (the repository root for the shipped ``configs/data/``).
An unknown key fails naming the file and the key.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mammoth_math.data.contamination import ContaminationConfig, contamination_config
from mammoth_math.files import COUNT, NON_NEGATIVE, POSITIVE, Bound, InputError, check_fields, read_yaml_config, \
    yaml_lines


@dataclass(frozen=True)
class SourceSpec:
    name: str  # a key of ``mammoth_math.data.sources.SOURCES``
    path: str | None = None  # file or folder; default: the source's usual place under ``train_dir``
    types: tuple[str, ...] = ("cot", "pot")  # which rationale types to take from it
    limit: int | None = None  # read only the source's first N records, unreadable ones too (tests, quick looks)
    cap: int | None = None  # keep at most N verified rows per rationale type
    weight: float = 1.0  # 0.5 keeps a random half; 2.0 repeats each row twice


@dataclass(frozen=True)
class BuildConfig:
    sources: tuple[SourceSpec, ...]
    name: str = "mathinstruct"
    train_dir: str = "../shared/data/train"
    eval_dir: str | None = "../shared/data/eval"  # None: no decontamination
    seed: int = 0
    pot_ratio: float | None = None  # PoT share of the final rows; None keeps what verification leaves
    tir_choice_text: float = 0.0  # share of multiple-choice TIR rows ending with the option's text, not its letter
    dedup: bool = True
    near_dup_threshold: float | None = 0.9  # MinHash Jaccard of questions; None: exact duplicates only
    ngram: int = 13  # decontamination n-gram length in words
    contamination_threshold: float = 0.0  # share of a question's n-grams found in one eval item that removes it; 0: any
    formats: tuple[str, ...] = ("alpaca", "jsonl", "parquet", "hf")
    timeout: float = 5.0  # seconds per program in the sandbox
    memory_mb: int = 1024
    workers: int | None = None
    tokenizer: str | None = None  # for the length report; None counts words and symbols
    synthesis_cache: str | None = None  # a synthesis output folder whose accepted rows join the build
    # after the n-gram stage: retrieval and a model's check of each pair (``data.contamination``); None: n-grams only
    contamination: ContaminationConfig | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


SHARE: Bound = (0, 1, False)
# The ranges of the numeric settings (a source's, then the build's), checked with the types before building.
SOURCE_BOUNDS: dict[str, Bound] = {"limit": COUNT, "cap": NON_NEGATIVE, "weight": NON_NEGATIVE}
BOUNDS: dict[str, Bound] = {"seed": NON_NEGATIVE, "pot_ratio": SHARE, "tir_choice_text": SHARE,
                            "near_dup_threshold": SHARE, "ngram": COUNT,
                            "contamination_threshold": SHARE, "timeout": POSITIVE, "memory_mb": COUNT, "workers": COUNT}


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> BuildConfig:
    """Read a YAML build config; ``overrides`` (from command-line flags) win over the file."""
    raw = read_yaml_config(path, {f.name for f in dataclasses.fields(BuildConfig)})
    raw.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return config_from_dict(raw, path, yaml_lines(path))


def config_from_dict(raw: dict[str, Any], path: str | Path = "<config>", lines: dict[str, int] | None = None
                     ) -> BuildConfig:
    known = {f.name for f in dataclasses.fields(BuildConfig)}
    for key in raw:
        if key not in known:
            raise InputError(path, f"unknown key (known: {', '.join(sorted(known))})", field=key)
    if not raw.get("sources"):
        raise InputError(path, "at least one source is required", field="sources")
    check_fields(BuildConfig, {k: v for k, v in raw.items() if k != "sources"}, path, BOUNDS, lines)
    sources = tuple(source_spec(s, path, (lines or {}).get("sources")) for s in raw["sources"])
    values = {k: tuple(v) if k == "formats" else v for k, v in raw.items() if k != "sources"}
    if values.get("contamination") is not None:
        values["contamination"] = contamination_config(values["contamination"], str(path))
        if values["contamination"].check_model is None:
            raise InputError(path, "the build's contamination stage needs a check_model (the report command, "
                                   "`data contamination`, runs without one)", field="contamination.check_model")
    return BuildConfig(sources=sources, **values)


def source_spec(raw: Any, path: str | Path, line: int | None = None) -> SourceSpec:
    """One ``sources`` entry (a name, or a mapping of SourceSpec keys), checked against the known sources."""
    from mammoth_math.data.sources import SOURCES

    raw = {"name": raw} if isinstance(raw, str) else raw
    known = {f.name for f in dataclasses.fields(SourceSpec)}
    if not isinstance(raw, dict) or "name" not in raw:
        raise InputError(path, "each source needs a name", field="sources")
    for key in raw:
        if key not in known:
            raise InputError(path, f"unknown source key (known: {', '.join(sorted(known))})", field=f"sources.{key}")
    if raw["name"] not in SOURCES:
        raise InputError(path, f"unknown source {raw['name']!r}; choose from {', '.join(SOURCES)}", field="sources.name")
    check_fields(SourceSpec, raw, path, SOURCE_BOUNDS, dict.fromkeys(raw, line), prefix="sources.")
    return SourceSpec(**{k: tuple(v) if k == "types" else v for k, v in raw.items()})


__all__ = ["BuildConfig", "SourceSpec", "config_from_dict", "load_config", "source_spec"]
