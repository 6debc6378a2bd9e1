"""Backend options as typed dataclasses: each backend declares its own (``HFOptions`` in ``hf.py``, ...), every
default and help text written once in its field; the command line derives its backend flags from the fields
marked ``flag`` (as lighteval's model configs do), and refuses a flag or a config key the chosen backend lacks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from mammoth_math.files import Bound

# make_backend's own keyword, accepted beside any backend's options (the response cache wraps every backend)
COMMON_KEYS = frozenset({"cache_dir"})


class Options(Protocol):
    """What every backend's options dataclass is: fields, and whether unknown keys pass on (vLLM's engine)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]
    passes_extra: ClassVar[bool]


def option(default: Any, help: str = "", flag: bool = False, bound: Bound | None = None) -> Any:
    """A field with its help; ``flag``: also an ``eval``/``probe`` flag, ``--`` plus the name with dashes
    (``bound``: the range a numeric flag accepts)."""
    return dataclasses.field(default=default, metadata={"help": help, "flag": flag, "bound": bound})


def flag_fields(options: type[Options]) -> list[dataclasses.Field]:
    """The fields of ``options`` that are command-line flags."""
    return [f for f in dataclasses.fields(options) if f.metadata.get("flag")]


def option_values(options: Any) -> dict[str, Any]:
    """The fields of an options instance as keyword arguments, in declaration order (not deep-copied)."""
    return {f.name: getattr(options, f.name) for f in dataclasses.fields(options)}


def split_options(cls: type[Options], backend: str, options: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """``options`` as an instance of ``cls`` plus the keys it does not declare (kept only where ``cls``
    passes extra keys on, as vLLM's engine arguments do); an unknown key otherwise fails naming the backend."""
    names = {f.name for f in dataclasses.fields(cls)}
    extra = {k: v for k, v in options.items() if k not in names}
    if extra and not cls.passes_extra:
        raise ValueError(f"{backend} backend: unknown option(s) {', '.join(map(repr, extra))}; its options are "
                         f"{', '.join(sorted(names))}")
    return cls(**{k: v for k, v in options.items() if k in names}), extra


def foreign_keys(table: Mapping[str, type[Options]], backend: str, keys: list[str]) -> dict[str, list[str]]:
    """Which of ``keys`` the ``backend``'s options do not take, each with the backends that do (empty list: none).
    A backend passing extra keys on refuses only the other backends' options."""
    cls = table[backend]
    own = {f.name for f in dataclasses.fields(cls)} | COMMON_KEYS
    owners = {k: [name for name, other in table.items() if k in {f.name for f in dataclasses.fields(other)}]
              for k in keys if k not in own}
    return {k: names for k, names in owners.items() if names or not cls.passes_extra}
